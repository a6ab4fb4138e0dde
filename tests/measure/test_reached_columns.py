"""``leads.reached_*_at`` always equal ``measure.paths.reached`` over the lead's stored moves, whoever writes
the moves: the stage service, plain inserts, COPY in bulk, merges and their undo, back-dating, deletion. The
database's triggers keep them (migration 0008); these tests hold them to the reference definition."""

from __future__ import annotations

import importlib
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from pheu.auth.roles import Principal, Role
from pheu.db import get_engine, unit_of_work
from pheu.demo.seed import seed
from pheu.lifecycle import SALES_STAGES, Stage
from pheu.measure.paths import ABOVE_IQL, LeadPath, reached
from pheu.services import merges, stages
from pheu.store import Lead, StageChange, User
from pheu.store.bulk import COPY_FROM, insert_many
from pheu.store.leads import LEADS, REACHED_COLUMNS
from tests.conftest import NOW
from tests.measure.histories import DISQUALIFIED, IQL, LOST, MQL, OPP, SQL, day

Moments = tuple[datetime | None, ...]
NONE: Moments = (None, None, None, None)


def add_lead(s: Session, created: float, *moves: tuple[Stage, float], kind: str = "sales") -> int:
    """A lead created on day ``created`` with a creation move, then ``moves`` inserted one by one."""
    first = Stage.APPLICANT if kind == "recruitment" else IQL
    lead = Lead(kind=kind, stage=first.value, created_at=day(created), updated_at=day(created))
    s.add(lead)
    s.flush()
    for stage, when in ((first, created), *moves):
        s.add(StageChange(lead_id=lead.id, to_stage=stage.value, at=day(when), actor_type="system"))
        s.flush()
    return lead.id


def stored(url: str, lead_id: int) -> Moments:
    """The lead's stored first entries into MQL, SQL, Opportunity and Customer, read afresh."""
    with unit_of_work(url) as s:
        row = s.execute(
            select(
                Lead.reached_mql_at,
                Lead.reached_sql_at,
                Lead.reached_opportunity_at,
                Lead.reached_customer_at,
            ).where(Lead.id == lead_id)
        ).one()
        return tuple(row)


def days(*offsets: float | None) -> Moments:
    return tuple(None if n is None else day(n) for n in offsets)


def expected(url: str, lead_id: int) -> Moments:
    """What ``paths.reached`` makes of the lead's moves as stored now (the reference definition)."""
    with unit_of_work(url) as s:
        created = s.scalar(select(Lead.created_at).where(Lead.id == lead_id))
        moves = s.execute(select(StageChange.to_stage, StageChange.at).where(StageChange.lead_id == lead_id))
        entries: dict[Stage, datetime] = {}
        for stage, at in moves:
            if Stage(stage) not in entries or at < entries[Stage(stage)]:
                entries[Stage(stage)] = at
    assert created is not None
    found = reached(LeadPath(lead_id, created, entries), datetime.max.replace(tzinfo=UTC))
    return tuple(found.get(stage) for stage in ABOVE_IQL)


def test_a_skipped_stage_is_reached_with_the_one_it_skipped_to(db_url: str) -> None:
    with unit_of_work(db_url) as s:
        lead = add_lead(s, 0)
    with unit_of_work(db_url) as s:  # the stage service's own path: IQL → SQL on a demo request
        stages.move_stage(s, None, lead, Stage.SQL, reason="demo request", now=day(2))
    assert stored(db_url, lead) == days(2, 2, None, None)


def test_moving_back_and_forward_again_keeps_the_first_entry(db_url: str) -> None:
    with unit_of_work(db_url) as s:
        lead = add_lead(s, 0, (MQL, 1), (SQL, 3), (MQL, 4), (IQL, 5), (SQL, 6), (LOST, 7), (MQL, 9))
    assert stored(db_url, lead) == days(1, 3, None, None)
    with unit_of_work(db_url) as s:  # a move typed in late, dated before the rest, still counts first
        s.add(StageChange(lead_id=lead, to_stage=OPP.value, at=day(2), actor_type="user"))
    assert stored(db_url, lead) == days(1, 2, 2, None)


def test_exits_and_iql_are_not_levels(db_url: str) -> None:
    with unit_of_work(db_url) as s:
        lead = add_lead(s, 0, (LOST, 1), (IQL, 2), (DISQUALIFIED, 3))
    assert stored(db_url, lead) == NONE


def test_recruitment_leads_are_left_alone(db_url: str) -> None:
    with unit_of_work(db_url) as s:
        lead = add_lead(s, 0, (Stage.INTERVIEW, 1), (Stage.HIRED, 2), (Stage.REJECTED, 3), kind="recruitment")
    assert stored(db_url, lead) == NONE


def test_a_back_dated_move_moves_the_moment(db_url: str) -> None:
    """The demo dates the scoring model's moves after the fact: an UPDATE of ``at`` is followed."""
    with unit_of_work(db_url) as s:
        lead = add_lead(s, 0, (MQL, 10), (SQL, 12))
    with unit_of_work(db_url) as s:
        s.execute(update(StageChange).where(StageChange.to_stage == "mql").values(at=day(4)))
    assert stored(db_url, lead) == days(4, 12, None, None)
    with unit_of_work(db_url) as s:  # later than the SQL move: MQL is then first reached with SQL
        s.execute(update(StageChange).where(StageChange.to_stage == "mql").values(at=day(20)))
    assert stored(db_url, lead) == days(12, 12, None, None)
    with unit_of_work(db_url) as s:  # a move re-typed to another stage
        s.execute(update(StageChange).where(StageChange.to_stage == "sql").values(to_stage="customer"))
    assert stored(db_url, lead) == days(12, 12, 12, 12)


def test_a_deleted_move_and_a_deleted_lead(db_url: str) -> None:
    with unit_of_work(db_url) as s:
        gone = add_lead(s, 0, (MQL, 1), (SQL, 2))
        other = add_lead(s, 0, (MQL, 3))
    with unit_of_work(db_url) as s:
        s.execute(delete(StageChange).where(StageChange.lead_id == gone, StageChange.to_stage == "mql"))
    assert stored(db_url, gone) == days(2, 2, None, None)
    with unit_of_work(db_url) as s:
        s.execute(delete(StageChange).where(StageChange.lead_id == gone, StageChange.to_stage == "sql"))
    assert stored(db_url, gone) == NONE
    with unit_of_work(db_url) as s:  # its remaining moves go with it; nobody else's moments change
        s.execute(delete(LEADS).where(LEADS.c.id == gone))
    with unit_of_work(db_url) as s:
        assert s.get(Lead, gone) is None
        assert s.scalar(select(StageChange.id).where(StageChange.lead_id == gone)) is None
    assert stored(db_url, other) == days(3, None, None, None)


def test_a_merge_brings_the_dropped_leads_moves_and_its_undo_takes_them_back(db_url: str) -> None:
    with unit_of_work(db_url) as s:
        boss = User(email="boss@x.vn", name="boss", password_hash="-", role="admin")
        s.add(boss)
        s.flush()
        admin = Principal(user_id=boss.id, name="boss", role=Role.ADMIN)
        keep = add_lead(s, 10, (MQL, 15))
        drop = add_lead(s, 0, (MQL, 2), (SQL, 3), (LOST, 5))
    with unit_of_work(db_url) as s:
        merge_id = merges.merge_leads(s, admin, keep, drop, day(20)).id
    assert stored(db_url, keep) == days(2, 3, None, None)
    with unit_of_work(db_url) as s:
        merges.undo_merge(s, admin, merge_id, day(21))
    assert stored(db_url, keep) == days(15, None, None, None)
    assert stored(db_url, drop) == days(2, 3, None, None)


def test_moves_copied_in_bulk_are_followed(db_url: str) -> None:
    """Scoring writes its moves with ``insert_many`` (COPY on PostgreSQL from ``COPY_FROM`` rows)."""
    with unit_of_work(db_url) as s:
        leads = [add_lead(s, 0) for _ in range(COPY_FROM // 2 + 1)]
    rows = [
        {
            "lead_id": lead,
            "from_stage": "iql",
            "to_stage": stage,
            "at": day(n + 1),
            "actor_type": "model",
            "actor_label": "model",
            "reason": "",
        }
        for lead in leads
        for n, stage in enumerate(("mql", "sql"))
    ]
    with unit_of_work(db_url) as s:
        insert_many(s, StageChange, rows)
    assert {stored(db_url, lead) for lead in leads} == {days(1, 2, None, None)}


def test_random_histories_match_the_reference_definition(db_url: str) -> None:
    """Random moves (levels, exits, moves back), written in random order and batches, then re-dated,
    moved between leads and deleted: after every step each lead's columns are ``paths.reached``."""
    rng = random.Random(6)
    with unit_of_work(db_url) as s:
        leads = [add_lead(s, 0) for _ in range(4)]
    for _ in range(12):
        _random_step(db_url, rng, leads)
        for lead in leads:
            assert stored(db_url, lead) == expected(db_url, lead)


def _random_step(url: str, rng: random.Random, leads: Sequence[int]) -> None:
    with unit_of_work(url) as s:
        ids = list(s.scalars(select(StageChange.id)))
        choice = rng.random()
        if choice < 0.45 or len(ids) < 3:
            rows = [
                {
                    "lead_id": rng.choice(leads),
                    "to_stage": rng.choice(SALES_STAGES).value,
                    "at": day(rng.randint(1, 60)) + timedelta(minutes=rng.randint(0, 59)),
                    "actor_type": "user",
                }
                for _ in range(rng.randint(1, 6))
            ]
            s.execute(insert(StageChange), rows)
        elif choice < 0.65:
            chosen = rng.sample(ids, k=rng.randint(1, 3))
            s.execute(
                update(StageChange).where(StageChange.id.in_(chosen)).values(at=day(rng.randint(1, 60)))
            )
        elif choice < 0.85:
            chosen = rng.sample(ids, k=rng.randint(1, 3))
            s.execute(update(StageChange).where(StageChange.id.in_(chosen)).values(lead_id=rng.choice(leads)))
        else:
            s.execute(delete(StageChange).where(StageChange.id.in_(rng.sample(ids, k=rng.randint(1, 2)))))


def test_the_demo_with_its_back_dated_model_moves_is_followed(db_url: str) -> None:
    """The demo loads leads and moves in bulk, lets the scoring model move leads, then back-dates those moves."""
    seed(get_engine(db_url), n_leads=300, now=NOW, seed=5)
    with unit_of_work(db_url) as s:
        lead_ids = list(s.scalars(select(Lead.id).where(Lead.kind == "sales")))
        assert s.scalar(select(func.count()).where(Lead.reached_customer_at.is_not(None)))
    assert {lead: stored(db_url, lead) for lead in lead_ids} == {
        lead: expected(db_url, lead) for lead in lead_ids
    }


def test_the_migration_names_the_funnel_above_iql() -> None:
    """The triggers spell out the stages above IQL: a change to the funnel needs a migration of its own."""
    migration = importlib.import_module("pheu.migrations.versions.0008_lead_reached")
    assert tuple(stage.value for stage in ABOVE_IQL) == migration.LEVELS
    assert migration.COLUMNS == REACHED_COLUMNS
