"""Tasks: the calls, meetings and emails a rep owes a lead. Create, edit, complete, cancel, and read them per
lead or per rep over a period (the calendar).

Who sees a task follows who sees its lead (``leads.visible``): a rep their own leads' tasks, a manager their
team's, admins and marketers all. Whose tasks a person may list as a queue or calendar follows the same idea
(``can_view_user``). Only open tasks change; a done or cancelled task is history.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from pheu.auth.roles import Principal, Role
from pheu.handoff.hours import add_working_minutes, parse_hours
from pheu.handoff.settings import HandoffConfig, SettingsError, parse
from pheu.services import audit
from pheu.services.errors import Forbidden, Invalid, NotFound
from pheu.services.leads import get_lead, visible
from pheu.services.task_schemas import TaskIn, TaskOut, TaskPatch
from pheu.store import DayOff, HandoffSettings, Lead, Task, User

OPEN: Final = "open"
KINDS: Final = ("call", "meeting", "email")
MAX_RANGE: Final = timedelta(days=62)


def task_out(task: Task) -> TaskOut:
    return TaskOut(
        id=task.id,
        lead_id=task.lead_id,
        owner_id=task.owner_id,
        kind=task.kind,
        title=task.title,
        notes=task.notes,
        due_at=task.due_at,
        ends_at=task.ends_at,
        status=task.status,
        outcome=task.outcome,
        first_contact=task.first_contact,
        created_at=task.created_at,
        completed_at=task.completed_at,
    )


def visible_tasks(principal: Principal) -> Select[Task]:
    """Tasks on the leads this principal may see."""
    return visible(select(Task).join(Lead, Lead.id == Task.lead_id), principal)


def get_task(session: Session, principal: Principal, task_id: int) -> Task:
    task = session.scalars(visible_tasks(principal).where(Task.id == task_id)).first()
    if task is None:
        raise NotFound(f"No task with id {task_id}.")
    return task


def can_view_user(principal: Principal, user: User) -> bool:
    """A rep sees their own tasks; a manager their team's; admins and marketers everyone's."""
    if principal.user_id == user.id or principal.role in {Role.ADMIN, Role.MARKETING}:
        return True
    return (
        principal.role is Role.SALES_MANAGER
        and principal.team_id is not None
        and (user.team_id == principal.team_id)
    )


def viewable_user(session: Session, principal: Principal, user_id: int | None) -> User:
    """The user whose queue or calendar is asked for (the principal by default), or ``NotFound``."""
    user = session.get(User, user_id if user_id is not None else principal.user_id)
    if user is None or not can_view_user(principal, user):
        raise NotFound(f"No user with id {user_id}.")
    return user


def viewable_users(session: Session, principal: Principal) -> list[User]:
    """Whose queue and calendar this principal may open, by name (for a manager's rep picker)."""
    users = session.scalars(select(User).where(User.active.is_(True)).order_by(User.name)).all()
    return [u for u in users if can_view_user(principal, u) and u.role in {"sales_rep", "sales_manager"}]


def handoff_config(session: Session) -> HandoffConfig:
    """The stored hand-off settings; defaults when none are stored or the stored ones no longer parse."""
    row = session.get(HandoffSettings, 1)
    try:
        return parse(row.data if row else {})
    except SettingsError:
        return parse({})


def working_clock(
    session: Session, user_id: int | None, config: HandoffConfig
) -> Callable[[datetime], datetime]:
    """A function mapping a time to the first working moment of ``user_id`` at or after it (their own hours
    and days off, else the team defaults)."""
    hours = config.working_hours
    days_off: set[Any] = set()
    if user_id is not None:
        user = session.get(User, user_id)
        if user is not None and user.working_hours:
            try:
                hours = parse_hours(user.working_hours)
            except ValueError:
                hours = config.working_hours
        days_off = set(session.scalars(select(DayOff.day).where(DayOff.user_id == user_id)))
    tz = config.tz
    return lambda at: add_working_minutes(at, 0, hours, tz, days_off)


def _aware(value: datetime | None, field: str) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise Invalid(f"{field} needs a time zone, e.g. 2026-11-26T09:30:00+07:00.", field=field)
    return value


def _owner(session: Session, principal: Principal, lead: Lead, owner_id: int | None) -> int | None:
    if owner_id is None:
        return lead.owner_id or principal.user_id
    if principal.role is Role.SALES_REP and owner_id != principal.user_id:
        raise Forbidden("A sales rep can only give tasks to themselves.", field="owner_id")
    user = session.get(User, owner_id)
    if user is None or not user.active or not can_view_user(principal, user):
        raise Invalid(f"No active user with id {owner_id} you can give tasks to.", field="owner_id")
    return owner_id


def _check_times(due_at: datetime, ends_at: datetime | None) -> None:
    if ends_at is not None and ends_at < due_at:
        raise Invalid("The end must not be before the start.", code="ends_before_start", field="ends_at")


def create_task(
    session: Session,
    principal: Principal,
    data: TaskIn,
    now: datetime,
    *,
    first_contact: bool = False,
) -> Task:
    """A new open task on a lead the principal may see; the owner defaults to the lead's owner."""
    lead = get_lead(session, principal, data.lead_id)
    due_at = _aware(data.due_at, "due_at")
    ends_at = _aware(data.ends_at, "ends_at")
    assert due_at is not None
    _check_times(due_at, ends_at)
    task = Task(
        lead_id=lead.id,
        owner_id=_owner(session, principal, lead, data.owner_id),
        kind=data.kind,
        title=data.title.strip(),
        notes=(data.notes or "").strip() or None,
        due_at=due_at,
        ends_at=ends_at,
        status=OPEN,
        first_contact=first_contact,
        created_at=now,
        created_by=principal.user_id,
    )
    session.add(task)
    session.flush()
    audit.record(
        session, at=now, actor=principal, action="create_task", entity="task", entity_id=task.id,
        changes={"lead_id": lead.id, "kind": task.kind, "due_at": due_at, "owner_id": task.owner_id},
    )  # fmt: skip
    return task


def _open_task(session: Session, principal: Principal, task_id: int) -> Task:
    task = get_task(session, principal, task_id)
    if task.status != OPEN:
        raise Invalid(f"The task is already {task.status}.", code="task_closed", field="status")
    return task


def update_task(
    session: Session, principal: Principal, task_id: int, patch: TaskPatch, now: datetime
) -> Task:
    """Change the fields sent of an open task."""
    task = _open_task(session, principal, task_id)
    changes: dict[str, Any] = {}
    sent = patch.model_fields_set
    if "owner_id" in sent:
        lead = session.get(Lead, task.lead_id)
        assert lead is not None
        changes["owner_id"] = _owner(session, principal, lead, patch.owner_id)
    for name in ("kind", "title", "notes", "due_at", "ends_at"):
        if name in sent:
            value = getattr(patch, name)
            if name in {"due_at", "ends_at"}:
                value = _aware(value, name)
            if name == "title":
                value = (value or "").strip()
            if name in {"kind", "due_at"} and value is None:
                raise Invalid(f"{name} cannot be empty.", field=name)
            changes[name] = value
    _check_times(changes.get("due_at", task.due_at), changes.get("ends_at", task.ends_at))
    for name, value in changes.items():
        setattr(task, name, value)
    audit.record(
        session,
        at=now,
        actor=principal,
        action="update_task",
        entity="task",
        entity_id=task.id,
        changes=changes,
    )
    session.flush()
    return task


def close_task(
    task: Task, status: str, principal: Principal | None, now: datetime, outcome: str | None = None
) -> None:
    task.status = status
    task.outcome = outcome
    task.completed_at = now
    task.completed_by = principal.user_id if principal else None


def complete_task(session: Session, principal: Principal, task_id: int, now: datetime) -> Task:
    task = _open_task(session, principal, task_id)
    close_task(task, "done", principal, now)
    audit.record(session, at=now, actor=principal, action="complete_task", entity="task", entity_id=task.id)
    session.flush()
    return task


def cancel_task(session: Session, principal: Principal, task_id: int, now: datetime) -> Task:
    task = _open_task(session, principal, task_id)
    close_task(task, "cancelled", principal, now)
    audit.record(session, at=now, actor=principal, action="cancel_task", entity="task", entity_id=task.id)
    session.flush()
    return task


def cancel_open_tasks(session: Session, lead_id: int, principal: Principal | None, now: datetime) -> int:
    """Cancel every open task of a lead (it was won, lost or recycled: nobody owes it a call any more)."""
    tasks = session.scalars(select(Task).where(Task.lead_id == lead_id, Task.status == OPEN)).all()
    for task in tasks:
        close_task(task, "cancelled", principal, now)
    return len(tasks)


def lead_tasks(session: Session, principal: Principal, lead_id: int, limit: int = 50) -> list[Task]:
    """A lead's tasks: open ones by due time, then the latest closed ones."""
    get_lead(session, principal, lead_id)
    rows = session.scalars(
        select(Task)
        .where(Task.lead_id == lead_id)
        .order_by(Task.created_at.desc(), Task.id.desc())
        .limit(limit)
    ).all()
    open_tasks = sorted((t for t in rows if t.status == OPEN), key=lambda t: (t.due_at, t.id))
    return open_tasks + [t for t in rows if t.status != OPEN]


def list_tasks(
    session: Session,
    principal: Principal,
    *,
    owner_id: int | None = None,
    lead_id: int | None = None,
    status: Sequence[str] = (),
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 200,
) -> list[Task]:
    """Tasks the principal may see, filtered, by due time."""
    stmt = visible_tasks(principal)
    if owner_id is not None:
        stmt = stmt.where(Task.owner_id == owner_id)
    if lead_id is not None:
        stmt = stmt.where(Task.lead_id == lead_id)
    if status:
        stmt = stmt.where(Task.status.in_(list(status)))
    if start is not None:
        stmt = stmt.where(Task.due_at >= start)
    if end is not None:
        stmt = stmt.where(Task.due_at < end)
    return list(session.scalars(stmt.order_by(Task.due_at, Task.id).limit(limit)))


@dataclass(frozen=True, slots=True)
class LeadRef:
    """What a calendar entry shows of its lead (not the whole lead: a busy week holds thousands of tasks)."""

    id: int
    full_name: str | None
    email: str | None
    phone: str | None


def calendar(
    session: Session, principal: Principal, user_id: int | None, start: datetime, end: datetime
) -> tuple[User, list[tuple[Task, LeadRef]]]:
    """A rep's tasks (with their leads) due in [start, end), open and done, by due time."""
    if end <= start or end - start > MAX_RANGE:
        raise Invalid("A calendar covers one day to two months.", field="end")
    user = viewable_user(session, principal, user_id)
    stmt = (
        visible(
            select(Task, Lead.id, Lead.full_name, Lead.email, Lead.phone).join(Lead, Lead.id == Task.lead_id),
            principal,
        )
        .where(Task.owner_id == user.id, Task.due_at >= start, Task.due_at < end, Task.status != "cancelled")
        .order_by(Task.due_at, Task.id)
    )
    return user, [(t, LeadRef(i, n, e, p)) for t, i, n, e, p in session.execute(stmt)]
