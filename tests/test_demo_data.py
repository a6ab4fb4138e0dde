"""The demo pipeline must obey the same rules as real data, or every screen built on it would lie."""

from __future__ import annotations

import itertools
import random
import re
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import phonenumbers
import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from pheu.auth.passwords import hash_password, verify_password
from pheu.clean.search import fold, phone_search_forms, search_key
from pheu.db import upgrade
from pheu.demo.capture import IMPORT_FILE
from pheu.demo.catalogue import build_catalogue
from pheu.demo.generate import DemoData, generate, iter_lead_chunks
from pheu.demo.seed import DemoDataRefused, has_leads, seed
from pheu.lifecycle import REASON_REQUIRED, RECRUITMENT_STAGES, SALES_STAGES, LeadKind, Stage, allowed_moves
from pheu.store import (
    Base,
    Channel,
    Consent,
    DuplicateCandidate,
    Event,
    Form,
    Import,
    Lead,
    RejectedRecord,
    StageChange,
    User,
)
from pheu.store.leads import SCORE_COLUMNS

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
N = 3000
TABLES = (
    "channels",
    "campaigns",
    "campaign_costs",
    "teams",
    "users",
    "leads",
    "consents",
    "events",
    "stage_changes",
)
SALES = {s.value for s in SALES_STAGES}
RECRUITMENT = {s.value for s in RECRUITMENT_STAGES}


@pytest.fixture(scope="module")
def data() -> DemoData:
    return generate(N, NOW, random.Random(7))


@pytest.fixture(scope="module")
def changes_by_lead(data: DemoData) -> dict[int, list[dict[str, Any]]]:
    grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for change in sorted(data.stage_changes, key=lambda c: c["id"]):
        grouped[change["lead_id"]].append(change)
    return grouped


@pytest.fixture(scope="module")
def reached(changes_by_lead: dict[int, list[dict[str, Any]]]) -> dict[int, set[str]]:
    return {lead_id: {c["to_stage"] for c in changes} for lead_id, changes in changes_by_lead.items()}


def _sales(data: DemoData) -> list[dict[str, Any]]:
    return [lead for lead in data.leads if lead["kind"] == "sales"]


def test_every_row_has_exactly_its_tables_columns(data: DemoData) -> None:
    for table in TABLES:
        columns = set(Base.metadata.tables[table].columns.keys())
        if table == "leads":  # a lead row also carries its score row's values (``store.bulk`` splits them)
            columns |= set(SCORE_COLUMNS)
        rows = getattr(data, table)
        assert rows, table
        for row in rows:
            assert set(row) == columns, (table, set(row) ^ columns)


def test_ids_are_unique_and_foreign_keys_line_up(data: DemoData) -> None:
    for table in TABLES:
        ids = [row["id"] for row in getattr(data, table)]
        assert sorted(ids) == list(range(1, len(ids) + 1)), table
    channels = {c["id"] for c in data.channels}
    campaigns = {c["id"] for c in data.campaigns}
    users = {u["id"] for u in data.users}
    leads = {lead["id"] for lead in data.leads}
    assert all(c["channel_id"] in channels for c in data.campaigns)
    assert all(c["campaign_id"] in campaigns for c in data.campaign_costs)
    for lead in data.leads:
        assert lead["channel_id"] in channels
        assert lead["campaign_id"] is None or lead["campaign_id"] in campaigns
        assert lead["owner_id"] is None or lead["owner_id"] in users
    for child in (*data.events, *data.consents, *data.stage_changes):
        assert child["lead_id"] in leads
    assert all(c["actor_user_id"] is None or c["actor_user_id"] in users for c in data.stage_changes)


def test_every_lead_can_be_contacted_by_email_or_phone(data: DemoData) -> None:
    assert all(lead["email"] or lead["phone"] for lead in data.leads)
    missing_email = sum(1 for lead in data.leads if not lead["email"]) / N
    missing_phone = sum(1 for lead in data.leads if not lead["phone"]) / N
    assert 0.05 < missing_email < 0.2
    assert 0.03 < missing_phone < 0.15


def test_phones_are_valid_vietnamese_mobiles_in_e164(data: DemoData) -> None:
    phones = [lead["phone"] for lead in data.leads if lead["phone"]]
    assert len(phones) == len(set(phones))
    for phone in phones:
        assert re.fullmatch(r"\+84\d{9}", phone), phone
        parsed = phonenumbers.parse(phone)
        assert phonenumbers.is_valid_number(parsed), phone
        assert phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.MOBILE, phone


def test_emails_are_lower_case_ascii(data: DemoData) -> None:
    for lead in data.leads:
        if lead["email"]:
            assert re.fullmatch(r"[a-z0-9.]+@[a-z0-9.]+\.[a-z]{2,}", lead["email"]), lead["email"]


def test_names_carry_diacritics_and_search_keys_fold_them(data: DemoData) -> None:
    assert sum(1 for lead in data.leads if lead["full_name"] != fold(lead["full_name"]).title()) > N * 0.8
    nguyen = sum(1 for lead in data.leads if lead["full_name"].startswith("Nguyễn ")) / N
    assert 0.3 < nguyen < 0.46
    for lead in data.leads:
        assert lead["name_key"] == fold(lead["full_name"])
        expected = search_key(
            lead["full_name"], lead["email"], phone_search_forms(lead["phone"]), lead["company"]
        )
        assert lead["search_key"] == expected


def test_stage_is_the_last_move_and_moves_are_chronological(
    data: DemoData, changes_by_lead: dict[int, list[dict[str, Any]]]
) -> None:
    for lead in data.leads:
        changes = changes_by_lead[lead["id"]]
        assert changes[0]["from_stage"] is None
        assert changes[0]["at"] == lead["created_at"]
        assert changes[-1]["to_stage"] == lead["stage"]
        assert changes[-1]["at"] == lead["stage_changed_at"] == lead["updated_at"]
        times = [c["at"] for c in changes]
        assert times == sorted(times)
        assert len(set(times)) == len(times)
        assert times[-1] <= NOW
        for before, after in itertools.pairwise(changes):
            assert after["from_stage"] == before["to_stage"]


def test_every_move_is_allowed_by_the_lifecycle(
    data: DemoData, changes_by_lead: dict[int, list[dict[str, Any]]]
) -> None:
    for lead in data.leads:
        kind = LeadKind(lead["kind"])
        changes = changes_by_lead[lead["id"]]
        first = changes[0]["to_stage"]
        assert first == ("applicant" if kind is LeadKind.RECRUITMENT else "iql")
        for change in changes[1:]:
            target = Stage(change["to_stage"])
            assert target in allowed_moves(kind, Stage(change["from_stage"])), change
            if target in REASON_REQUIRED:
                assert change["reason"].strip(), change
        if lead["stage"] in {"lost", "disqualified", "rejected"}:
            assert lead["lost_reason"] == changes[-1]["reason"]
        else:
            assert lead["lost_reason"] is None


def test_actors_match_who_would_really_move_a_lead(data: DemoData) -> None:
    users = {u["id"]: u for u in data.users}
    for change in data.stage_changes:
        if change["from_stage"] is None:
            assert change["actor_type"] in {"system", "import"}
        elif change["from_stage"] == "iql" and change["to_stage"] == "mql":
            assert change["actor_type"] == "model"
        if change["actor_type"] == "user":
            assert change["actor_user_id"] in users
            assert change["actor_label"] == users[change["actor_user_id"]]["name"]


def test_recruitment_leads_never_enter_the_sales_funnel(data: DemoData, reached: dict[int, set[str]]) -> None:
    recruits = [lead for lead in data.leads if lead["kind"] == "recruitment"]
    assert 0.01 < len(recruits) / N < 0.06
    for lead in recruits:
        assert reached[lead["id"]] <= RECRUITMENT
        assert lead["lead_magnet"] == "job_application"
    for lead in _sales(data):
        assert reached[lead["id"]] <= SALES


def test_conversion_rates_are_plausible(data: DemoData, reached: dict[int, set[str]]) -> None:
    sales = _sales(data)
    beyond_iql = {"mql", "sql", "opportunity", "customer"}
    mql_share = sum(1 for lead in sales if reached[lead["id"]] & beyond_iql) / len(sales)
    assert 0.2 < mql_share < 0.5
    customers = sum(1 for lead in sales if lead["stage"] == "customer")
    assert 0 < customers < len(sales) * 0.08
    assert any(lead["stage"] == "lost" for lead in sales)
    assert any(lead["stage"] == "disqualified" for lead in sales)
    recycled = sum(1 for c in data.stage_changes if c["from_stage"] == "lost" and c["to_stage"] == "mql")
    assert recycled > 0


def test_good_channels_convert_better_than_bought_lists_and_tiktok(
    data: DemoData, reached: dict[int, set[str]]
) -> None:
    codes = {c["id"]: c["code"] for c in data.channels}
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for lead in _sales(data):
        good = {"good": {"referral", "event", "google_ads"}, "poor": {"import", "tiktok_ads"}}
        for group, members in good.items():
            if codes[lead["channel_id"]] in members:
                per[group][0] += 1
                per[group][1] += bool(reached[lead["id"]] & {"sql", "opportunity", "customer"})
    assert per["good"][1] / per["good"][0] > 2 * per["poor"][1] / per["poor"][0]


def test_channel_mix_follows_the_plan(data: DemoData) -> None:
    codes = {c["id"]: c["code"] for c in data.channels}
    mix = Counter(codes[lead["channel_id"]] for lead in data.leads)
    assert 0.25 < mix["facebook_ads"] / N < 0.35
    assert 0.02 < mix["import"] / N < 0.05
    flags = {c["code"]: (c["paid"], c["low_quality"]) for c in data.channels}
    assert flags["import"] == (False, True)
    assert {code for code, (paid, _) in flags.items() if paid} == {
        "facebook_ads",
        "tiktok_ads",
        "zalo",
        "google_ads",
        "affiliate",
    }


def test_worked_leads_have_a_sales_rep_as_owner(data: DemoData, reached: dict[int, set[str]]) -> None:
    reps = {u["id"] for u in data.users if u["role"] == "sales_rep"}
    for lead in _sales(data):
        if lead["stage"] in {"sql", "opportunity", "customer"}:
            assert lead["owner_id"] in reps
        if lead["owner_id"] is not None:
            assert lead["owner_id"] in reps


def test_campaign_leads_carry_their_campaigns_tags_and_arrive_while_it_runs(data: DemoData) -> None:
    campaigns = {c["id"]: c for c in data.campaigns}
    assert 20 <= len(campaigns) <= 30
    assert len({c["utm_campaign"] for c in campaigns.values()}) == len(campaigns)
    local = timedelta(hours=7)
    for lead in data.leads:
        if lead["campaign_id"] is None:
            continue
        campaign = campaigns[lead["campaign_id"]]
        assert lead["utm_campaign"] == campaign["utm_campaign"]
        assert lead["channel_id"] == campaign["channel_id"]
        assert campaign["starts_on"] <= (lead["created_at"] + local).date() <= campaign["ends_on"]
        assert lead["landing_page"].startswith("https://pheu-demo.vn/lp/")


def test_campaign_costs_are_whole_vnd_per_running_day(data: DemoData) -> None:
    campaigns = {c["id"]: c for c in data.campaigns}
    days = Counter((c["campaign_id"], c["day"]) for c in data.campaign_costs)
    assert max(days.values()) == 1
    for cost in data.campaign_costs:
        campaign = campaigns[cost["campaign_id"]]
        assert isinstance(cost["amount_minor"], int)
        assert cost["amount_minor"] > 0
        assert cost["currency"] == "VND"
        assert campaign["starts_on"] <= cost["day"] <= min(campaign["ends_on"], NOW.date())


def test_events_lie_between_creation_and_now_starting_with_the_form(data: DemoData) -> None:
    leads = {lead["id"]: lead for lead in data.leads}
    codes = {c["id"]: c["code"] for c in data.channels}
    first: dict[int, dict[str, Any]] = {}
    for event in data.events:
        lead = leads[event["lead_id"]]
        assert lead["created_at"] <= event["occurred_at"] <= NOW
        assert event["source"] == "demo"
        assert isinstance(event["properties"], dict)
        if event["lead_id"] not in first or event["occurred_at"] < first[event["lead_id"]]["occurred_at"]:
            first[event["lead_id"]] = event
    assert set(first) == set(leads)
    for lead_id, event in first.items():
        if codes[leads[lead_id]["channel_id"]] != "import":
            assert event["type"] == "form_submit"
            assert event["occurred_at"] == leads[lead_id]["created_at"]
    assert 8 <= len(data.events) / N <= 15


def test_no_email_is_opened_after_an_unsubscribe_and_the_consent_follows(data: DemoData) -> None:
    stops: dict[int, datetime] = {}
    for event in data.events:
        if event["type"] == "unsubscribe":
            stops[event["lead_id"]] = event["occurred_at"]
    assert stops
    for event in data.events:
        if event["type"] in {"email_open", "email_click"} and event["lead_id"] in stops:
            assert event["occurred_at"] < stops[event["lead_id"]]
    email_consent = {c["lead_id"]: c for c in data.consents if c["purpose"] == "email_marketing"}
    for lead_id, at in stops.items():
        assert email_consent[lead_id]["granted"] is False
        assert email_consent[lead_id]["at"] == at


def test_generation_is_reproducible_and_streaming_gives_the_same_rows() -> None:
    whole = generate(300, NOW, random.Random(11))
    again = generate(300, NOW, random.Random(11))
    assert whole.leads == again.leads
    assert whole.events == again.events
    rng = random.Random(11)
    catalogue = build_catalogue(300, NOW, rng)
    chunks = list(iter_lead_chunks(catalogue, rng, chunk_size=70))
    assert len(chunks) == 5
    assert [lead for c in chunks for lead in c.leads] == whole.leads
    assert [e for c in chunks for e in c.events] == whole.events
    assert [s for c in chunks for s in c.stage_changes] == whole.stage_changes


def _count(session: Session, model: type[Base], *where: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_seed_writes_a_migrated_sqlite_database_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    upgrade(url)
    assert not has_leads(url)
    steps: list[tuple[str, int, int]] = []
    summary = seed(url, n_leads=600, now=NOW, seed=3, progress=lambda *step: steps.append(step))
    assert steps[-1] == ("leads", 600, 600)
    engine = create_engine(url)
    with Session(engine) as session:
        assert _count(session, Lead) == summary.leads > 600  # forms and the import captured more
        assert _count(session, Event) == summary.events > 600 * 5
        assert _count(session, StageChange) == summary.counts["stage_changes"]
        assert _count(session, Consent) == summary.counts["consents"]
        admin = session.scalars(select(User).where(User.email == "admin@pheu.local")).one()
        assert admin.role == "admin"
        assert verify_password(admin.password_hash, "pheu-admin")
        reps = session.scalars(select(User).where(User.role == "sales_rep")).all()
        assert len(reps) == 3
        assert all(verify_password(r.password_hash, "pheu-demo") for r in reps)
        lead = session.scalars(select(Lead).where(Lead.stage == "customer").limit(1)).one()
        assert lead.created_at.tzinfo is not None
        assert lead.owner is not None
    assert {login.email for login in summary.logins} >= {"admin@pheu.local", "rep3@pheu.local"}
    assert has_leads(url)
    _capture_pages_have_something_to_show(engine, summary.counts)
    with pytest.raises(DemoDataRefused, match="already has leads"):
        seed(url, n_leads=10, now=NOW)
    engine.dispose()


def test_seed_reuses_existing_users_and_channels(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'busy.db'}"
    upgrade(url)
    engine = create_engine(url)
    with Session(engine) as session, session.begin():
        session.add(
            User(email="owner@example.vn", name="Chủ shop", password_hash=hash_password("x"), role="admin")
        )
        session.add(
            User(email="admin@pheu.local", name="Quản trị", password_hash=hash_password("y"), role="admin")
        )
        session.add(Channel(code="seo", name="SEO"))
    summary = seed(url, n_leads=200, now=NOW)
    with Session(engine) as session:
        assert _count(session, User) == 7
        assert _count(session, Channel) == 11
        owners = session.scalars(select(Lead.owner_id).where(Lead.owner_id.is_not(None))).all()
        reps = set(session.scalars(select(User.id).where(User.role == "sales_rep")).all())
        assert set(owners) <= reps
    admin = next(login for login in summary.logins if login.email == "admin@pheu.local")
    assert admin.created is False
    assert admin.password is None
    engine.dispose()


def test_seed_leaves_the_next_ids_free_on_every_database(db_url: str) -> None:
    """PostgreSQL sequences do not move for explicit ids; the next real lead must not collide with the demo."""
    summary = seed(db_url, n_leads=150, now=NOW, seed=5)
    engine = create_engine(db_url)
    with Session(engine) as session, session.begin():
        lead = Lead(full_name="Khách mới", email="khachmoi@example.vn")
        session.add(lead)
        session.flush()
        assert lead.id == summary.leads + 1
        event = Event(lead_id=lead.id, type="page_view", occurred_at=NOW)
        session.add(event)
        session.flush()
        assert event.id == summary.events + 1
        session.rollback()
    engine.dispose()


def _capture_pages_have_something_to_show(engine: Any, counts: dict[str, int]) -> None:
    """Forms with the submissions they landed, a finished import whose summary adds up, what it and the
    forms rejected (with reasons), and likely duplicates to review: all made through the real services."""
    with Session(engine) as session:
        by_slug = {f.slug: f for f in session.scalars(select(Form))}
        assert set(by_slug) == {
            "ma-giam-gia-tet",
            "cam-nang-ban-hang-da-kenh",
            "ung-tuyen-nhan-vien-kinh-doanh",
        }
        for form in by_slug.values():
            landed = _count(session, Event, Event.source == f"form:{form.slug}")
            assert form.submissions == landed > 0
        applicants = session.scalars(
            select(Lead.kind).join(Event).where(Event.source.like("form:ung-tuyen%"))
        )
        assert set(applicants) == {"recruitment"}
        (job,) = session.scalars(select(Import)).all()
        assert job.status == "done" and job.filename == IMPORT_FILE and job.created_by is not None
        assert job.rows_read == job.imported + job.merged + job.rejected
        assert job.imported > 50 and job.merged > 0 and job.rejected > 0
        assert _count(session, RejectedRecord, RejectedRecord.import_id == job.id) == job.rejected
        assert _count(session, RejectedRecord, RejectedRecord.source.like("form:%")) > 0
        assert all(r.reasons for r in session.scalars(select(RejectedRecord)))
        assert _count(session, DuplicateCandidate, DuplicateCandidate.status == "open") > 0
    assert counts["forms"] == 3 and counts["imports"] == 1
    assert counts["rejected_records"] > 0 and counts["duplicate_candidates"] > 0
