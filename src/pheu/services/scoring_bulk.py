"""Set-wise scoring: every lead after the model changes, or a batch of leads after intake lands events.

Both read leads and events as arrays (``scoring_arrays``), score them together with ``pheu.score.bulk``
(the same arithmetic as the per-lead engine, so the numbers agree to the tenth), write the totals, parts
and temperatures back set-wise (``scoring_writes``) and then make the stage moves the model now calls for
(``scoring_moves``).

``rescore_all`` reads everything in one consistent snapshot (REPEATABLE READ on PostgreSQL) and then writes
in chunks, each its own transaction, so SQLite's single writer is never held for the whole run. A lead an
event re-scored after the run began keeps that newer score.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from typing import Any, Final

import numpy as np
from sqlalchemy.orm import Session

from pheu.auth.roles import Principal
from pheu.db import unit_of_work
from pheu.lifecycle import LeadKind
from pheu.score import LeadFacts
from pheu.score.bulk import BulkScores, EventBatch, Ints, LeadTable, fields_read, property_masks, rescore
from pheu.score.facts import EventFact
from pheu.score.model import LEAD_FIELDS
from pheu.services import scoring_moves
from pheu.services.scoring import (
    ActiveModel,
    activate_model,
    active_model,
    import_model,
    require_model_editor,
)
from pheu.services.scoring_arrays import NO_MODEL, Snapshot, Stored, load
from pheu.services.scoring_facts import facts_of
from pheu.services.scoring_writes import update_leads
from pheu.store.bulk import insert_scores
from pheu.store.scoring import SCORE_BEHAVIOUR, SCORE_FIT, SCORE_MODEL_ID, SCORED_AT, TEMPERATURE

WRITE_CHUNK: Final = 50_000
WRITERS: Final = 2
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class RescoreSummary:
    """``leads`` scored, ``written`` of them because their score changed, ``moved`` to a new stage by the
    model, in ``seconds`` (wall clock)."""

    leads: int
    moved: int
    seconds: float
    model: str
    written: int = 0

    def as_json(self) -> dict[str, int | float | str]:
        return {
            "leads": self.leads,
            "seconds": round(self.seconds, 3),
            "moved": self.moved,
            "written": self.written,
            "model": self.model,
        }


def whole_points(total: np.ndarray) -> np.ndarray:
    """Totals as whole points, halves up: what ``scoring_lead.whole_points`` does one lead at a time."""
    return np.floor(total + 0.5).astype(np.int64)


def temperatures(active: ActiveModel, total: np.ndarray) -> list[str]:
    bands = active.model.temperature
    return np.where(total >= bands.hot_at, "hot", np.where(total >= bands.warm_at, "warm", "cold")).tolist()  # type: ignore[no-any-return]


def changed(active: ActiveModel, snap: Snapshot, scores: BulkScores) -> Ints:
    """Positions of the leads whose stored score differs from the new one: only those are written, since
    on PostgreSQL every rewritten row costs an entry in each of the lead table's indexes."""
    stored = snap.stored
    model_id = NO_MODEL if active.row_id is None else active.row_id
    differs = (
        (whole_points(scores.total) != stored.score)
        | (scores.fit != stored.fit)
        | (scores.behaviour != stored.behaviour)
        | (np.array(temperatures(active, scores.total), dtype=object) != stored.temperature)
        | (stored.model_id != model_id)
    )
    return np.flatnonzero(differs)


def write_scores(
    session: Session, active: ActiveModel, snap: Snapshot, scores: BulkScores, now: datetime, rows: Ints
) -> None:
    """Store the new scores of the leads at positions ``rows``; a lead scored after ``now`` is left alone."""
    update_leads(
        session,
        {
            "id": snap.ids[rows].tolist(),
            "score": whole_points(scores.total[rows]).tolist(),
            SCORE_FIT: scores.fit[rows].tolist(),
            SCORE_BEHAVIOUR: scores.behaviour[rows].tolist(),
            TEMPERATURE: temperatures(active, scores.total[rows]),
        },
        {SCORED_AT: now, SCORE_MODEL_ID: active.row_id},
        scored_up_to=now,
    )


def score_leads(session: Session, lead_ids: Iterable[int], now: datetime) -> int:
    """Score a batch of leads inside the caller's transaction (intake calls this after landing a batch);
    returns how many the model moved to a new stage."""
    wanted = sorted(set(lead_ids))
    if not wanted:
        return 0
    active = active_model(session)
    snap = load(session, [active.model], now, wanted)
    scores = rescore(active.model, snap.table, snap.events, now, snap.masks)
    write_scores(session, active, snap, scores, now, changed(active, snap, scores))
    return scoring_moves.apply(session, active.model, snap, scores, now)


@dataclass(frozen=True, slots=True)
class NewLead:
    """A lead created in the caller's transaction whose only event is its capture: everything its score
    reads is in hand, so it is scored without reading it back. ``row`` holds its ``leads`` columns by name
    (``stage`` the one it was created in), ``channel`` its channel's code, ``consents`` its answers."""

    id: int
    row: Mapping[str, Any]
    channel: str | None
    consents: Mapping[str, bool]
    event: EventFact

    def facts(self, fields: Sequence[str]) -> LeadFacts:
        """The facts ``scoring_facts.lead_facts`` would read back, with only the lead ``fields`` given."""
        row = self.row
        return facts_of(
            {name: row[name] for name in fields},
            channel=self.channel,
            flags=row["flags"],
            kind=row["kind"],
            consents=dict(self.consents),
        )


def score_new_leads(
    session: Session, leads: Sequence[NewLead], now: datetime, active: ActiveModel | None = None
) -> int:
    """Score leads just created and write their score rows, which the caller left out (see
    ``store.bulk.insert_with_ids``); returns how many the model moved to a new stage.

    The same arithmetic as ``score_leads`` on the same facts, minus the round trip: at an import's pace,
    reading a million new leads and their events back and rewriting each score row was an eighth of the
    import's time."""
    if not leads:
        return 0
    active = active or active_model(session)
    ordered = sorted(leads, key=attrgetter("id"))
    read = fields_read(active.model)
    fields = sorted({"email" if name == "email_domain" else name for name in read} & LEAD_FIELDS)
    facts = [lead.facts(fields) for lead in ordered]
    table = LeadTable.from_facts(facts, read)
    batch = EventBatch.from_facts([[lead.event] for lead in ordered])
    masks = property_masks(active.model, batch)
    scores = rescore(active.model, table, batch, now, masks)
    size = len(ordered)
    ids = np.fromiter((lead.id for lead in ordered), np.int64, size)
    points = whole_points(scores.total).tolist()
    insert_scores(
        session,
        ids.tolist(),
        [
            {
                "score": total,
                SCORE_FIT: fit,
                SCORE_BEHAVIOUR: behaviour,
                TEMPERATURE: temperature,
                SCORED_AT: now,
                SCORE_MODEL_ID: active.row_id,
            }
            for total, fit, behaviour, temperature in zip(
                points,
                scores.fit.tolist(),
                scores.behaviour.tolist(),
                temperatures(active, scores.total),
                strict=True,
            )
        ],
    )
    never = Stored(
        score=np.zeros(size, np.int64),
        fit=np.full(size, np.nan),
        behaviour=np.full(size, np.nan),
        temperature=np.full(size, None, dtype=object),
        model_id=np.full(size, NO_MODEL, np.int64),
    )
    sales = np.fromiter((f.kind is LeadKind.SALES for f in facts), np.bool_, size)
    snap = Snapshot(ids, sales, tuple(lead.row["stage"] for lead in ordered), table, batch, masks, never)
    return scoring_moves.apply(session, active.model, snap, scores, now)


def rescore_all(
    url: str, now: datetime, progress: Progress | None = None, principal: Principal | None = None
) -> RescoreSummary:
    """Score every lead with the active model at ``now`` and make the stage moves that now qualify.
    ``progress(step, done, total)`` is called with "read", then "write" per chunk, then "stages"."""
    require_model_editor(principal)
    started = time.perf_counter()
    with unit_of_work(url) as session:
        _consistent_reads(session)
        active = active_model(session)
        snap = load(session, [active.model], now)
    if progress:
        progress("read", snap.size, snap.size)
    scores = rescore(active.model, snap.table, snap.events, now, snap.masks)
    rows = changed(active, snap, scores)
    _write_all(url, active, snap, scores, now, rows, progress)
    with unit_of_work(url) as session:
        moved = scoring_moves.apply(session, active.model, snap, scores, now)
    if progress:
        progress("stages", 1, 1)
    return RescoreSummary(snap.size, moved, time.perf_counter() - started, active.model.label, len(rows))


def _write_all(
    url: str,
    active: ActiveModel,
    snap: Snapshot,
    scores: BulkScores,
    now: datetime,
    rows: Ints,
    progress: Progress | None,
) -> None:
    """Chunks of changed leads, each in its own transaction. PostgreSQL takes two at once: the work is its
    index maintenance, and two backends use two cores (the chunks' leads are disjoint, so they never wait
    on each other). SQLite has one writer."""
    chunks = [rows[i : i + WRITE_CHUNK] for i in range(0, len(rows), WRITE_CHUNK)]

    def write(chunk: Ints) -> int:
        with unit_of_work(url) as session:
            write_scores(session, active, snap, scores, now, chunk)
        return len(chunk)

    workers = WRITERS if url.startswith("postgresql") else 1
    done = 0
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for written in pool.map(write, chunks):
            done += written
            if progress:
                progress("write", done, len(rows))


def _consistent_reads(session: Session) -> None:
    """Leads and events from one snapshot, so no event is counted for a lead the read did not see."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


@dataclass(frozen=True, slots=True)
class Activation:
    model_id: int
    label: str
    rescore: RescoreSummary | None


def activate(
    url: str, principal: Principal | None, model_id: int, now: datetime, *, rescore_leads: bool = True
) -> Activation:
    """Activate a stored version (its own commit) and, unless told not to, rescore every lead with it."""
    with unit_of_work(url) as session:
        row = activate_model(session, principal, model_id, now)
        activated = Activation(row.id, row.label, None)
    if not rescore_leads:
        return activated
    return Activation(activated.model_id, activated.label, rescore_all(url, now))


def import_and_activate(
    url: str,
    principal: Principal | None,
    source: str | Mapping[str, Any],
    now: datetime,
    *,
    activate_it: bool = False,
    rescore_leads: bool = True,
) -> Activation:
    """Store a version (see ``scoring.import_model``) and, when asked, activate it and rescore."""
    with unit_of_work(url) as session:
        row = import_model(session, principal, source, now)
        stored = Activation(row.id, row.label, None)
    if not activate_it:
        return stored
    return activate(url, principal, stored.model_id, now, rescore_leads=rescore_leads)
