"""Builders for the assignment tests: two teams with managers and reps, rules, ready leads."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from pheu import lifecycle
from pheu.auth.roles import Principal, Role
from pheu.db import unit_of_work
from pheu.services import assignment_rules, stages, users
from pheu.services.assignment_rules import RuleIn
from pheu.store import Assignment, Lead, Notification, Task, Team, User
from tests.conftest import NOW
from tests.factories import add_channels, add_lead


@dataclass(frozen=True)
class Teams:
    admin: Principal
    north_manager: Principal
    south_manager: Principal
    north_reps: list[Principal]
    south_reps: list[Principal]
    north_id: int
    south_id: int


def _user(url: str, email: str, role: Role, team: str | None) -> Principal:
    with unit_of_work(url) as s:
        user = users.add_user(
            s,
            email=email,
            name=email.split("@")[0].title(),
            password="correct-horse",
            role=role,
            now=NOW,
            team=team,
        )
        return users.principal_for(user)


def build_teams(url: str, north_reps: int = 2, south_reps: int = 2) -> Teams:
    """Team "Miền Bắc" and "Miền Nam", each with a manager (Team.manager_id) and reps; rules North → Bắc,
    South → Nam (least-loaded)."""
    add_channels(url)
    admin = _user(url, "admin@pheu.test", Role.ADMIN, None)
    nm = _user(url, "nm@pheu.test", Role.SALES_MANAGER, "Miền Bắc")
    sm = _user(url, "sm@pheu.test", Role.SALES_MANAGER, "Miền Nam")
    north = [_user(url, f"bac{i}@pheu.test", Role.SALES_REP, "Miền Bắc") for i in range(north_reps)]
    south = [_user(url, f"nam{i}@pheu.test", Role.SALES_REP, "Miền Nam") for i in range(south_reps)]
    with unit_of_work(url) as s:
        teams = {t.name: t for t in s.scalars(select(Team))}
        teams["Miền Bắc"].manager_id = nm.user_id
        teams["Miền Nam"].manager_id = sm.user_id
        north_id, south_id = teams["Miền Bắc"].id, teams["Miền Nam"].id
        assignment_rules.create_rule(
            s, admin, RuleIn("Miền Bắc", north_id, "least_loaded", {"regions": ["north"]}), NOW
        )
        assignment_rules.create_rule(
            s, admin, RuleIn("Miền Nam", south_id, "least_loaded", {"regions": ["south"]}), NOW
        )
    return Teams(admin, nm, sm, north, south, north_id, south_id)


def ready_lead(
    url: str,
    admin: Principal,
    province: str,
    at: datetime = NOW,
    temperature: str | None = None,
    **fields: Any,
) -> int:
    """A sales lead moved to MQL by a person: the moment it becomes ready for sales. ``temperature`` stands
    in for what scoring would have set."""
    fields.setdefault("full_name", "Phạm Minh Châu")
    fields.setdefault("email", f"lead-{uuid.uuid4().hex[:10]}@example.vn")
    lead_id = add_lead(url, admin, at, province=province, **fields)
    with unit_of_work(url) as s:
        lead = s.get(Lead, lead_id)
        assert lead is not None
        lead.temperature = temperature
        stages.move_stage(s, admin, lead_id, lifecycle.Stage.MQL, reason="gọi lại hỏi giá", now=at)
    return lead_id


def lead_row(url: str, lead_id: int) -> Lead:
    with unit_of_work(url) as s:
        lead = s.get(Lead, lead_id)
        assert lead is not None
        s.expunge(lead)
        return lead


def assignments(url: str, lead_id: int) -> list[Assignment]:
    with unit_of_work(url) as s:
        return list(
            s.scalars(select(Assignment).where(Assignment.lead_id == lead_id).order_by(Assignment.id))
        )


def tasks(url: str, lead_id: int) -> list[Task]:
    with unit_of_work(url) as s:
        return list(s.scalars(select(Task).where(Task.lead_id == lead_id).order_by(Task.id)))


def notices(url: str, user_id: int) -> list[Notification]:
    with unit_of_work(url) as s:
        return list(
            s.scalars(select(Notification).where(Notification.user_id == user_id).order_by(Notification.id))
        )


def set_user(url: str, user_id: int, **fields: Any) -> None:
    with unit_of_work(url) as s:
        user = s.get(User, user_id)
        assert user is not None
        for k, v in fields.items():
            setattr(user, k, v)
