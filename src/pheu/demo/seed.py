"""Writing the demo into a database: set-wise, in one transaction, refusing to mix with real leads.

The demo may land in a database that already has a few users, teams or channels (an admin created by hand,
channels set up in the UI). Existing channels, teams and users with the demo's names are reused and every
other generated id is shifted past what is there, so the generator can keep numbering from 1.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from sqlalchemy import Engine, bindparam, func, select, text, update
from sqlalchemy.orm import Session

from pheu.auth.passwords import hash_password
from pheu.db import get_engine, unit_of_work
from pheu.demo.catalogue import DEMO_USERS, Catalogue, build_catalogue
from pheu.demo.generate import iter_lead_chunks
from pheu.services.scoring import ensure_default
from pheu.services.scoring_bulk import rescore_all
from pheu.store import (
    AuditEntry,
    Base,
    Campaign,
    CampaignCost,
    Channel,
    Consent,
    Event,
    Lead,
    StageChange,
    Team,
    User,
)
from pheu.store.bulk import insert_many, table_of
from pheu.store.leads import LEADS

Row = dict[str, Any]
Progress = Callable[[str, int, int], None]
BATCH: Final = 5000
_MODELS: Final[tuple[type[Base], ...]] = (
    Channel,
    Campaign,
    CampaignCost,
    Team,
    User,
    Lead,
    Consent,
    Event,
    StageChange,
)


class DemoDataRefused(RuntimeError):
    """The database is not fit for demo data; the message says why and what to do instead."""


@dataclass(frozen=True, slots=True)
class DemoLogin:
    email: str
    password: str | None
    role: str
    name: str
    created: bool = True


@dataclass(frozen=True, slots=True)
class DemoSummary:
    """Rows written per table, the accounts to log in with, and how long it took (seconds)."""

    counts: dict[str, int]
    logins: tuple[DemoLogin, ...]
    seconds: float

    @property
    def leads(self) -> int:
        return self.counts.get("leads", 0)

    @property
    def events(self) -> int:
        return self.counts.get("events", 0)


class _IdMap:
    """Where each generated id lands in this database: onto an existing row, or past the largest id."""

    def __init__(self, session: Session, catalogue: Catalogue) -> None:
        self.offset = {m.__tablename__: self._max_id(session, m) for m in _MODELS}
        self.reused: dict[str, dict[int, int]] = {
            "channels": self._reuse(session, Channel, Channel.code, catalogue.channels_rows, "code"),
            "teams": self._reuse(session, Team, Team.name, catalogue.teams_rows, "name"),
            "users": self._reuse(session, User, User.email, catalogue.users_rows, "email"),
        }

    @staticmethod
    def _max_id(session: Session, model: type[Base]) -> int:
        column = table_of(model).c.id
        return int(session.scalar(select(func.coalesce(func.max(column), 0))) or 0)

    @staticmethod
    def _reuse(session: Session, model: type[Base], key: Any, rows: list[Row], field: str) -> dict[int, int]:
        wanted = {row[field]: row["id"] for row in rows}
        found = session.execute(select(key, table_of(model).c.id).where(key.in_(wanted))).all()
        return {wanted[value]: existing for value, existing in found}

    def new_rows(self, table: str, rows: Iterable[Row]) -> list[Row]:
        """Copies of the rows that must be inserted (not reused), with their own id mapped."""
        reused = self.reused.get(table, {})
        return [{**row, "id": self.id(table, row["id"])} for row in rows if row["id"] not in reused]

    def id(self, table: str, generated: int | None) -> int | None:
        if generated is None:
            return None
        reused = self.reused.get(table)
        if reused and generated in reused:
            return reused[generated]
        return generated + self.offset[table]

    def apply(self, rows: list[Row], own: str, refs: Mapping[str, str]) -> list[Row]:
        """Maps each row's ``id`` (in table ``own``) and the foreign keys ``refs`` (column → table), in place."""
        if not any(self.offset[t] or self.reused.get(t) for t in (own, *refs.values())):
            return rows
        for row in rows:
            row["id"] = self.id(own, row["id"])
            for column, table in refs.items():
                row[column] = self.id(table, row[column])
        return rows


def _insert(session: Session, model: type[Base], rows: list[Row]) -> int:
    """Core executemany on the table: the ORM's bulk path splits rows by which columns are None, and
    issues a statement per group, which is several times slower for rows as varied as leads."""
    for start in range(0, len(rows), BATCH):
        insert_many(session, model, rows[start : start + BATCH])  # a lead's score row too
    return len(rows)


def _reference(
    session: Session, ids: _IdMap, catalogue: Catalogue, hashes: Mapping[str, str]
) -> dict[str, int]:
    passwords = {u.id: u.password for u in DEMO_USERS}
    users = [
        {
            **row,
            "id": ids.id("users", row["id"]),
            "team_id": ids.id("teams", row["team_id"]),
            "password_hash": hashes[passwords[row["id"]]],
        }
        for row in catalogue.users_rows
        if row["id"] not in ids.reused["users"]
    ]
    campaigns = [
        {**row, "channel_id": ids.id("channels", row["channel_id"])} for row in catalogue.campaigns_rows
    ]
    costs = [dict(row) for row in catalogue.costs_rows]
    return {
        "channels": _insert(session, Channel, ids.new_rows("channels", catalogue.channels_rows)),
        "teams": _insert(session, Team, ids.new_rows("teams", catalogue.teams_rows)),
        "users": _insert(session, User, users),
        "campaigns": _insert(session, Campaign, ids.apply(campaigns, "campaigns", {})),
        "campaign_costs": _insert(
            session, CampaignCost, ids.apply(costs, "campaign_costs", {"campaign_id": "campaigns"})
        ),
    }


def _engine(engine_or_url: Engine | str) -> Engine:
    return get_engine(engine_or_url) if isinstance(engine_or_url, str) else engine_or_url


def _any_lead(session: Session) -> bool:
    return session.scalar(select(Lead.id).limit(1)) is not None


def has_leads(engine_or_url: Engine | str) -> bool:
    """Whether the (migrated) database holds any lead, i.e. whether ``seed`` would refuse it."""
    with Session(_engine(engine_or_url)) as session:
        return _any_lead(session)


def _refuse_if_not_empty(session: Session, catalogue: Catalogue) -> None:
    if _any_lead(session):
        raise DemoDataRefused(
            "This database already has leads; demo data is only loaded into a database without any. "
            "Point PHEU_DATABASE_URL at a new database (for example sqlite:///demo.db) and run the demo again."
        )
    slugs = [row["utm_campaign"] for row in catalogue.campaigns_rows]
    clash = session.scalar(select(Campaign.utm_campaign).where(Campaign.utm_campaign.in_(slugs)).limit(1))
    if clash is not None:
        raise DemoDataRefused(
            f"A campaign with utm_campaign '{clash}' already exists; demo campaigns would clash with it. "
            "Load the demo into a new database."
        )


def _reset_sequences(session: Session) -> None:
    """PostgreSQL does not advance a sequence for explicit ids; without this the next insert would collide."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for model in _MODELS:
        table = model.__tablename__
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 - names are ours
                f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
            )
        )


def seed(
    engine_or_url: Engine | str,
    n_leads: int = 5000,
    now: datetime | None = None,
    seed: int = 42,
    progress: Progress | None = None,
) -> DemoSummary:
    """Load ``n_leads`` demo leads covering the six months before ``now`` (default: the current time).

    Everything is written in one transaction, so a failure leaves the database as it was. Raises
    ``DemoDataRefused`` if the database already holds leads. ``progress(step, done, total)`` is called with
    step "reference" once, then "leads" after every chunk.
    """
    started = time.perf_counter()
    engine = _engine(engine_or_url)
    rng = random.Random(seed)
    now = now or datetime.now(UTC)
    catalogue = build_catalogue(n_leads, now, rng)
    hashes = {password: hash_password(password) for password in {u.password for u in DEMO_USERS}}
    with Session(engine) as session, session.begin():
        _refuse_if_not_empty(session, catalogue)
        ids = _IdMap(session, catalogue)
        counts = _reference(session, ids, catalogue, hashes)
        if progress:
            progress("reference", 1, 1)
        done = 0
        lead_refs = {"channel_id": "channels", "campaign_id": "campaigns", "owner_id": "users"}
        for chunk in iter_lead_chunks(catalogue, rng, BATCH):
            written = {
                "leads": _insert(session, Lead, ids.apply(chunk.leads, "leads", lead_refs)),
                "stage_changes": _insert(
                    session,
                    StageChange,
                    ids.apply(
                        chunk.stage_changes, "stage_changes", {"lead_id": "leads", "actor_user_id": "users"}
                    ),
                ),
                "events": _insert(session, Event, ids.apply(chunk.events, "events", {"lead_id": "leads"})),
                "consents": _insert(
                    session, Consent, ids.apply(chunk.consents, "consents", {"lead_id": "leads"})
                ),
            }
            for table, count in written.items():
                counts[table] = counts.get(table, 0) + count
            done += len(chunk.leads)
            if progress:
                progress("leads", done, n_leads)
        _reset_sequences(session)
    counts["stage_changes"] += _score(engine, now)
    from pheu.demo.tasks import seed_tasks  # queue, past calls, won values, lost codes

    handoff_work = seed_tasks(engine, now, seed)
    counts["events"] = counts.get("events", 0) + handoff_work.pop("call_events")
    counts.update(handoff_work)
    from pheu.demo.handoff import seed_handoff  # managers, rules, reps' hours, assignment history

    counts.update(seed_handoff(engine, now, seed))
    from pheu.demo.capture import seed_capture  # forms and their submissions, an import, duplicates to review

    for table, added in seed_capture(engine, now, seed).items():
        counts[table] = counts.get(table, 0) + added
    return DemoSummary(
        counts=counts, logins=_logins(ids.reused["users"]), seconds=time.perf_counter() - started
    )


def _score(engine: Engine, now: datetime) -> int:
    """Store the default scoring model as the active one and score every demo lead with it, so scores and
    temperatures are real; returns the stage moves the model made (leads that now meet its thresholds)."""
    url = engine.url.render_as_string(hide_password=False)
    with unit_of_work(url) as session:
        ensure_default(session, now)
        last_move = _max_id(session, StageChange)
        last_audit = _max_id(session, AuditEntry)
    moved = rescore_all(url, now).moved
    with unit_of_work(url) as session:
        _backdate_model_moves(session, last_move, last_audit, now)
    return moved


def _max_id(session: Session, model: type[Base]) -> int:
    return int(session.scalar(select(func.coalesce(func.max(model.__table__.c.id), 0))) or 0)


def _backdate_model_moves(session: Session, last_move: int, last_audit: int, now: datetime) -> None:
    """Date the moves the demo's one-off rescore made as if the model had run all along.

    Rescoring stamps every move it makes "now", which would put a thousand MQLs on the demo's last day and
    make the dashboard's "moves in the period" spike there. A live model moves a lead when an event pushes
    its score over the threshold; the middle of the lead's events since its previous move stands in for
    that event (the score builds up over them), and the move lands a few minutes after it, when the scoring
    job ran. The lead's ``stage_changed_at``/``updated_at`` and the audit entries follow.
    """
    moves = session.execute(
        select(StageChange.id, StageChange.lead_id).where(StageChange.id > last_move).order_by(StageChange.id)
    ).all()
    if not moves:
        return
    events: dict[int, list[datetime]] = {}
    for lead_id, at in session.execute(
        select(Event.lead_id, Event.occurred_at)
        .where(
            Event.lead_id.in_(select(StageChange.lead_id).where(StageChange.id > last_move)),
            Event.occurred_at <= now,
        )
        .order_by(Event.lead_id, Event.occurred_at)
    ):
        events.setdefault(lead_id, []).append(at)
    earlier = StageChange.__table__.alias("earlier")
    previous_move = dict(
        session.execute(
            select(earlier.c.lead_id, func.max(earlier.c.at))
            .where(
                earlier.c.lead_id.in_(select(StageChange.lead_id).where(StageChange.id > last_move)),
                earlier.c.id <= last_move,
            )
            .group_by(earlier.c.lead_id)
        ).all()
    )
    moment: dict[int, datetime] = {}
    for _, lead_id in moves:
        if lead_id in moment:
            continue
        before = previous_move.get(lead_id)
        since = [at for at in events.get(lead_id, []) if before is None or at >= before]
        # The score builds up over the lead's activity since its last move: the middle of it stands in for
        # the event that tipped it over.
        tipped = since[len(since) // 2] if since else before
        if tipped is not None:
            minutes = 3 + (lead_id * 7919) % 55  # the scoring job's delay, varied but reproducible
            moment[lead_id] = min(tipped + timedelta(minutes=minutes), now)
    session.execute(
        update(StageChange),
        [{"id": move_id, "at": moment[lead_id]} for move_id, lead_id in moves if lead_id in moment],
    )
    session.execute(
        update(LEADS).where(LEADS.c.id == bindparam("lead_id")),
        [{"lead_id": lead_id, "stage_changed_at": at, "updated_at": at} for lead_id, at in moment.items()],
    )
    audits = session.execute(
        select(AuditEntry.id, AuditEntry.entity_id).where(
            AuditEntry.id > last_audit, AuditEntry.action == "move_stage", AuditEntry.entity == "lead"
        )
    ).all()
    by_text = {str(lead_id): at for lead_id, at in moment.items()}
    rows = [{"id": audit_id, "at": by_text[lead]} for audit_id, lead in audits if lead in by_text]
    if rows:
        session.execute(update(AuditEntry), rows)


def _logins(existing: Mapping[int, int]) -> tuple[DemoLogin, ...]:
    """Demo accounts; one that already existed keeps its own password, which we do not know."""
    return tuple(
        DemoLogin(u.email, None, u.role, u.name, created=False)
        if u.id in existing
        else DemoLogin(u.email, u.password, u.role, u.name)
        for u in DEMO_USERS
    )
