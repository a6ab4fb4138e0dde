"""Set-wise scoring on SQLite and PostgreSQL: every lead at once gives exactly what one lead at a time gives,
moves the leads that now qualify, and intake scores the leads a batch touched."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from pheu.capture.intake import CaptureContext, capture_many
from pheu.capture.record import ConsentGiven, IncomingLead
from pheu.db import unit_of_work
from pheu.demo.seed import seed
from pheu.lifecycle import ActorType
from pheu.services.scoring_bulk import rescore_all
from pheu.services.scoring_lead import score_lead, whole_points
from pheu.store import Lead, StageChange
from pheu.store.scoring import score_parts
from tests.conftest import NOW
from tests.factories import add_channels
from tests.score_service.helpers import stored


def test_rescore_all_gives_the_same_totals_as_score_lead(db_url: str) -> None:
    seeded = seed(db_url, n_leads=200, now=NOW - timedelta(days=3), seed=11)
    later = NOW + timedelta(days=1)
    summary = rescore_all(db_url, later)
    assert summary.leads == seeded.leads > 200  # the generated leads and those the demo's capture added
    with unit_of_work(db_url) as s:
        bulk = {lead.id: {"score": lead.score, **score_parts(lead)} for lead in s.scalars(select(Lead))}
    assert any(v["score_behaviour"] for v in bulk.values())
    for lead_id, values in bulk.items():
        with unit_of_work(db_url) as s:
            one = score_lead(s, lead_id, later)
            assert one is not None
            s.rollback()
        expected = (
            whole_points(one.result.total),
            one.result.fit,
            one.result.behaviour,
            one.result.temperature,
        )
        got = (values["score"], values["score_fit"], values["score_behaviour"], values["temperature"])
        assert got == expected, lead_id
        # An unchanged score is not rewritten: it keeps the seed's time, or a captured lead's capture time.
        assert values["scored_at"] == later or values["scored_at"] <= NOW - timedelta(days=3)
    assert any(v["scored_at"] == later for v in bulk.values())


def test_rescore_all_applies_rules_on_the_email_domain_like_score_lead(db_url: str) -> None:
    """The default model takes 50 points from a competitor's address; the set-wise read cuts the domain in
    SQL, and must still find it, whatever the case or spacing of the address."""
    add_channels(db_url)
    ctx = CaptureContext(event_type="form_submit", actor_type=ActorType.SYSTEM, actor_label="form")
    emails = ["an@doithu.vn", "Binh@DoiThu.VN", "chi@gmail.com", None]
    records = [
        IncomingLead(
            fields={"email": e, "phone": f"09123456{i:02d}", "full_name": f"Khách {i}"}, source="form"
        )
        for i, e in enumerate(emails)
    ]
    with unit_of_work(db_url) as s:
        ids = [o.lead_id for o in capture_many(s, records, ctx, NOW)]
    rescore_all(db_url, NOW + timedelta(days=1))
    with unit_of_work(db_url) as s:
        stored = {
            lead.id: (lead.score, lead.temperature)
            for lead in s.scalars(select(Lead).where(Lead.id.in_(ids)))
        }
        negative = {}
        for lead_id in ids:
            one = score_lead(s, lead_id, NOW + timedelta(days=1))
            assert one is not None
            assert stored[lead_id] == (whole_points(one.result.total), one.result.temperature), lead_id
            negative[lead_id] = one.result.negative
        s.rollback()
    assert negative[ids[0]] <= -50 and negative[ids[1]] <= -50  # the rule applies to both spellings
    assert negative[ids[2]] > -50 and negative[ids[3]] > -50


def test_the_demo_is_scored_and_staged_by_the_default_model(db_url: str) -> None:
    summary = seed(db_url, n_leads=150, now=NOW, seed=5)
    with unit_of_work(db_url) as s:
        unscored = s.scalar(select(func.count()).select_from(Lead).where(Lead.scored_at.is_(None)))
        temperatures = set(s.scalars(select(Lead.temperature)))
        model_moves = s.scalar(
            select(func.count())
            .select_from(StageChange)
            .where(StageChange.actor_label == "model mac-dinh v1")
        )
        total_moves = s.scalar(select(func.count()).select_from(StageChange))
    assert unscored == 0
    assert temperatures <= {"cold", "warm", "hot"}
    assert len(temperatures) >= 2
    assert total_moves == summary.counts["stage_changes"]
    assert model_moves is not None


def test_rescore_moves_leads_that_now_meet_the_thresholds_and_respects_people(db_url: str) -> None:
    add_channels(db_url)
    ctx = CaptureContext(event_type="form_submit", actor_type=ActorType.SYSTEM, actor_label="form")
    rich = {"job_title": "Giám đốc", "company": "Minh Phát", "company_size": "10-49", "industry": "Bán lẻ"}
    with unit_of_work(db_url) as s:
        outcomes = capture_many(
            s,
            [
                IncomingLead(
                    {"email": f"khach{i}@gmail.com", "phone": f"09123456{i:02d}", **rich},
                    "form:demo",
                    consents=(ConsentGiven("email_marketing", True),),
                    occurred_at=NOW - timedelta(days=1),
                )
                for i in range(3)
            ],
            ctx,
            NOW - timedelta(days=1),
        )
    ids = [o.lead_id for o in outcomes]
    assert all(stored(db_url, i)["stage"] == "mql" for i in ids)  # intake scored and moved them at once
    assert all(stored(db_url, i)["score"] == 53 for i in ids)
    from pheu.auth.roles import Role
    from pheu.lifecycle import Stage
    from pheu.services import stages
    from tests.factories import add_user

    boss = add_user(db_url, "boss@x.vn", Role.ADMIN, NOW)
    with unit_of_work(db_url) as s:
        for lead_id in ids[:2]:
            stages.move_stage(s, None, lead_id, Stage.IQL, reason="hệ thống", now=NOW - timedelta(hours=20))
        stages.move_stage(s, boss, ids[2], Stage.IQL, reason="Chưa có nhu cầu", now=NOW - timedelta(hours=20))
    summary = rescore_all(db_url, NOW)
    assert summary.moved == 2
    assert [stored(db_url, i)["stage"] for i in ids] == ["mql", "mql", "iql"]
    with unit_of_work(db_url) as s:
        last = s.scalars(
            select(StageChange).where(StageChange.lead_id == ids[0]).order_by(StageChange.id.desc())
        ).first()
        assert last is not None
        assert (last.actor_type, last.actor_label, last.at) == ("model", "model mac-dinh v1", NOW)
        assert last.reason.startswith("Mô hình mac-dinh v1: điểm")


def test_a_rescore_never_overwrites_a_newer_score(db_url: str) -> None:
    seed(db_url, n_leads=20, now=NOW, seed=2)
    with unit_of_work(db_url) as s:
        lead_id = s.scalars(select(Lead.id).order_by(Lead.id)).first()
        assert lead_id is not None
        score_lead(s, lead_id, NOW + timedelta(days=2))
        fresh = s.get(Lead, lead_id)
        assert fresh is not None
        fresh_score = fresh.score
    rescore_all(db_url, NOW + timedelta(days=1))
    assert stored(db_url, lead_id)["scored_at"] == NOW + timedelta(days=2)
    assert stored(db_url, lead_id)["score"] == fresh_score
