"""Logging a call: one unit of work that records the call as an event (type ``call`` with its ``outcome``, so
scoring and the reports see it), closes the task it answered, keeps the speed-to-lead figure, flags a wrong
phone and schedules the next step ``handoff.outcomes`` decides.

``Lead.first_contact_at`` is set by the first logged call that was a contact attempt (every outcome but
wrong_number: see ``handoff.outcomes``); the lead's open first-contact task is closed by it too, so the
overdue view and escalation stop counting the lead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from pheu.auth.roles import Principal
from pheu.handoff.outcomes import UNANSWERED, CallOutcome, NextStep, OutcomeError, next_step, with_phone_flag
from pheu.i18n import N_, gettext
from pheu.services import audit, events
from pheu.services.errors import Invalid
from pheu.services.leads import get_lead
from pheu.services.schemas import EventIn
from pheu.services.tasks import OPEN, close_task, get_task, handoff_config, working_clock
from pheu.store import Event, Lead, Task, User

EVENT_SOURCE: Final = "pheu_calls"
# The title each next step gets, in the owner's language.
STEP_TITLES: Final[dict[str, str]] = {
    "follow_up": N_("Follow-up call"),
    "retry_call": N_("Call again"),
    "send_email": N_("Send an email"),
    "call_back": N_("Call back as agreed"),
}


@dataclass(frozen=True, slots=True)
class CallResult:
    lead: Lead
    event: Event
    closed_task: Task | None
    next_task: Task | None
    step: NextStep


def _unanswered_streak(session: Session, lead_id: int, limit: int = 20) -> int:
    """How many unanswered calls came in a row just before now (since the last reached or call-back)."""
    outcomes = session.scalars(
        select(Event.properties)
        .where(Event.lead_id == lead_id, Event.type == "call", Event.source == EVENT_SOURCE)
        .order_by(Event.occurred_at.desc(), Event.id.desc())
        .limit(limit)
    ).all()
    streak = 0
    for props in outcomes:
        if (props or {}).get("outcome") not in {o.value for o in UNANSWERED}:
            break
        streak += 1
    return streak


def _task_for(session: Session, principal: Principal, lead: Lead, task_id: int | None) -> Task | None:
    if task_id is None:
        return session.scalars(
            select(Task)
            .where(Task.lead_id == lead.id, Task.status == OPEN, Task.kind == "call")
            .order_by(Task.due_at, Task.id)
        ).first()
    task = get_task(session, principal, task_id)
    if task.lead_id != lead.id:
        raise Invalid("The task belongs to another lead.", code="task_other_lead", field="task_id")
    if task.status != OPEN:
        raise Invalid(f"The task is already {task.status}.", code="task_closed", field="task_id")
    return task


def log_call(
    session: Session,
    principal: Principal,
    lead_id: int,
    outcome: CallOutcome,
    now: datetime,
    *,
    task_id: int | None = None,
    call_back_at: datetime | None = None,
    notes: str | None = None,
) -> CallResult:
    """Record a call to a lead the principal may see; closes ``task_id`` (or the lead's earliest open call
    task) and creates the next task. Raises ``Invalid`` with the outcome's code on a bad call-back time."""
    lead = get_lead(session, principal, lead_id)
    task = _task_for(session, principal, lead, task_id)
    if call_back_at is not None and call_back_at.tzinfo is None:
        raise Invalid("call_back_at needs a time zone.", code="call_back_time_zone", field="call_back_at")
    owner_id = (task.owner_id if task else None) or lead.owner_id or principal.user_id
    config = handoff_config(session)
    try:
        step = next_step(
            outcome,
            now=now,
            unanswered_before=_unanswered_streak(session, lead.id),
            call_back_at=call_back_at,
            has_email=bool(lead.email),
            within_hours=working_clock(session, owner_id, config),
        )
    except OutcomeError as exc:
        raise Invalid(exc.message, code=exc.code, field="call_back_at") from exc
    properties: dict[str, object] = {"outcome": outcome.value, "by": principal.label}
    if task is not None:
        properties["task_id"] = task.id
    if notes and notes.strip():
        properties["notes"] = notes.strip()
    event, _ = events.add_event(
        session, principal, lead.id, EventIn(type="call", properties=properties, source=EVENT_SOURCE), now
    )
    if task is not None:
        close_task(task, "done", principal, now, outcome.value)
    if step.contact_attempt:
        _first_contact(session, lead, principal, now, outcome)
    if step.flag_phone:
        lead.flags = with_phone_flag(list(lead.flags or []))
    next_task = _schedule(session, principal, lead, owner_id, step, now)
    lead.updated_at = now
    audit.record(
        session, at=now, actor=principal, action="log_call", entity="lead", entity_id=lead.id,
        changes={"outcome": outcome.value, "task_id": task.id if task else None,
                 "next_task_id": next_task.id if next_task else None},
    )  # fmt: skip
    session.flush()
    return CallResult(lead, event, task, next_task, step)


def _first_contact(
    session: Session, lead: Lead, principal: Principal, now: datetime, outcome: CallOutcome
) -> None:
    if lead.first_contact_at is None:
        lead.first_contact_at = now
    pending = session.scalars(
        select(Task).where(Task.lead_id == lead.id, Task.status == OPEN, Task.first_contact.is_(True))
    ).all()
    for task in pending:
        close_task(task, "done", principal, now, outcome.value)


def _schedule(
    session: Session, principal: Principal, lead: Lead, owner_id: int, step: NextStep, now: datetime
) -> Task | None:
    if step.kind is None or step.due_at is None:
        return None
    owner = session.get(User, owner_id)
    locale = owner.locale if owner else "vi"
    task = Task(
        lead_id=lead.id,
        owner_id=owner_id,
        kind=step.kind,
        title=gettext(locale, STEP_TITLES[step.title]),
        due_at=step.due_at,
        status=OPEN,
        created_at=now,
        created_by=principal.user_id,
    )
    session.add(task)
    session.flush()
    return task
