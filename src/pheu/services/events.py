"""Events: every touch a lead makes, and the timeline that puts them beside the stage moves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, make_transient_to_detached

from pheu.auth.roles import Principal
from pheu.score import EventFact
from pheu.services import event_scoring, pagination
from pheu.services.errors import Invalid
from pheu.services.leads import get_lead
from pheu.services.schemas import EventIn
from pheu.store import Event, StageChange
from pheu.store.bulk import table_of


@dataclass(frozen=True, slots=True)
class EventPage:
    items: list[Event]
    next_cursor: str | None


def add_event(
    session: Session, principal: Principal, lead_id: int, data: EventIn, now: datetime
) -> tuple[Event, bool]:
    """Record a touch on a lead the principal may see (``NotFound`` otherwise) and re-score the lead at once:
    the new score, and the stage move the model makes, land in the caller's unit of work with the event. A
    repeat of the same (source, external_id) returns the first one and ``False``. The event returned is the
    stored row, held by the session."""
    lead = event_scoring.read_lead(
        session, principal, lead_id, now, source=data.source, external_id=data.external_id or None
    )
    occurred_at = data.occurred_at or now
    if occurred_at.tzinfo is None:
        raise Invalid("occurred_at needs a time zone, e.g. 2026-11-26T09:30:00+07:00.", field="occurred_at")
    if occurred_at > now:
        raise Invalid(
            "occurred_at is in the future; events record what already happened.", field="occurred_at"
        )
    if data.external_id and lead.delivered is not None:
        existing = session.get_one(Event, lead.delivered)
        if existing.lead_id != lead.id:
            raise Invalid(
                f"external_id '{data.external_id}' from '{data.source}' belongs to another lead.",
                field="external_id",
            )
        return existing, False
    event = _store(session, lead.id, data, occurred_at, now)
    # The new touch moves the score (and maybe the stage) at once.
    event_scoring.rescore(session, lead, EventFact(data.type, occurred_at, data.properties), now)
    return event, True


_EVENTS = table_of(Event)
_INSERT = insert(_EVENTS).returning(_EVENTS.c.id)


def _store(session: Session, lead_id: int, data: EventIn, occurred_at: datetime, now: datetime) -> Event:
    """One INSERT … RETURNING id; the row is then handed to the session as already stored (persistent and
    clean), so the commit has nothing to flush and callers get the same ``Event`` an ORM add would give."""
    values = {
        "lead_id": lead_id,
        "type": data.type,
        "occurred_at": occurred_at,
        "properties": data.properties,
        "source": data.source,
        "external_id": data.external_id,
        "created_at": now,
    }
    event = Event(id=session.connection().execute(_INSERT, values).scalar_one(), **values)
    make_transient_to_detached(event)
    session.add(event)
    return event


def list_events(
    session: Session,
    principal: Principal,
    lead_id: int,
    *,
    types: list[str] | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> EventPage:
    get_lead(session, principal, lead_id)
    stmt = select(Event).where(Event.lead_id == lead_id)
    if types:
        stmt = stmt.where(Event.type.in_(types))
    if cursor:
        value, row_id = pagination.decode(cursor)
        stmt = stmt.where(pagination.after(Event.occurred_at, Event.id, value, row_id, True))
    rows = list(session.scalars(stmt.order_by(Event.occurred_at.desc(), Event.id.desc()).limit(limit + 1)))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = pagination.encode(rows[-1].occurred_at, rows[-1].id)
    return EventPage(items=rows, next_cursor=next_cursor)


@dataclass(frozen=True, slots=True)
class TimelineItem:
    at: datetime
    kind: str  # "event" or "stage"
    type: str
    detail: dict[str, Any]


def timeline(session: Session, principal: Principal, lead_id: int, limit: int = 200) -> list[TimelineItem]:
    """Events and stage moves together, newest first, as a person reads a lead's story."""
    get_lead(session, principal, lead_id)
    events = session.scalars(
        select(Event).where(Event.lead_id == lead_id).order_by(Event.occurred_at.desc()).limit(limit)
    )
    moves = session.scalars(
        select(StageChange).where(StageChange.lead_id == lead_id).order_by(StageChange.at.desc()).limit(limit)
    )
    items = [
        TimelineItem(e.occurred_at, "event", e.type, {"properties": e.properties, "source": e.source})
        for e in events
    ]
    items += [
        TimelineItem(
            m.at,
            "stage",
            m.to_stage,
            {
                "from": m.from_stage,
                "to": m.to_stage,
                "actor": m.actor_label,
                "actor_type": m.actor_type,
                "reason": m.reason,
            },
        )
        for m in moves
    ]
    items.sort(key=lambda i: (i.at, i.kind == "stage"), reverse=True)
    return items[:limit]
