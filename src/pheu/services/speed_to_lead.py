"""Speed-to-lead in the store: what is overdue, escalating breaches to the team's manager, and the tick that
cron (``pheu handoff tick``) and the web app's background loop both run.

Escalation claims each breached task with a conditional UPDATE (``escalated_at IS NULL``), so with several
workers ticking at once every breach reaches the manager exactly once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from pheu.auth.roles import Principal, Role, sees_only_own_leads
from pheu.config import Settings
from pheu.db import unit_of_work
from pheu.services import assignment, handoff_settings, notifications
from pheu.store import Lead, Task, Team, User

_S = TypeVar("_S", bound="Select[*tuple[Any, ...]]")


def tasks_visible(stmt: _S, principal: Principal) -> _S:
    """Narrow a query on tasks: a rep their own, a sales manager their team's, everyone else all."""
    if sees_only_own_leads(principal.role):
        return stmt.where(Task.owner_id == principal.user_id)
    if principal.role is Role.SALES_MANAGER:
        if principal.team_id is None:
            return stmt.where(Task.owner_id == principal.user_id)
        return stmt.where(Task.owner_id.in_(select(User.id).where(User.team_id == principal.team_id)))
    return stmt


@dataclass(frozen=True, slots=True)
class OverdueLead:
    task_id: int
    lead_id: int
    lead_name: str | None
    temperature: str | None
    score: int
    owner_id: int | None
    owner_name: str | None
    due_at: datetime
    escalated_at: datetime | None
    minutes_late: int

    def as_json(self) -> dict[str, Any]:
        return {
            "task_id": self.task_id,
            "lead_id": self.lead_id,
            "lead_name": self.lead_name,
            "temperature": self.temperature,
            "score": self.score,
            "owner_id": self.owner_id,
            "owner_name": self.owner_name,
            "due_at": self.due_at.isoformat(),
            "escalated_at": self.escalated_at.isoformat() if self.escalated_at else None,
            "minutes_late": self.minutes_late,
        }


def overdue(session: Session, principal: Principal, now: datetime, limit: int = 500) -> list[OverdueLead]:
    """Leads whose first-contact deadline passed without a contact, the longest overdue first."""
    stmt = (
        select(Task, Lead.full_name, Lead.temperature, Lead.score, User.name)
        .join(Lead, Lead.id == Task.lead_id)
        .outerjoin(User, User.id == Task.owner_id)
        .where(
            Task.first_contact.is_(True),
            Task.status == "open",
            Task.due_at <= now,
            Lead.first_contact_at.is_(None),
        )
        .order_by(Task.due_at, Task.id)
        .limit(limit)
    )
    return [
        OverdueLead(
            t.id,
            t.lead_id,
            name,
            temp,
            score or 0,
            t.owner_id,
            owner,
            t.due_at,
            t.escalated_at,
            int((now - t.due_at).total_seconds() // 60),
        )
        for t, name, temp, score, owner in session.execute(tasks_visible(stmt, principal))
    ]


def escalate(session: Session, now: datetime) -> int:
    """Send each breached first-contact deadline (past the escalation delay) to the rep and their team's
    manager, once. Returns how many breaches were escalated."""
    config = handoff_settings.load(session)
    cutoff = now - timedelta(minutes=config.escalate_after_minutes)
    candidates = list(
        session.execute(
            select(Task.id)
            .join(Lead, Lead.id == Task.lead_id)
            .where(
                Task.first_contact.is_(True),
                Task.status == "open",
                Task.escalated_at.is_(None),
                Task.due_at <= cutoff,
                Lead.first_contact_at.is_(None),
            )
            .limit(2000)
        ).scalars()
    )
    if not candidates:
        return 0
    claimed = list(
        session.execute(
            update(Task)
            .where(Task.id.in_(candidates), Task.escalated_at.is_(None))
            .values(escalated_at=now)
            .returning(Task.id)
        ).scalars()
    )
    notifications.notify_many(session, _breach_notices(session, claimed), now)
    return len(claimed)


def _breach_notices(session: Session, task_ids: Sequence[int]) -> list[dict[str, Any]]:
    if not task_ids:
        return []
    stmt = (
        select(Task.id, Task.lead_id, Task.owner_id, Lead.full_name, User.name, Team.manager_id)
        .join(Lead, Lead.id == Task.lead_id)
        .outerjoin(User, User.id == Task.owner_id)
        .outerjoin(Team, Team.id == User.team_id)
        .where(Task.id.in_(task_ids))
    )
    rows: list[dict[str, Any]] = []
    for task_id, lead_id, owner_id, lead_name, rep_name, manager_id in session.execute(stmt):
        data = {"lead_name": lead_name or "", "rep_name": rep_name or ""}
        if owner_id is not None:
            rows.append(
                {
                    "user_id": owner_id,
                    "kind": "deadline_breached",
                    "lead_id": lead_id,
                    "task_id": task_id,
                    "data": data,
                }
            )
        if manager_id is not None and manager_id != owner_id:
            rows.append(
                {
                    "user_id": manager_id,
                    "kind": "escalated",
                    "lead_id": lead_id,
                    "task_id": task_id,
                    "data": data,
                }
            )
    return rows


@dataclass(frozen=True, slots=True)
class TickSummary:
    assigned: int
    escalated: int
    emailed: int

    def as_json(self) -> dict[str, int]:
        return {"assigned": self.assigned, "escalated": self.escalated, "emailed": self.emailed}


def tick(url: str | None, settings: Settings, now: datetime, render: notifications.Render) -> TickSummary:
    """One round of background hand-off work: retry leads waiting for a rep, escalate breaches, send mail.
    Each step commits on its own, so a failing mail server does not undo an escalation."""
    with unit_of_work(url) as s:
        assigned = assignment.retry_waiting(s, now).assigned
    with unit_of_work(url) as s:
        escalated = escalate(s, now)
    emailed = notifications.deliver_emails(url, settings, now, render)
    return TickSummary(assigned, escalated, emailed)
