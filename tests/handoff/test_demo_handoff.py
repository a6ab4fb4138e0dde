"""The demo's hand-off set-up: managers, rules, reps' hours and an assignment history matching the owners."""

from __future__ import annotations

from sqlalchemy import func, select

from pheu.db import get_engine, unit_of_work
from pheu.demo.seed import seed
from pheu.store import Assignment, AssignmentRule, DayOff, Lead, Team, User
from tests.conftest import NOW


def test_demo_seeds_rules_managers_and_a_consistent_assignment_history(db_url: str) -> None:
    summary = seed(get_engine(db_url), n_leads=300, now=NOW, seed=5)
    assert summary.counts["assignment_rules"] == 3
    with unit_of_work(db_url) as s:
        assert all(t.manager_id is not None for t in s.scalars(select(Team)))
        assert [r.strategy for r in s.scalars(select(AssignmentRule).order_by(AssignmentRule.position))] == [
            "least_loaded",
            "round_robin",
            "weighted",
        ]
        owned = s.scalar(select(func.count()).where(Lead.kind == "sales", Lead.owner_id.is_not(None)))
        assert owned and summary.counts["assignments"] == owned
        rows = s.execute(
            select(Assignment.user_id, Lead.owner_id, Assignment.team_id, User.team_id, Assignment.rule_id,
                   AssignmentRule.team_id, Assignment.at, Lead.assigned_at, Lead.first_contact_due_at)
            .join(Lead, Lead.id == Assignment.lead_id)
            .join(User, User.id == Assignment.user_id)
            .outerjoin(AssignmentRule, AssignmentRule.id == Assignment.rule_id)
        ).all()  # fmt: skip
        for user, owner, team, user_team, rule, rule_team, at, assigned_at, due in rows:
            assert user == owner and team == user_team and at == assigned_at and due is not None and due > at
            assert rule is None or rule_team == team
        assert any(r[4] is not None for r in rows)
        assert s.scalar(select(func.count()).select_from(DayOff)) == 1
        rep1 = s.scalars(select(User).where(User.email == "rep1@pheu.local")).one()
        assert rep1.capacity == 2 and rep1.working_hours is not None
