"""A new event's score and stage on the shortest path: the work every incoming touch does.

``events.add_event`` reads once what it needs to know before writing, scores in Python, and writes the event
and the score. The read narrows to the leads the principal may see (``leads.visible``) and brings the lead's
fit columns, channel code, flags and consents, the active model's row, its last manual stage move, and any
event already stored under the delivery's (source, external_id); on PostgreSQL it also brings the lead's
stored events, as arrays, so the whole read is one round trip. SQLite has no arrays and no round trips (it
runs in-process), so it reads the events with a second plain query on ``ix_events_lead_occurred``. The new
event is scored with the stored ones, so nothing is read back after the INSERT. A stage move, which a few
percent of events cause, is written with Core too (``stages.move_by_model``).

The active model is read with the lead every time rather than cached: the join costs no extra round trip,
and a model activated in another process is seen by the very next event. Its parse is cached
(``scoring.model_for``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, func, select, true
from sqlalchemy.orm import Session

from pheu.auth.roles import Principal
from pheu.score import EventFact, LeadFacts, score
from pheu.score.model import LEAD_FIELDS
from pheu.services.errors import NotFound
from pheu.services.leads import visibility_key, visible
from pheu.services.scoring import ActiveModel, model_for, model_key
from pheu.services.scoring_facts import facts_of, last_manual_move_of, lead_events, read_by
from pheu.services.scoring_lead import LeadScore, move_if_proposed, store_result
from pheu.store import Channel, Consent, Event, Lead, ScoringModelVersion
from pheu.store.bulk import table_of


@dataclass(frozen=True, slots=True)
class EventLead:
    """A lead the principal may see, as an event's scoring reads it. ``events`` are its stored events of the
    types the model reads; ``delivered`` is the id of an event already stored under the (source,
    external_id) asked about, if any, whichever lead it belongs to."""

    id: int
    stage: str
    facts: LeadFacts
    model: ActiveModel
    events: list[EventFact]
    delivered: int | None
    last_manual_move_at: datetime | None


_LEADS = table_of(Lead)
_CHANNELS = table_of(Channel)
_CONSENTS = table_of(Consent)
_EVENTS = table_of(Event)
_FIELDS = tuple(sorted(LEAD_FIELDS))
_FIRST_FIELD = 4  # after id, stage, kind and flags
# Built once per database and per visibility (``leads.visibility_key``): on the path of every event,
# building and keying a statement costs more than running it.
_READS: dict[tuple[Any, ...], Select[Any]] = {}


def read_lead(
    session: Session,
    principal: Principal,
    lead_id: int,
    at: datetime,
    *,
    source: str | None = None,
    external_id: str | None = None,
) -> EventLead:
    """What an event on ``lead_id`` needs to know, with its stored events up to ``at``. ``NotFound`` for a lead
    that does not exist or that the principal may not see, exactly as ``leads.get_lead``. Changes pending in
    the session are flushed first, as the ORM's own query would have done (autoflush)."""
    if session.autoflush:
        session.flush()
    pg = session.get_bind().dialect.name == "postgresql"
    params = {"lead_id": lead_id, "at": at, "source": source, "external_id": external_id}
    rows = session.connection().execute(_read(session, principal, pg), params).all()
    if not rows:
        raise NotFound(f"No lead with id {lead_id}.")
    first = rows[0]
    if pg:
        consents = dict(first.consents or {})
    else:
        consents = {row.purpose: row.granted for row in rows if row.purpose is not None}
    facts = facts_of(
        dict(zip(_FIELDS, first[_FIRST_FIELD : _FIRST_FIELD + len(_FIELDS)], strict=True)),
        channel=first.channel,
        flags=first.flags,
        kind=first.kind,
        consents=consents,
    )
    active = model_for(session, first.model_id, first.model_key)
    if pg:
        events = read_by(
            active.model, zip(first.types or (), first.times or (), first.properties or (), strict=True)
        )
    else:
        events = lead_events(session, lead_id, at, active.model)
    return EventLead(first.id, first.stage, facts, active, events, first.delivered, first.manual_at)


def rescore(session: Session, lead: EventLead, new: EventFact, now: datetime) -> LeadScore:
    """Score the lead at ``now`` from its stored events and the ``new`` one just written, store the score,
    and make the stage move the model proposes: what ``scoring_lead.score_lead`` does from the entity."""
    model = lead.model.model
    result = score(model, lead.facts, [*lead.events, *read_by(model, [_as_stored(new)])], now)
    store_result(session, lead.id, result, lead.model.row_id, now)
    moved = move_if_proposed(
        session, model, lead.id, lead.stage, lead.facts, result, lead.last_manual_move_at, now
    )
    return LeadScore(lead.id, result, moved)


def _as_stored(event: EventFact) -> tuple[str, datetime, Any]:
    """The event as a read of its row would give it: properties through JSON, as the column stores them."""
    properties = json.loads(json.dumps(event.properties)) if event.properties else {}
    return event.type, event.occurred_at, properties


def _read(session: Session, principal: Principal, pg: bool) -> Select[Any]:
    key = (pg, *visibility_key(principal))
    stmt = _READS.get(key)
    if stmt is None:
        if len(_READS) >= 256:  # more people than a sales floor has: start over rather than track use
            _READS.clear()
        stmt = _READS[key] = visible(_pg_read(session) if pg else _sqlite_read(session), principal)
    return stmt


def _common(session: Session) -> tuple[Select[Any], Any]:
    """The read both databases share, and the FROM it builds on: the lead's columns, its channel's code, the
    active model's row (``model_key`` as ``scoring.model_for`` takes it) and an earlier delivery."""
    active = (
        select(ScoringModelVersion.id, model_key(session).label("model_key"))
        .where(ScoringModelVersion.active)
        .subquery("m")
    )
    # Only the id, which the unique index (source, external_id) covers: SQLite's planner, told by its
    # statistics that most events share one source and no external_id, would rather scan for anything more.
    delivered = (
        select(_EVENTS.c.id)
        .where(_EVENTS.c.source == bindparam("source"), _EVENTS.c.external_id == bindparam("external_id"))
        .scalar_subquery()
    )
    joined = _LEADS.outerjoin(_CHANNELS, _CHANNELS.c.id == _LEADS.c.channel_id).outerjoin(active, true())
    stmt = select(
        _LEADS.c.id,
        _LEADS.c.stage,
        _LEADS.c.kind,
        _LEADS.c.flags,
        *(_LEADS.c[name] for name in _FIELDS),
        _CHANNELS.c.code.label("channel"),
        active.c.id.label("model_id"),
        active.c.model_key,
        delivered.label("delivered"),
        last_manual_move_of(_LEADS.c.id).label("manual_at"),
    ).where(_LEADS.c.id == bindparam("lead_id"))
    return stmt, joined


def _pg_read(session: Session) -> Select[Any]:
    """One row: the consents as one JSON object, the events as three parallel arrays."""
    stmt, joined = _common(session)
    consents = (
        select(func.json_object_agg(_CONSENTS.c.purpose, _CONSENTS.c.granted))
        .where(_CONSENTS.c.lead_id == _LEADS.c.id)
        .scalar_subquery()
    )
    touches = (
        select(
            func.array_agg(_EVENTS.c.type).label("types"),
            func.array_agg(_EVENTS.c.occurred_at).label("times"),
            func.array_agg(_EVENTS.c.properties).label("properties"),
        )
        .where(_EVENTS.c.lead_id == _LEADS.c.id, _EVENTS.c.occurred_at <= bindparam("at"))
        .lateral("e")
    )
    return stmt.add_columns(consents.label("consents"), *touches.c).select_from(
        joined.outerjoin(touches, true())
    )


def _sqlite_read(session: Session) -> Select[Any]:
    """A row per consent (at least one); the events are read apart."""
    stmt, joined = _common(session)
    return stmt.add_columns(_CONSENTS.c.purpose, _CONSENTS.c.granted).select_from(
        joined.outerjoin(_CONSENTS, _CONSENTS.c.lead_id == _LEADS.c.id)
    )
