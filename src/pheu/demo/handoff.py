"""Demo hand-off set-up: team managers, three sensible assignment rules, reps' working hours, capacity and a
day off, and an assignment history consistent with the owners the demo leads already have.

Runs after the leads and tasks are written. Users and teams are found by the demo's e-mails and names (the
demo may have reused rows that already existed), and everything goes in one transaction, set-wise.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from pheu.handoff.deadlines import first_contact_due
from pheu.handoff.hours import DAYS
from pheu.handoff.rules import LeadFacts, Rule, first_match, parse_conditions
from pheu.handoff.settings import HandoffConfig
from pheu.services.assignment import lead_language
from pheu.services.scoring_writes import update_leads
from pheu.store import Assignment, AssignmentRule, Channel, DayOff, Lead, Team, User
from pheu.store.bulk import insert_many

SOUTH: Final = "Kinh doanh miền Nam"
NORTH: Final = "Kinh doanh miền Bắc"
# (name, team, strategy, conditions), in the order they are tried.
RULES: Final[tuple[tuple[str, str, str, dict[str, Any]], ...]] = (
    ("Khách nóng miền Nam & Trung – chia đều ngay", SOUTH, "least_loaded", {"temperatures": ["hot"], "regions": ["south", "central"]}),
    ("Miền Bắc", NORTH, "round_robin", {"regions": ["north"]}),
    ("Miền Nam & miền Trung", SOUTH, "weighted", {"regions": ["south", "central"]}),
)  # fmt: skip
MORNINGS_LONG: Final = {d: [["07:30", "11:30"], ["13:00", "17:00"]] for d in DAYS[:5]}


def seed_handoff(engine: Engine, now: datetime, seed: int = 42) -> dict[str, int]:
    """Write the demo's hand-off set-up; returns rows written per kind."""
    rng = random.Random(seed + 7)
    config = HandoffConfig()
    with Session(engine) as session, session.begin():
        users = {u.email: u for u in session.scalars(select(User))}
        teams = {t.name: t for t in session.scalars(select(Team))}
        if SOUTH not in teams or NORTH not in teams:
            return {}
        manager = users.get("manager@pheu.local")
        admin = users.get("admin@pheu.local")
        teams[SOUTH].manager_id = manager.id if manager else None
        teams[NORTH].manager_id = admin.id if admin else None  # the north has no manager of its own yet
        rules = _rules(session, teams, now)
        _reps(session, users, now, config)
        written = _history(session, rules, teams, rng, config)
    return {"assignment_rules": len(rules), "assignments": written}


def _rules(session: Session, teams: dict[str, Team], now: datetime) -> list[Rule]:
    if session.scalar(select(AssignmentRule.id).limit(1)) is not None:
        return []
    rules: list[Rule] = []
    for position, (name, team, strategy, conditions) in enumerate(RULES, start=1):
        row = AssignmentRule(
            name=name, position=position, team_id=teams[team].id, strategy=strategy, conditions=conditions,
            created_at=now, updated_at=now,
        )  # fmt: skip
        session.add(row)
        session.flush()
        rules.append(Rule(row.id, name, row.team_id, strategy, parse_conditions(conditions)))
    return rules


def _reps(session: Session, users: dict[str, User], now: datetime, config: HandoffConfig) -> None:
    rep1, rep2 = users.get("rep1@pheu.local"), users.get("rep2@pheu.local")
    if rep1 is not None:
        rep1.capacity = 2  # the senior rep takes twice the share under the weighted rule
        rep1.working_hours = MORNINGS_LONG
        rep1.languages = ["vi", "en"]
    if rep2 is not None:
        rep2.languages = ["vi"]
        tomorrow = (now.astimezone(config.tz) + timedelta(days=1)).date()
        if session.scalar(select(DayOff.id).where(DayOff.user_id == rep2.id, DayOff.day == tomorrow)) is None:
            session.add(DayOff(user_id=rep2.id, day=tomorrow, reason="Nghỉ phép"))


def _history(
    session: Session, rules: list[Rule], teams: dict[str, Team], rng: random.Random, config: HandoffConfig
) -> int:
    """One system assignment per owned sales lead that has none: by the rule that would have sent it to its
    owner's team, else recorded as a manager's choice."""
    if not rules:
        return 0
    team_of: dict[int, int | None] = {int(i): t for i, t in session.execute(select(User.id, User.team_id))}
    stmt = (
        select(Lead.id, Lead.owner_id, Lead.province, Channel.code, Lead.industry, Lead.country, Lead.score,
               Lead.temperature, Lead.created_at, Lead.first_contact_at)
        .outerjoin(Channel, Channel.id == Lead.channel_id)
        .where(Lead.kind == "sales", Lead.owner_id.is_not(None), Lead.assigned_at.is_(None))
    )  # fmt: skip
    rows, leads = [], {"id": [], "assigned_at": [], "first_contact_due_at": []}  # type: ignore[var-annotated]
    for lid, owner, province, channel, industry, country, score, temp, created, contacted in session.execute(
        stmt
    ):
        facts = LeadFacts(lid, "sales", province, channel, industry, lead_language(country), score or 0, temp)
        rule = first_match(rules, facts)
        by_rule = rule is not None and rule.team_id == team_of.get(int(owner or 0))
        at = created + timedelta(minutes=rng.randint(0, 20))
        if contacted is not None and at > contacted:
            at = contacted
        rows.append({
            "lead_id": lid, "user_id": owner, "previous_user_id": None, "team_id": team_of.get(int(owner or 0)),
            "rule_id": rule.id if by_rule and rule else None, "reason": rule.strategy if by_rule and rule else "manual",
            "actor_type": "system" if by_rule else "user", "actor_user_id": None, "at": at,
        })  # fmt: skip
        leads["id"].append(lid)
        leads["assigned_at"].append(at)
        leads["first_contact_due_at"].append(first_contact_due(at, temp, config))
    insert_many(session, Assignment, rows)
    if rows:
        update_leads(session, leads, {})
    return len(rows)
