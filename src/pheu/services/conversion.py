"""Won, lost and recycled: the end of a worked lead, checked by ``handoff.conversion`` and stored through the
lifecycle's stage move (``services.stages.move_stage``) so the history records who, when and why.

Open tasks of a won, lost or recycled lead are cancelled: nobody owes it a call any more.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pheu.auth.roles import Principal
from pheu.handoff.conversion import ConversionError, check_lost, check_recycle, check_won
from pheu.lifecycle import Stage
from pheu.services import audit, lost_reasons
from pheu.services.errors import Invalid
from pheu.services.leads import get_lead
from pheu.services.stages import move_stage
from pheu.services.tasks import cancel_open_tasks
from pheu.store import Event, Lead, StageChange, Task


def _invalid(exc: ConversionError) -> Invalid:
    return Invalid(exc.message, code=exc.code, field=exc.field)


def mark_won(
    session: Session,
    principal: Principal,
    lead_id: int,
    amount_minor: int | None,
    currency: str | None,
    now: datetime,
) -> Lead:
    """Opportunity → Customer with the deal's value (minor units; VND has none)."""
    lead = get_lead(session, principal, lead_id)
    try:
        won = check_won(Stage(lead.stage), amount_minor, currency)
    except ConversionError as exc:
        raise _invalid(exc) from exc
    move_stage(
        session, principal, lead, Stage.CUSTOMER, reason=f"won {won.amount_minor} {won.currency}", now=now
    )
    lead.won_amount_minor = won.amount_minor
    lead.won_currency = won.currency
    cancel_open_tasks(session, lead.id, principal, now)
    audit.record(
        session, at=now, actor=principal, action="mark_won", entity="lead", entity_id=lead.id,
        changes={"won_amount_minor": won.amount_minor, "won_currency": won.currency},
    )  # fmt: skip
    session.flush()
    return lead


def mark_lost(
    session: Session,
    principal: Principal,
    lead_id: int,
    reason_code: str | None,
    now: datetime,
    note: str | None = None,
) -> Lead:
    """Any open sales stage → Lost, with the code of an active reason from the managed list (stored as the
    move's reason and ``Lead.lost_reason``)."""
    lead = get_lead(session, principal, lead_id)
    try:
        lost = check_lost(Stage(lead.stage), reason_code, lost_reasons.active_codes(session))
    except ConversionError as exc:
        raise _invalid(exc) from exc
    move_stage(session, principal, lead, Stage.LOST, reason=lost.reason_code, now=now)
    cancel_open_tasks(session, lead.id, principal, now)
    if note and note.strip():
        audit.record(
            session, at=now, actor=principal, action="lost_note", entity="lead", entity_id=lead.id,
            changes={"note": note.strip()[:1000]},
        )  # fmt: skip
    session.flush()
    return lead


def last_activity(session: Session, lead: Lead) -> datetime:
    """The latest touch, stage move or finished task of a lead (its stage change time at least)."""
    times = [
        lead.stage_changed_at,
        session.scalar(select(func.max(Event.occurred_at)).where(Event.lead_id == lead.id)),
        session.scalar(select(func.max(StageChange.at)).where(StageChange.lead_id == lead.id)),
        session.scalar(
            select(func.max(Task.completed_at)).where(Task.lead_id == lead.id, Task.status == "done")
        ),
    ]
    return max(t for t in times if t is not None)


def recycle(session: Session, principal: Principal, lead_id: int, now: datetime) -> Lead:
    """A lost lead, or an SQL / Opportunity untouched for 30 days, back to MQL for nurturing."""
    lead = get_lead(session, principal, lead_id)
    try:
        target = check_recycle(Stage(lead.stage), last_activity(session, lead), now)
    except ConversionError as exc:
        raise _invalid(exc) from exc
    move_stage(session, principal, lead, target, reason="recycled to nurturing", now=now)
    cancel_open_tasks(session, lead.id, principal, now)
    session.flush()
    return lead
