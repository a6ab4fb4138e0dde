"""What the scoring core needs to know, read from the store: a lead's facts, its events, its last manual move.

Both scoring paths read through here, so one lead scored alone (``scoring_lead``) and the same lead rescored
with all the others (``scoring_bulk``) see the same values: the lead columns by name, the channel's code,
cleaning flags, the current consent per purpose, and only the events of the types the model reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import ColumnElement, ScalarSelect, Select, and_, bindparam, func, literal, select, true
from sqlalchemy.orm import Session

from pheu.lifecycle import Actor, ActorType, LeadKind
from pheu.score import EventFact, LeadFacts, ScoringModel
from pheu.score.model import LEAD_FIELDS, BehaviourRule
from pheu.services.scoring import ActiveModel, active_model, model_for, model_key
from pheu.store import Event, Lead, ScoringModelVersion, StageChange
from pheu.store.filters import one_of

# A person's move: the model leaves it alone until new evidence (see pheu.score.stages).
MANUAL_ACTORS: Final = (ActorType.USER.value, ActorType.API.value)


@dataclass(frozen=True, slots=True)
class Needs:
    """What one or more models read: lead fields of fit rules, event types of behaviour rules and
    ``has_event`` conditions, and the types whose rules look at event properties."""

    fields: tuple[str, ...]
    types: tuple[str, ...]
    property_types: frozenset[str]
    presence_only: frozenset[str] = frozenset()


def needs(*models: ScoringModel) -> Needs:
    """``presence_only`` are the text fields every rule reads only as present or missing (a company name,
    a phone): a reader may send a stand-in for their values."""
    fields: set[str] = set()
    types: set[str] = set()
    property_types: set[str] = set()
    valued: set[str] = set()
    for model in models:
        for rule in model.all_rules():
            if isinstance(rule, BehaviourRule):
                types.add(rule.event_type)
                if rule.when:
                    property_types.add(rule.event_type)
            else:
                fields.add(rule.field)
                if rule.op not in ("present", "missing"):
                    valued.add(rule.field)
        for stage in model.stages:
            for cond in stage.conditions:
                types.update(cond.event_types)
    presence = frozenset(f for f in fields - valued if f in LEAD_FIELDS and f != "interests")
    return Needs(tuple(sorted(fields)), tuple(sorted(types)), frozenset(property_types), presence)


def model_actor(model: ScoringModel) -> Actor:
    """How the model signs its stage moves: "model <name> v<version>"."""
    return Actor(ActorType.MODEL, f"model {model.label}")


def lead_facts(lead: Lead) -> LeadFacts:
    """A loaded lead as the rules see it (its consents and channel are loaded with it)."""
    return facts_of(
        {name: getattr(lead, name) for name in LEAD_FIELDS},
        channel=lead.channel.code if lead.channel is not None else None,
        flags=lead.flags,
        kind=lead.kind,
        consents={c.purpose: c.granted for c in lead.consents},
    )


def facts_of(
    fields: dict[str, Any],
    *,
    channel: str | None,
    flags: list[str] | None,
    kind: str,
    consents: dict[str, bool],
) -> LeadFacts:
    """The facts from plain values: ``fields`` the lead's ``LEAD_FIELDS`` columns by name, ``channel`` its
    channel's code. The ORM entity (``lead_facts``) and the per-event column read (``event_scoring``) both
    build through here, so they cannot disagree."""
    return LeadFacts(
        fields={**fields, "channel": channel},
        flags=frozenset(flags or ()),
        kind=LeadKind(kind),
        consents=consents,
    )


_NEEDS: dict[int, tuple[ScoringModel, Needs]] = {}


def needs_of(model: ScoringModel) -> Needs:
    """``needs(model)``, remembered per model object (the active model is one cached object per process)."""
    hit = _NEEDS.get(id(model))
    if hit is not None and hit[0] is model:
        return hit[1]
    if len(_NEEDS) >= 32:
        _NEEDS.pop(next(iter(_NEEDS)))
    found = needs(model)
    _NEEDS[id(model)] = (model, found)
    return found


_EVENTS = Event.__table__
_MODELS = ScoringModelVersion.__table__


def lead_inputs(session: Session, lead_id: int, at: datetime) -> tuple[ActiveModel, list[EventFact]]:
    """The active model and the lead's events up to ``at`` of the types it reads — all of them, however old:
    penalties and lifetime caps never fade, and whether an event counts under a rolling cap depends on the
    ones before it. On PostgreSQL in one round trip (on the path of every new event a query saved is a good
    part of the time it takes); SQLite is in-process, where two plain queries are cheaper than a join its
    planner would prepare with a scan."""
    params = {"lead_id": lead_id, "at": at}
    if session.get_bind().dialect.name == "postgresql":
        rows = session.execute(_combined(session), params).all()
        model = model_for(session, rows[0][0], rows[0][1])
        touches = [row[2:] for row in rows]
    else:
        model = active_model(session)
        touches = [tuple(row) for row in session.execute(_EVENTS_OF_LEAD, params)]
    return model, read_by(model.model, touches)


def lead_events(session: Session, lead_id: int, at: datetime, model: ScoringModel) -> list[EventFact]:
    """The lead's events up to ``at`` of the types ``model`` reads, as ``lead_inputs`` reads them, for a
    caller that already knows the active model: one statement on the index (lead_id, occurred_at)."""
    rows = session.connection().execute(_EVENTS_OF_LEAD, {"lead_id": lead_id, "at": at})
    return read_by(model, rows)


def read_by(model: ScoringModel, touches: Iterable[Sequence[Any]]) -> list[EventFact]:
    """The (type, occurred_at, properties) rows of the types ``model`` reads, as the scoring core takes them."""
    types = needs_of(model).types
    return [
        EventFact(kind, occurred_at, properties or {})
        for kind, occurred_at, properties in touches
        if kind is not None and kind in types
    ]


_OWN = and_(_EVENTS.c.lead_id == bindparam("lead_id"), _EVENTS.c.occurred_at <= bindparam("at"))
_COLUMNS = (_EVENTS.c.type, _EVENTS.c.occurred_at, _EVENTS.c.properties)
# Built once: on the path of every event, building and keying a statement costs more than running it.
_EVENTS_OF_LEAD = select(*_COLUMNS).where(_OWN)
_COMBINED: dict[str, Any] = {}


def _combined(session: Session) -> Any:
    stmt = _COMBINED.get("postgresql")
    if stmt is None:
        one = select(literal(1).label("one")).subquery("one")
        active = (
            select(_MODELS.c.id, model_key(session).label("model_key")).where(_MODELS.c.active).subquery("m")
        )
        stmt = _COMBINED["postgresql"] = select(active.c.id, active.c.model_key, *_COLUMNS).select_from(
            one.outerjoin(active, true()).outerjoin(_EVENTS, _OWN)
        )
    return stmt


def last_manual_moves(session: Session, lead_ids: Sequence[int]) -> dict[int, datetime]:
    """Per lead, its latest stage move made by a person (a user or an API key acting for one). The record
    of its creation (no ``from_stage``) is not a move."""
    if not lead_ids:
        return {}
    stmt = (
        select(StageChange.lead_id, func.max(StageChange.at))
        .where(
            one_of(session, StageChange.lead_id, lead_ids),
            StageChange.actor_type.in_(MANUAL_ACTORS),
            StageChange.from_stage.is_not(None),
        )
        .group_by(StageChange.lead_id)
    )
    return {int(lead_id): at for lead_id, at in session.execute(stmt) if at is not None}


def last_manual_move(session: Session, lead_id: int) -> datetime | None:
    return session.scalar(_manual_moves(lead_id))


def last_manual_move_of(lead_id: ColumnElement[int]) -> ScalarSelect[datetime]:
    """``last_manual_move`` as a correlated subquery, for a read of leads that wants it on the same row."""
    return _manual_moves(lead_id).scalar_subquery()


def _manual_moves(lead_id: ColumnElement[int] | int) -> Select[datetime]:
    return select(func.max(StageChange.at)).where(
        StageChange.lead_id == lead_id,
        StageChange.actor_type.in_(MANUAL_ACTORS),
        StageChange.from_stage.is_not(None),
    )
