"""Duplicate review on SQLite and PostgreSQL: scanning proposes pairs, a person merges or dismisses them, and
every merge — reviewed or automatic — can be undone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from pheu.auth.roles import Principal, Role
from pheu.capture.intake import CaptureContext, capture_many
from pheu.capture.record import IncomingLead
from pheu.cli import app
from pheu.db import unit_of_work
from pheu.lifecycle import ActorType, Stage
from pheu.services import duplicates, events, leads, stages
from pheu.services import merges as merging
from pheu.services.errors import Conflict, Forbidden
from pheu.services.schemas import ConsentIn, EventIn, LeadPatch
from pheu.store import (
    Consent,
    DuplicateCandidate,
    Event,
    Lead,
    LeadMerge,
    RejectedRecord,
    StageChange,
)
from pheu.store.bulk import table_of
from tests.conftest import NOW
from tests.factories import add_channels, add_lead, add_user

CTX = CaptureContext(event_type="form_submit", actor_type=ActorType.SYSTEM, actor_label="form")
TABLES = (Lead, Event, StageChange, Consent, DuplicateCandidate, RejectedRecord, LeadMerge)


@dataclass(frozen=True)
class People:
    admin: Principal
    rep: Principal
    anh: int  # Nguyễn Văn Anh, Công ty ABC
    anh_again: int  # Nguyen Van Anh, Cty ABC
    stranger: int  # Nguyễn Văn Bình, another firm


@pytest.fixture
def people(db_url: str) -> People:
    add_channels(db_url)
    admin = add_user(db_url, "admin@x.vn", Role.ADMIN, NOW)
    rep = add_user(db_url, "rep@x.vn", Role.SALES_REP, NOW)
    day = timedelta(days=1)
    anh = add_lead(
        db_url, rep, NOW - 5 * day, full_name="Nguyễn Văn Anh", company="Công ty ABC", email="anh@abc.vn",
        channel="facebook_ads", consents=[ConsentIn(purpose="email_marketing", granted=True)],
    )  # fmt: skip
    again = add_lead(
        db_url, admin, NOW - 2 * day, full_name="Nguyen Van Anh", company="Cty ABC", phone="0912345678",
        job_title="Giám đốc", channel="seo",
        consents=[ConsentIn(purpose="email_marketing", granted=False), ConsentIn(purpose="sms", granted=True)],
    )  # fmt: skip
    stranger = add_lead(
        db_url, admin, NOW - day, full_name="Nguyễn Văn Bình", company="XYZ", email="b@xyz.vn"
    )
    with unit_of_work(db_url) as s:
        events.add_event(s, admin, anh, EventIn(type="email_open"), NOW - 4 * day)
        events.add_event(
            s, admin, again, EventIn(type="pricing_view", source="web", external_id="pv-1"), NOW - day
        )
        stages.move_stage(s, admin, again, Stage.MQL, reason="", now=NOW - day)
        s.add(RejectedRecord(source="csv", raw={"phone": "0912345678"}, status="fixed", lead_id=again))
        # an earlier automatic merge into the look-alike: it must follow the lead and come back with it
        capture_many(
            s, [IncomingLead(fields={"phone": "0912 345 678", "city": "Huế"}, source="form")], CTX, NOW - day
        )
    return People(admin, rep, anh, again, stranger)


def dump(url: str) -> dict[str, list[dict[str, Any]]]:
    with unit_of_work(url) as s:
        return {
            model.__tablename__: [dict(r) for r in s.execute(select(*model.__table__.c).select_from(model.__table__).order_by(table_of(model).c.id)).mappings()]
            for model in TABLES
        }  # fmt: skip


def scan(url: str) -> duplicates.ScanResult:
    with unit_of_work(url) as s:
        return duplicates.scan(s, NOW)


def open_pairs(url: str, who: Principal) -> list[tuple[int, int]]:
    with unit_of_work(url) as s:
        items, _ = duplicates.open_candidates(s, who)
        return [(v.a.id, v.b.id) for v in items]


def test_scan_pairs_a_name_typed_without_tones_at_the_same_firm(people: People, db_url: str) -> None:
    result = scan(db_url)
    assert (result.leads, result.added) == (3, 1)
    assert open_pairs(db_url, people.admin) == [(people.anh, people.anh_again)]
    with unit_of_work(db_url) as s:
        pair = s.scalars(select(DuplicateCandidate)).one()
        assert pair.score >= 90
        assert "same_company" in pair.reasons
        assert s.get(Lead, people.anh_again) is not None  # proposed, never merged on its own


def test_a_second_scan_proposes_nothing_new(people: People, db_url: str) -> None:
    scan(db_url)
    assert scan(db_url).added == 0


def test_a_dismissed_pair_is_never_proposed_again(people: People, db_url: str) -> None:
    scan(db_url)
    with unit_of_work(db_url) as s:
        pair = s.scalars(select(DuplicateCandidate)).one()
        duplicates.dismiss(s, people.admin, pair.id, NOW)
    assert open_pairs(db_url, people.admin) == []
    assert scan(db_url).added == 0
    with unit_of_work(db_url) as s:
        pair = s.scalars(select(DuplicateCandidate)).one()
        assert (pair.status, pair.decided_by) == ("dismissed", people.admin.user_id)
        with pytest.raises(Conflict):
            duplicates.dismiss(s, people.admin, pair.id, NOW)


def test_sales_reps_cannot_review_duplicates(people: People, db_url: str) -> None:
    scan(db_url)
    with unit_of_work(db_url) as s, pytest.raises(Forbidden):
        duplicates.open_candidates(s, people.rep)
    with unit_of_work(db_url) as s, pytest.raises(Forbidden):
        merging.merge_leads(s, people.rep, people.anh, people.anh_again, NOW)


def test_the_side_by_side_view_defaults_to_filling_blanks_and_the_newest_value(
    people: People, db_url: str
) -> None:
    scan(db_url)
    with unit_of_work(db_url) as s:
        pair = s.scalars(select(DuplicateCandidate)).one()
        cmp = duplicates.compare(s, people.admin, pair.id)
    rows = {r.name: r for r in cmp.rows}
    assert cmp.keep == people.anh  # the first touch survives by default
    assert rows["phone"].default == people.anh_again  # a blank is filled
    assert rows["full_name"].default == people.anh_again and rows["full_name"].differs  # newest wins
    assert rows["channel_id"].default == people.anh  # where a lead came from stays with the first touch
    assert not rows["country"].differs
    assert (cmp.a.events, cmp.b.events) == (1, 2)


def test_merging_moves_everything_to_the_kept_lead_and_undo_restores_exactly(
    people: People, db_url: str
) -> None:
    scan(db_url)
    before = dump(db_url)
    with unit_of_work(db_url) as s:
        pair = s.scalars(select(DuplicateCandidate)).one()
        merge = merging.merge_candidate(
            s, people.admin, pair.id, people.anh, NOW + timedelta(hours=1), {"full_name": people.anh}
        )
        merge_id = merge.id
    with unit_of_work(db_url) as s:
        assert s.get(Lead, people.anh_again) is None
        kept = s.get(Lead, people.anh)
        assert kept is not None
        assert (kept.full_name, kept.phone, kept.job_title, kept.city) == (
            "Nguyễn Văn Anh", "+84912345678", "Giám đốc", "Huế",
        )  # fmt: skip
        assert kept.channel is not None and kept.channel.code == "facebook_ads"
        assert {e.lead_id for e in s.scalars(select(Event))} == {people.anh}
        assert {c.purpose: c.granted for c in kept.consents} == {"email_marketing": False, "sms": True}
        assert s.scalars(select(RejectedRecord.lead_id)).one() == people.anh
        assert {m.lead_id for m in s.scalars(select(LeadMerge))} == {people.anh}
        assert s.scalars(select(DuplicateCandidate)).all() == []
        merge = s.get(LeadMerge, merge_id)
        assert merge is not None and merge.merged_lead_id == people.anh_again
        assert merge.snapshot["_dropped"]["full_name"] == "Nguyen Van Anh"
        assert merge.changes["phone"] == [None, "+84912345678"]
        assert kept.search_key.find("0912345678") >= 0
    with unit_of_work(db_url) as s:
        assert merging.undo_merge(s, people.admin, merge_id, NOW + timedelta(hours=2)).conflicts == []
    after = dump(db_url)
    merges = after.pop("lead_merges")
    assert after == {k: v for k, v in before.items() if k != "lead_merges"}
    assert [m for m in merges if m["id"] != merge_id] == before["lead_merges"]
    with unit_of_work(db_url) as s, pytest.raises(Conflict):
        merging.undo_merge(s, people.admin, merge_id, NOW)


def test_undo_leaves_fields_changed_since_the_merge(people: People, db_url: str) -> None:
    with unit_of_work(db_url) as s:
        merge_id = merging.merge_leads(s, people.admin, people.anh, people.anh_again, NOW).id
    with unit_of_work(db_url) as s:
        leads.update_lead(
            s, people.admin, people.anh, LeadPatch(job_title="Chủ tịch"), NOW + timedelta(hours=1)
        )
    with unit_of_work(db_url) as s:
        result = merging.undo_merge(s, people.admin, merge_id, NOW + timedelta(hours=2))
    assert result.conflicts == ["job_title"]
    with unit_of_work(db_url) as s:
        kept, back = s.get(Lead, people.anh), s.get(Lead, people.anh_again)
        assert kept is not None and back is not None
        assert (kept.job_title, kept.phone) == ("Chủ tịch", None)
        assert back.phone == "+84912345678"


def test_an_automatic_merge_is_undone_field_by_field(people: People, db_url: str) -> None:
    with unit_of_work(db_url) as s:
        merge = s.scalars(select(LeadMerge)).one()
        assert merge.lead_id == people.anh_again and merge.merged_lead_id is None
        merging.undo_merge(s, people.admin, merge.id, NOW)
    with unit_of_work(db_url) as s:
        lead = s.get(Lead, people.anh_again)
        assert lead is not None and lead.city is None and lead.full_name == "Nguyen Van Anh"


def test_an_older_merge_waits_for_the_newer_merge_of_the_same_lead(people: People, db_url: str) -> None:
    with unit_of_work(db_url) as s:
        auto = s.scalars(select(LeadMerge)).one().id
        reviewed = merging.merge_leads(s, people.admin, people.anh_again, people.anh, NOW).id
    with unit_of_work(db_url) as s:
        views = {v.merge.id: v for v in merging.history(s, people.admin)}
        assert (views[reviewed].can_undo, views[auto].can_undo) == (True, False)
        with pytest.raises(Conflict) as refused:
            merging.undo_merge(s, people.admin, auto, NOW)
        assert refused.value.code == "merged_again"
    with unit_of_work(db_url) as s:
        merging.undo_merge(s, people.admin, reviewed, NOW)
        merging.undo_merge(s, people.admin, auto, NOW)


def test_the_cli_scans_and_prints_counts(people: People, db_url: str) -> None:
    out = CliRunner().invoke(app, ["duplicates", "scan", "--json", "--db-url", db_url])
    assert out.exit_code == 0, out.output
    assert '"new_pairs": 1' in out.output
    plain = CliRunner().invoke(app, ["duplicates", "scan", "--db-url", db_url])
    assert plain.exit_code == 0 and "0 new" in plain.output
