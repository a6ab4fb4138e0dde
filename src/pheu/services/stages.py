"""Stage moves: the lifecycle's rules applied to a stored lead, and the history that explains them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, func, insert, select, true, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from pheu import lifecycle
from pheu.auth.roles import Principal
from pheu.services import assignment, audit, scoring_bant
from pheu.services.errors import Invalid
from pheu.services.leads import _actor, get_lead, visible
from pheu.store import AuditEntry, Lead, StageChange
from pheu.store.bulk import table_of
from pheu.store.leads import LEADS, REACHED_COLUMNS


def _planned(
    kind: lifecycle.LeadKind,
    stage: lifecycle.Stage,
    target: lifecycle.Stage,
    *,
    now: datetime,
    actor: lifecycle.Actor,
    reason: str,
) -> lifecycle.StageMove:
    """The lifecycle's move, or ``Invalid`` with its explanation (code ``illegal_move:<why>``)."""
    try:
        return lifecycle.plan_move(kind, stage, target, at=now, actor=actor, reason=reason)
    except lifecycle.IllegalMove as exc:
        raise Invalid(exc.message, code=f"illegal_move:{exc.code}", field="stage") from exc


def _lead_values(move: lifecycle.StageMove, now: datetime) -> dict[str, Any]:
    """What a move changes on the lead: its stage and when, and the reason of a side exit (cleared when the
    lead is open again)."""
    values: dict[str, Any] = {"stage": move.to_stage.value, "stage_changed_at": now, "updated_at": now}
    if move.to_stage in lifecycle.REASON_REQUIRED:
        values["lost_reason"] = move.reason
    elif lifecycle.is_open(move.to_stage):
        values["lost_reason"] = None
    return values


def move_row(lead_id: int, move: lifecycle.StageMove) -> dict[str, Any]:
    """The ``stage_changes`` row of a move."""
    return {
        "lead_id": lead_id,
        "from_stage": move.from_stage.value if move.from_stage else None,
        "to_stage": move.to_stage.value,
        "at": move.at,
        "actor_type": move.actor.type.value,
        "actor_user_id": move.actor.user_id,
        "actor_label": move.actor.label,
        "reason": move.reason,
    }


def audited(move: lifecycle.StageMove) -> dict[str, Any]:
    """What the audit entry of a move records as changed."""
    return {
        "stage": [move.from_stage.value if move.from_stage else None, move.to_stage.value],
        "reason": move.reason,
    }


def move_stage(
    session: Session,
    principal: Principal | None,
    lead: Lead | int,
    target: lifecycle.Stage,
    *,
    reason: str,
    now: datetime,
    actor: lifecycle.Actor | None = None,
) -> StageChange:
    """Move a lead, or raise ``Invalid`` with the lifecycle's explanation (code ``illegal_move:<why>``)."""
    if isinstance(lead, int):
        if principal is None:
            found = session.get(Lead, lead)
            if found is None:
                raise Invalid(f"No lead with id {lead}.")
            lead = found
        else:
            lead = get_lead(session, principal, lead)
    actor = actor or _actor(principal)
    move = _planned(
        lifecycle.LeadKind(lead.kind),
        lifecycle.Stage(lead.stage),
        target,
        now=now,
        actor=actor,
        reason=reason,
    )
    if move.to_stage is lifecycle.Stage.OPPORTUNITY:  # the team's BANT bar, whoever asks for the move
        scoring_bant.require_opportunity_ready(session, lead, now)
    change = StageChange(**move_row(lead.id, move))
    session.add(change)
    for name, value in _lead_values(move, now).items():
        setattr(lead, name, value)
    audit.record(
        session,
        at=now,
        actor=principal,
        actor_label=actor.label,
        action="move_stage",
        entity="lead",
        entity_id=lead.id,
        changes=audited(move),
    )
    session.flush()
    if lead.owner_id is None:
        assignment.hand_off(session, [lead.id], now)
    return change


def move_by_model(
    session: Session,
    lead_id: int,
    kind: lifecycle.LeadKind,
    from_stage: lifecycle.Stage,
    target: lifecycle.Stage,
    *,
    reason: str,
    now: datetime,
    actor: lifecycle.Actor,
) -> StageChange | None:
    """The scoring model's move of a lead read a moment ago as plain columns: the same rows as ``move_stage``
    (the lead's stage, the move, the audit entry, then the hand-off) written with Core, without loading the
    lead as an entity. A model move happens on a few percent of all events, and the entity path cost most
    of such an event's time. ``None`` when the lead left ``from_stage`` meanwhile. The returned move is not
    attached to the session (its row is already written).

    On PostgreSQL the three writes and the question whether any assignment rule is active go as one
    statement (``_one_trip``): each round trip costs about as much as the write it carries."""
    move = _planned(kind, from_stage, target, now=now, actor=actor, reason=reason)
    values = _lead_values(move, now)
    row = move_row(lead_id, move)
    entry = audit.system_row(
        at=now,
        actor_label=actor.label,
        action="move_stage",
        entity="lead",
        entity_id=lead_id,
        changes=audited(move),
    )
    if session.get_bind().dialect.name == "postgresql":
        params = {
            "m_lead": lead_id,
            "m_from": from_stage.value,
            **{f"v_{k}": v for k, v in values.items()},
            **{f"c_{k}": v for k, v in row.items() if k != "lead_id"},
            **{f"a_{k}": v for k, v in entry.items()},
        }
        done = session.execute(_one_trip(tuple(values)), params).first()
        if done is None:
            return None
        owner_id, change_id, rules_active = done
    else:
        stmt = (
            update(LEADS)
            .where(LEADS.c.id == lead_id, LEADS.c.stage == from_stage.value)
            .values(values)
            .returning(LEADS.c.owner_id)
        )
        moved = session.execute(stmt).first()
        if moved is None:
            return None
        owner_id, rules_active = moved.owner_id, None
        change_id = session.execute(insert(_MOVES).values(row).returning(_MOVES.c.id)).scalar_one()
        session.execute(insert(_AUDIT).values(entry))
    _held_lead_moved(session, lead_id, values)
    if owner_id is None:
        assignment.hand_off(session, [lead_id], now, rules_active=rules_active)
    return StageChange(id=change_id, **row)


_MOVES = table_of(StageChange)
_AUDIT = table_of(AuditEntry)
_ONE_TRIP: dict[tuple[str, ...], Select[Any]] = {}


def _one_trip(keys: tuple[str, ...]) -> Select[Any]:
    """``UPDATE leads … RETURNING`` with the move's and the audit entry's INSERTs hung on it as CTEs, built
    once per set of changed columns. Every value is a bound parameter (``m_`` the lead, ``v_`` its new
    values, ``c_`` the move, ``a_`` the audit entry), so SQLAlchemy compiles it once. No row when the lead
    left the stage meanwhile: then nothing is written. The first-entry trigger on ``stage_changes`` fires
    at the end of the statement and sees the lead's new stage."""
    stmt = _ONE_TRIP.get(keys)
    if stmt is not None:
        return stmt
    moved = (
        update(LEADS)
        .where(LEADS.c.id == bindparam("m_lead"), LEADS.c.stage == bindparam("m_from"))
        .values({k: bindparam(f"v_{k}", type_=LEADS.c[k].type) for k in keys})
        .returning(LEADS.c.id, LEADS.c.owner_id)
        .cte("moved")
    )
    move_columns = [c for c in _MOVE_COLUMNS if c != "lead_id"]
    change = (
        insert(_MOVES)
        .from_select(
            ["lead_id", *move_columns],
            select(moved.c.id, *(bindparam(f"c_{c}", type_=_MOVES.c[c].type) for c in move_columns)),
        )
        .returning(_MOVES.c.id)
        .cte("change")
    )
    logged = (
        insert(_AUDIT)
        .from_select(
            list(_AUDIT_COLUMNS),
            select(*(bindparam(f"a_{c}", type_=_AUDIT.c[c].type) for c in _AUDIT_COLUMNS)).select_from(moved),
        )
        .cte("logged")
    )
    stmt = _ONE_TRIP[keys] = (
        select(moved.c.owner_id, change.c.id, assignment.has_active_rules().label("rules_active"))
        .select_from(moved.join(change, true()))
        .add_cte(logged)
    )
    return stmt


_MOVE_COLUMNS = (
    "lead_id", "from_stage", "to_stage", "at", "actor_type", "actor_user_id", "actor_label", "reason"
)  # fmt: skip
_AUDIT_COLUMNS = ("at", "actor_user_id", "actor_label", "action", "entity", "entity_id", "changes")


def _held_lead_moved(session: Session, lead_id: int, values: dict[str, Any]) -> None:
    """A lead entity this session already holds sees the move (its first-entry moments, which the database's
    trigger wrote, are read again on next use)."""
    held = session.identity_map.get(identity_key(Lead, lead_id))
    if held is None:
        return
    for name, value in values.items():
        set_committed_value(held, name, value)
    session.expire(held, list(REACHED_COLUMNS))


def history(session: Session, principal: Principal, lead_id: int) -> list[StageChange]:
    get_lead(session, principal, lead_id)
    stmt = select(StageChange).where(StageChange.lead_id == lead_id).order_by(StageChange.at, StageChange.id)
    return list(session.scalars(stmt))


@dataclass(frozen=True, slots=True)
class BoardColumn:
    stage: lifecycle.Stage
    count: int
    leads: list[Lead]


def board(
    session: Session, principal: Principal, kind: lifecycle.LeadKind, per_stage: int = 25
) -> list[BoardColumn]:
    """Each stage of the kind's pipeline with its lead count and the most recently moved leads."""
    stages = lifecycle.stages_for(kind)
    count_stmt: Any = visible(
        select(Lead.stage, func.count()).where(Lead.kind == kind.value).group_by(Lead.stage), principal
    )
    counts = {stage: int(n) for stage, n in session.execute(count_stmt)}
    columns = []
    for stage in stages:
        stmt = visible(
            select(Lead).where(Lead.kind == kind.value, Lead.stage == stage.value), principal
        ).order_by(Lead.stage_changed_at.desc(), Lead.id.desc())
        leads = list(session.scalars(stmt.limit(per_stage)).unique())
        columns.append(BoardColumn(stage=stage, count=counts.get(stage.value, 0), leads=leads))
    return columns
