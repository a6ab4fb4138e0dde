"""The manager view: per rep, the load they carry, how fast they make first contact, what is overdue and
how many of their leads became customers."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from pheu.auth.roles import Principal, Role
from pheu.handoff.deadlines import minutes_between, percentile
from pheu.services.assignment import OPEN_STAGES
from pheu.services.errors import Forbidden
from pheu.store import Lead, Task, User

SALES_ROLES = (Role.SALES_REP.value, Role.SALES_MANAGER.value)


@dataclass(frozen=True, slots=True)
class RepFigures:
    """``median_minutes`` / ``p90_minutes``: wall-clock minutes from assignment to first contact over the
    leads assigned in the period; ``conversion`` is customers over all leads the rep owns."""

    user_id: int
    name: str
    team_id: int | None
    open_leads: int
    open_tasks: int
    overdue: int
    assigned: int
    contacted: int
    median_minutes: float | None
    p90_minutes: float | None
    leads: int
    customers: int
    lost: int

    @property
    def conversion(self) -> float | None:
        return self.customers / self.leads if self.leads else None

    def as_json(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "name": self.name,
            "team_id": self.team_id,
            "open_leads": self.open_leads,
            "open_tasks": self.open_tasks,
            "overdue": self.overdue,
            "assigned": self.assigned,
            "contacted": self.contacted,
            "median_minutes_to_first_contact": self.median_minutes,
            "p90_minutes_to_first_contact": self.p90_minutes,
            "leads": self.leads,
            "customers": self.customers,
            "lost": self.lost,
            "conversion": self.conversion,
        }


def reps_in_view(session: Session, principal: Principal, team_id: int | None = None) -> list[User]:
    """A manager sees their team; admins and marketing every salesperson (or one team); reps nobody."""
    if principal.role is Role.SALES_REP:
        raise Forbidden("The team view is for managers.")
    stmt = select(User).where(User.active.is_(True), User.role.in_(SALES_ROLES))
    if principal.role is Role.SALES_MANAGER:
        stmt = (
            stmt.where(User.team_id == principal.team_id)
            if principal.team_id
            else stmt.where(User.id == principal.user_id)
        )
    elif team_id is not None:
        stmt = stmt.where(User.team_id == team_id)
    return list(session.scalars(stmt.order_by(User.name, User.id)))


def team_view(
    session: Session, principal: Principal, now: datetime, *, days: int = 30, team_id: int | None = None
) -> list[RepFigures]:
    """One row per rep in the viewer's scope; response times over leads assigned in the last ``days``."""
    reps = reps_in_view(session, principal, team_id)
    ids = [u.id for u in reps]
    if not ids:
        return []
    since = now - timedelta(days=days)
    leads = {
        int(o): (int(total), int(open_), int(won), int(lost))
        for o, total, open_, won, lost in session.execute(
            select(
                Lead.owner_id,
                func.count(),
                func.sum(case((Lead.stage.in_(OPEN_STAGES), 1), else_=0)),
                func.sum(case((Lead.stage == "customer", 1), else_=0)),
                func.sum(case((Lead.stage == "lost", 1), else_=0)),
            )
            .where(Lead.owner_id.in_(ids))
            .group_by(Lead.owner_id)
        )
    }
    tasks = {
        int(o): (int(n), int(late))
        for o, n, late in session.execute(
            select(
                Task.owner_id,
                func.count(),
                func.sum(
                    case((Task.due_at <= now, case((Task.first_contact.is_(True), 1), else_=0)), else_=0)
                ),
            )
            .where(Task.owner_id.in_(ids), Task.status == "open")
            .group_by(Task.owner_id)
        )
    }
    times: dict[int, list[float]] = defaultdict(list)
    assigned: dict[int, int] = defaultdict(int)
    for owner, at, first in session.execute(
        select(Lead.owner_id, Lead.assigned_at, Lead.first_contact_at).where(
            Lead.owner_id.in_(ids), Lead.assigned_at >= since
        )
    ):
        owner_id = int(owner or 0)
        assigned[owner_id] += 1
        if first is not None and at is not None:
            times[owner_id].append(max(minutes_between(at, first), 0.0))
    rows: list[RepFigures] = []
    for u in reps:
        total, open_, won, lost = leads.get(u.id, (0, 0, 0, 0))
        n_tasks, late = tasks.get(u.id, (0, 0))
        t = times[u.id]
        rows.append(
            RepFigures(
                u.id,
                u.name,
                u.team_id,
                open_,
                n_tasks,
                late,
                assigned[u.id],
                len(t),
                percentile(t, 50),
                percentile(t, 90),
                total,
                won,
                lost,
            )
        )
    return rows
