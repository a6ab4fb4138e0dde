"""The per-event path (``events.add_event`` through ``event_scoring``), on SQLite and PostgreSQL: it leaves
exactly what the entity path (``scoring_lead.score_lead``) computes, finds only the leads ``leads.get_lead``
finds for the same person, refuses another lead's delivery, and keeps the caller's session consistent."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pheu.auth.roles import Principal, Role
from pheu.db import get_engine, unit_of_work
from pheu.score import EventFact, default_model, score, to_yaml
from pheu.services import event_scoring, scoring
from pheu.services.errors import Invalid, NotFound
from pheu.services.events import add_event
from pheu.services.leads import get_lead
from pheu.services.schemas import EventIn
from pheu.services.scoring_facts import lead_facts, lead_inputs
from pheu.services.scoring_lead import score_lead, whole_points
from pheu.store import AuditEntry, Event, Lead, StageChange
from tests.conftest import NOW
from tests.factories import add_channels, add_lead, add_user
from tests.handoff.helpers import build_floor
from tests.score_service.helpers import director, stored, touch

HANOI = timezone(timedelta(hours=7))
# Fit, behaviour with caps and property conditions, a penalty, a touch no rule reads, and a late report of
# an old touch: the new path must agree with the entity path after every one of them.
TOUCHES: list[tuple[str, timedelta, dict[str, object]]] = [
    ("page_view", timedelta(days=40), {"url": "/"}),
    ("form_submit", timedelta(hours=30), {}),
    ("webinar_attend", timedelta(hours=20), {"minutes": 45}),
    ("webinar_attend", timedelta(hours=19), {"minutes": 10}),
    ("call", timedelta(hours=12), {"outcome": "reached", "by": "Rep"}),
    ("call", timedelta(hours=11), {"outcome": "no_answer"}),
    ("note_added", timedelta(hours=10), {}),
    ("pricing_page_view", timedelta(hours=9), {"url": "/gia", "ms": 1.5}),
    ("unsubscribe", timedelta(hours=8), {}),
    ("meeting", timedelta(hours=7), {}),
    ("reply", timedelta(days=3), {"channel": "zalo"}),
    ("page_view", timedelta(hours=1), {}),
]


@pytest.fixture
def admin(db_url: str) -> Principal:
    add_channels(db_url)
    return add_user(db_url, "admin@x.vn", Role.ADMIN, NOW)


def a_full_lead(url: str, admin: Principal) -> int:
    """A lead with something for every kind of fit rule: title, size, industry, city, company, phone,
    interests, channel, consent, and a cleaning flag set the way cleaning sets it."""
    lead_id = director(
        url,
        admin,
        company="Minh Phát",
        company_size="10-49",
        industry="Bán lẻ",
        province="Hà Nội",
        channel="facebook_ads",
        interests=["TikTok Shop"],
    )
    with unit_of_work(url) as s:
        s.get_one(Lead, lead_id).flags = ["bought_list"]
    return lead_id


def test_each_event_leaves_what_the_entity_path_computes(db_url: str, admin: Principal) -> None:
    lead_id = a_full_lead(db_url, admin)
    stages = []
    for kind, ago, properties in TOUCHES:
        body = EventIn(type=kind, occurred_at=(NOW - ago).astimezone(HANOI), properties=properties)
        with unit_of_work(db_url) as s:
            add_event(s, admin, lead_id, body, NOW)
        after = stored(db_url, lead_id)
        stages.append(after["stage"])
        with Session(get_engine(db_url)) as s:  # the reference, rolled back
            reference = score_lead(s, lead_id, NOW)
            assert reference is not None
            assert reference.moved is None  # the event's own path already made every move the model wants
        result = reference.result
        assert after["score"] == whole_points(result.total), kind
        assert (after["score_fit"], after["score_behaviour"], after["temperature"]) == (
            result.fit,
            result.behaviour,
            result.temperature,
        ), kind
        assert after["scored_at"] == NOW
    # Two moves on the way (its fit alone makes it an MQL at its first touch), each agreeing with the reference.
    assert (stages[0], stages[-1]) == ("mql", "sql")


def _key(event: EventFact) -> tuple[object, ...]:
    return event.occurred_at, event.type, json.dumps(event.properties, sort_keys=True)


def test_the_event_read_sees_the_lead_as_the_entity_does(db_url: str, admin: Principal) -> None:
    lead_id = a_full_lead(db_url, admin)
    with unit_of_work(db_url) as s:
        for kind, ago, properties in TOUCHES:
            add_event(
                s, admin, lead_id, EventIn(type=kind, occurred_at=NOW - ago, properties=properties), NOW
            )
    with Session(get_engine(db_url)) as s:
        lead = event_scoring.read_lead(s, admin, lead_id, NOW)
        model, events = lead_inputs(s, lead_id, NOW)
        assert lead.facts == lead_facts(s.get_one(Lead, lead_id))
        assert lead.facts.consents == {"email_marketing": True}
        assert lead.facts.fields["channel"] == "facebook_ads"
        assert lead.model == model
        assert sorted(lead.events, key=_key) == sorted(events, key=_key)
        assert len(events) == len(TOUCHES) - 1  # the note is of a type no rule reads
        # Contributions, parts, temperature, last events, evidence: the whole result, not only the total.
        by_event_path = score(lead.model.model, lead.facts, lead.events, NOW)
        reference = score_lead(s, lead_id, NOW)
        assert reference is not None
        assert by_event_path == reference.result
        assert by_event_path.contributions


def test_the_new_event_is_scored_as_its_stored_row_reads(db_url: str, admin: Principal) -> None:
    """The new event is scored from the values given, not read back: they must count as the row would."""
    lead_id = director(db_url, admin)
    body = EventIn(type="webinar_attend", occurred_at=NOW - timedelta(hours=1), properties={"minutes": 30.0})
    with unit_of_work(db_url) as s:
        lead = event_scoring.read_lead(s, admin, lead_id, NOW)
        event, _ = add_event(s, admin, lead_id, body, NOW)
        new = EventFact(body.type, event.occurred_at, body.properties)
        mine = event_scoring.rescore(s, lead, new, NOW)  # the same lead and event, scored again
        reference = score_lead(s, lead_id, NOW)
        assert reference is not None
        assert mine.result == reference.result
        assert {c.rule_id for c in mine.result.contributions} >= {"du-webinar", "du-webinar-lau"}
        s.rollback()


def test_an_event_reaches_only_the_leads_get_lead_finds(db_url: str) -> None:
    floor = build_floor(db_url)
    marketer = add_user(db_url, "mkt@pheu.test", Role.MARKETING, NOW)
    loner = add_user(db_url, "loner@pheu.test", Role.SALES_MANAGER, NOW)  # a manager with no team
    unassigned = add_lead(db_url, floor.admin, NOW, full_name="Chưa giao", email="chua-giao@example.vn")
    theirs = add_lead(db_url, floor.admin, NOW, email="cua-loner@example.vn", owner_id=loner.user_id)
    people = (floor.admin, marketer, floor.manager, loner, floor.rep1, floor.rep2)
    lead_ids = (floor.lead1, floor.lead2, unassigned, theirs)
    seen = 0
    for who in people:
        for lead_id in lead_ids:
            with unit_of_work(db_url) as s:
                try:
                    get_lead(s, who, lead_id)
                    visible = True
                except NotFound:
                    visible = False
            before = _events_of(db_url, lead_id)
            body = EventIn(type="reply", occurred_at=NOW - timedelta(hours=1))
            if visible:
                with unit_of_work(db_url) as s:
                    event, created = add_event(s, who, lead_id, body, NOW)
                assert created and event.lead_id == lead_id
                assert _events_of(db_url, lead_id) == before + 1
                seen += 1
            else:
                with pytest.raises(NotFound), unit_of_work(db_url) as s:
                    add_event(s, who, lead_id, body, NOW)
                assert _events_of(db_url, lead_id) == before, (who.role, lead_id)
    # Admin and marketer see all four; the manager their team's rep1 and the unassigned lead; the manager
    # without a team the unassigned lead and their own; each rep their own lead.
    assert seen == 4 + 4 + 2 + 2 + 1 + 1


def _events_of(url: str, lead_id: int) -> int:
    with unit_of_work(url) as s:
        return int(s.scalar(select(func.count()).select_from(Event).where(Event.lead_id == lead_id)) or 0)


def test_a_rep_adding_to_another_reps_lead_gets_not_found_and_no_score(db_url: str) -> None:
    floor = build_floor(db_url)
    with pytest.raises(NotFound), unit_of_work(db_url) as s:
        add_event(s, floor.rep1, floor.lead2, EventIn(type="meeting"), NOW)
    assert _events_of(db_url, floor.lead2) == 0
    assert stored(db_url, floor.lead2)["scored_at"] is None


def test_another_leads_delivery_is_refused_and_stores_nothing(db_url: str, admin: Principal) -> None:
    first = director(db_url, admin)
    second = director(db_url, admin, email="khac@gmail.com", phone="0987654321")
    body = EventIn(type="reply", occurred_at=NOW - timedelta(hours=1), source="zalo", external_id="m-7")
    with unit_of_work(db_url) as s:
        event, created = add_event(s, admin, first, body, NOW)
    assert created
    with pytest.raises(Invalid) as refused, unit_of_work(db_url) as s:
        add_event(s, admin, second, body, NOW)
    assert refused.value.field == "external_id"
    assert _events_of(db_url, second) == 0
    assert stored(db_url, second)["scored_at"] is None
    with unit_of_work(db_url) as s:
        again, created = add_event(s, admin, first, body, NOW)
    assert (again.id, created) == (event.id, False)


def test_the_next_event_scores_with_a_model_activated_meanwhile(db_url: str, admin: Principal) -> None:
    lead_id = director(db_url, admin)
    touch(db_url, admin, lead_id, "reply", NOW - timedelta(hours=2))
    base = default_model()
    louder = replace(
        base,
        version=2,
        behaviour_rules=tuple(
            replace(r, points=20, cap=60) if r.id == "tra-loi" else r for r in base.behaviour_rules
        ),
    )
    with unit_of_work(db_url) as s:  # as another process would: its own unit of work, committed
        scoring.import_model(s, admin, to_yaml(base), NOW, activate=True)
    touch(db_url, admin, lead_id, "note_added", NOW - timedelta(hours=1, minutes=30))
    assert stored(db_url, lead_id)["score_behaviour"] == 10
    with unit_of_work(db_url) as s:
        row = scoring.import_model(s, admin, to_yaml(louder), NOW, activate=True)
        louder_id = row.id
    touch(db_url, admin, lead_id, "note_added", NOW - timedelta(hours=1))
    after = stored(db_url, lead_id)
    assert after["score_model_id"] == louder_id
    assert after["score_behaviour"] == 20


def test_the_callers_session_stays_consistent(db_url: str, admin: Principal) -> None:
    """As ``calls.log_call`` uses it: a lead the session holds, with a change not yet flushed. The change
    counts (it is flushed before the read, as the ORM would), the held lead shows the new score, and the
    event comes back stored and clean, so the commit has nothing left to write for it."""
    lead_id = director(db_url, admin, job_title=None)  # 5 fit points: the phone
    with unit_of_work(db_url) as s:
        lead = get_lead(s, admin, lead_id)
        lead.job_title = "Giám đốc"  # 15 more
        event, created = add_event(
            s, admin, lead_id, EventIn(type="form_submit", occurred_at=NOW - timedelta(hours=1)), NOW
        )
        assert created
        assert (lead.score, lead.score_fit, lead.score_behaviour) == (30, 20, 10)
        assert event in s and not s.new and not s.dirty
        assert s.get(Event, event.id) is event
    after = stored(db_url, lead_id)
    assert (after["score"], after["score_fit"]) == (30, 20)
    with unit_of_work(db_url) as s:
        assert s.get_one(Event, event.id).type == "form_submit"


def test_a_move_the_model_makes_on_an_event_writes_the_move_the_audit_and_the_first_entry(
    db_url: str, admin: Principal
) -> None:
    """The model's move is written with Core (``stages.move_by_model``): the lead's stage, the move signed
    by the model, the audit entry and the first-entry moment are all there, and a lead entity the caller's
    session holds shows the new stage."""
    lead_id = director(db_url, admin)
    touch(db_url, admin, lead_id, "form_submit", NOW - timedelta(hours=5))
    touch(db_url, admin, lead_id, "pricing_page_view", NOW - timedelta(hours=4))
    with unit_of_work(db_url) as s:
        held = get_lead(s, admin, lead_id)
        assert held.stage == "iql"
        add_event(s, admin, lead_id, EventIn(type="reply", occurred_at=NOW - timedelta(hours=3)), NOW)
        assert held.stage == "mql"
        assert held.reached_mql_at == NOW
    with unit_of_work(db_url) as s:
        [move] = s.scalars(
            select(StageChange).where(StageChange.lead_id == lead_id, StageChange.to_stage == "mql")
        )
        assert (move.from_stage, move.actor_type, move.actor_label) == ("iql", "model", "model mac-dinh v1")
        assert move.at == NOW and move.reason
        entries = s.scalars(
            select(AuditEntry).where(AuditEntry.entity == "lead", AuditEntry.entity_id == str(lead_id))
        ).all()
        assert [e.changes["stage"] for e in entries if e.action == "move_stage"] == [["iql", "mql"]]
        lead = s.get_one(Lead, lead_id)
        assert (lead.stage, lead.stage_changed_at, lead.reached_mql_at) == ("mql", NOW, NOW)


def test_a_model_move_of_a_lead_that_left_the_stage_meanwhile_writes_nothing(
    db_url: str, admin: Principal
) -> None:
    """The move is guarded by the stage the model read: if a person moved the lead in between, the model's
    move (one statement on PostgreSQL) changes no row and adds no move and no audit entry."""
    from pheu import lifecycle
    from pheu.services import stages

    lead_id = director(db_url, admin)
    with unit_of_work(db_url) as s:
        moves = s.scalar(select(func.count()).select_from(StageChange))
        audits = s.scalar(select(func.count()).select_from(AuditEntry))
        done = stages.move_by_model(
            s,
            lead_id,
            lifecycle.LeadKind.SALES,
            lifecycle.Stage.MQL,  # what the model read; the lead is still IQL
            lifecycle.Stage.SQL,
            reason="đủ điểm",
            now=NOW,
            actor=lifecycle.Actor(lifecycle.ActorType.MODEL, "model mac-dinh v1"),
        )
    assert done is None
    with unit_of_work(db_url) as s:
        assert s.scalar(select(func.count()).select_from(StageChange)) == moves
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == audits
        lead = s.get_one(Lead, lead_id)
        assert (lead.stage, lead.reached_sql_at) == ("iql", None)
