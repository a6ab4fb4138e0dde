"""Handing ready leads to sales: the rules, the team's reps as they are right now, and the writes.

``hand_off`` is what capture, scoring and stage moves call: it picks the leads that just became ready (a
sales lead at or past the hand-off stage, with no owner, never assigned before) and assigns them set-wise.
Each decision writes an ``Assignment`` row with its rule and reason; a lead given to a rep gets an owner,
``assigned_at``, a first-contact deadline and the first-contact call task; the rep gets one notification per
batch. A lead whose team has nobody available waits in the team (an assignment row without a rep) and is
retried by ``retry_waiting`` on each tick. A lead no rule matches is left in the unassigned pool untouched.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Exists, exists, func, select
from sqlalchemy.orm import Session

from pheu import lifecycle
from pheu.handoff.assign import Decision, Reason, RepState, TeamState, assign_batch
from pheu.handoff.deadlines import first_contact_due
from pheu.handoff.hours import HoursError, Schedule, WeeklyHours, parse_hours
from pheu.handoff.rules import LeadFacts, Rule, RuleError, parse_conditions
from pheu.handoff.settings import HandoffConfig
from pheu.services import handoff_settings
from pheu.services.notifications import notify_many
from pheu.services.scoring_writes import update_leads
from pheu.store import Assignment, AssignmentRule, Channel, DayOff, Lead, Task, User
from pheu.store.bulk import insert_many
from pheu.store.filters import one_of

OPEN_STAGES = tuple(s.value for s in lifecycle.SALES_STAGES if lifecycle.is_open(s))
CHUNK = 5000


@dataclass(frozen=True, slots=True)
class AssignSummary:
    """How a batch went: ``assigned`` to reps, ``waiting`` in a team with nobody available, ``unmatched``."""

    assigned: int = 0
    waiting: int = 0
    unmatched: int = 0

    def as_json(self) -> dict[str, int]:
        return {"assigned": self.assigned, "waiting": self.waiting, "unmatched": self.unmatched}


def ready_stages(config: HandoffConfig) -> tuple[str, ...]:
    """The open sales stages at or past the hand-off stage (MQL → MQL, SQL and Opportunity)."""
    funnel = [s.value for s in lifecycle.SALES_FUNNEL if lifecycle.is_open(s)]
    return tuple(funnel[funnel.index(config.handoff_stage) :])


def hand_off(
    session: Session, lead_ids: Iterable[int], now: datetime, *, rules_active: bool | None = None
) -> AssignSummary:
    """Assign those of ``lead_ids`` that are ready and were never assigned. Cheap when nothing is ready:
    one query, and none at all when no rule is active. ``rules_active``: whether any rule is active, when
    the caller read it already (``has_active_rules``, inside a statement of its own)."""
    ids = sorted(set(lead_ids))
    if rules_active is None:
        rules_active = bool(ids) and _has_rules(session)
    if not ids or not rules_active:
        return AssignSummary()
    config = handoff_settings.load(session)
    session.flush()
    ready: list[int] = []
    for start in range(0, len(ids), CHUNK):
        part = ids[start : start + CHUNK]
        stmt = select(Lead.id).where(
            one_of(session, Lead.id, part),
            Lead.kind == lifecycle.LeadKind.SALES.value,
            Lead.owner_id.is_(None),
            Lead.stage.in_(ready_stages(config)),
            ~exists().where(Assignment.lead_id == Lead.id),
        )
        ready += list(session.scalars(stmt))
    return assign_leads(session, ready, now, config=config)


def retry_waiting(session: Session, now: datetime) -> AssignSummary:
    """Try again the leads waiting in a team (nobody was available): still unowned, still open."""
    latest = (
        select(Assignment.lead_id, func.max(Assignment.id).label("last_id"))
        .group_by(Assignment.lead_id)
        .subquery()
    )
    stmt = (
        select(Lead.id)
        .join(latest, latest.c.lead_id == Lead.id)
        .join(Assignment, Assignment.id == latest.c.last_id)
        .where(
            Assignment.user_id.is_(None),
            Assignment.reason == Reason.NO_REP_AVAILABLE.value,
            Lead.owner_id.is_(None),
            Lead.stage.in_(OPEN_STAGES),
        )
    )
    waiting = list(session.scalars(stmt))
    return assign_leads(session, waiting, now, record_waiting=False) if waiting else AssignSummary()


def active_rules(session: Session) -> list[Rule]:
    """The active rules in their order; a stored rule whose conditions no longer parse is skipped."""
    rows = session.scalars(
        select(AssignmentRule)
        .where(AssignmentRule.active.is_(True))
        .order_by(AssignmentRule.position, AssignmentRule.id)
    )
    rules: list[Rule] = []
    for row in rows:
        try:
            rules.append(
                Rule(row.id, row.name, row.team_id, row.strategy, parse_conditions(row.conditions or {}))
            )
        except RuleError:
            continue
    return rules


def assign_leads(
    session: Session,
    lead_ids: Sequence[int],
    now: datetime,
    *,
    config: HandoffConfig | None = None,
    record_waiting: bool = True,
) -> AssignSummary:
    """Run the rules over these leads (whatever their state) and write the outcome."""
    if not lead_ids:
        return AssignSummary()
    config = config or handoff_settings.load(session)
    rules = active_rules(session)
    facts = _facts(session, lead_ids)
    teams, schedules = _teams(session, {r.team_id for r in rules}, now, config)
    decisions = assign_batch(facts, rules, teams)
    _write(session, decisions, {f.id: f for f in facts}, schedules, now, config, record_waiting)
    counts = Counter(
        "assigned" if d.user_id else "unmatched" if d.reason is Reason.NO_RULE else "waiting"
        for d in decisions
    )
    return AssignSummary(counts["assigned"], counts["waiting"], counts["unmatched"])


def _has_rules(session: Session) -> bool:
    return bool(session.scalar(select(has_active_rules())))


def has_active_rules() -> Exists:
    """Whether any assignment rule is active: with none, a hand-off has nothing to do."""
    return exists().where(AssignmentRule.active.is_(True))


def lead_language(country: str | None) -> str:
    """A lead's language for rules and reps: Vietnamese for leads in Vietnam, English otherwise (the lead
    record has no language of its own)."""
    return "vi" if (country or "VN").upper() == "VN" else "en"


def _facts(session: Session, lead_ids: Sequence[int]) -> list[LeadFacts]:
    facts: list[LeadFacts] = []
    ids = sorted(set(lead_ids))
    for start in range(0, len(ids), CHUNK):
        stmt = (
            select(
                Lead.id,
                Lead.kind,
                Lead.province,
                Channel.code,
                Lead.industry,
                Lead.country,
                Lead.score,
                Lead.temperature,
            )
            .outerjoin(Channel, Channel.id == Lead.channel_id)
            .where(one_of(session, Lead.id, ids[start : start + CHUNK]))
            .order_by(Lead.id)
        )
        for lid, kind, province, channel, industry, country, score, temp in session.execute(stmt):
            facts.append(
                LeadFacts(lid, kind, province, channel, industry, lead_language(country), score or 0, temp)
            )
    return facts


def rep_hours(user: User, config: HandoffConfig) -> WeeklyHours:
    """A rep's own hours when set and valid, else the settings' defaults."""
    if user.working_hours:
        try:
            return parse_hours(user.working_hours)
        except (HoursError, AttributeError, TypeError):
            return config.working_hours
    return config.working_hours


def schedules_for(
    session: Session, users: Sequence[User], config: HandoffConfig, today: date
) -> dict[int, Schedule]:
    """Each rep's schedule with their days off from ``today`` on (a deadline can run into next week)."""
    off: dict[int, set[date]] = defaultdict(set)
    if users:
        stmt = select(DayOff.user_id, DayOff.day).where(
            DayOff.user_id.in_([u.id for u in users]), DayOff.day >= today
        )
        for user_id, day in session.execute(stmt):
            off[user_id].add(day)
    return {
        u.id: Schedule(rep_hours(u, config), frozenset(off[u.id]), u.away_from, u.away_until) for u in users
    }


def _teams(
    session: Session, team_ids: set[int], now: datetime, config: HandoffConfig
) -> tuple[dict[int, TeamState], dict[int, Schedule]]:
    if not team_ids:
        return {}, {}
    reps = list(
        session.scalars(
            select(User)
            .where(User.team_id.in_(team_ids), User.active.is_(True), User.role == "sales_rep")
            .order_by(User.id)
        )
    )
    loads = open_leads_per_owner(session, [u.id for u in reps])
    tz = config.tz
    schedules = schedules_for(session, reps, config, now.astimezone(tz).date())
    teams = {t: TeamState([], _last_round_robin(session, t)) for t in team_ids}
    for u in reps:
        s = schedules[u.id]
        available = not s.is_away(now) and now.astimezone(tz).date() not in s.days_off
        teams[u.team_id or 0].reps.append(
            RepState(
                u.id,
                u.team_id or 0,
                max(u.capacity or 1, 1),
                loads.get(u.id, 0),
                available,
                s.is_working(now, tz),
                frozenset(u.languages) if u.languages else None,
            )
        )
    return teams, schedules


def open_leads_per_owner(session: Session, user_ids: Sequence[int]) -> dict[int, int]:
    if not user_ids:
        return {}
    stmt = (
        select(Lead.owner_id, func.count())
        .where(Lead.owner_id.in_(user_ids), Lead.stage.in_(OPEN_STAGES))
        .group_by(Lead.owner_id)
    )
    return {int(o or 0): int(n) for o, n in session.execute(stmt)}


def _last_round_robin(session: Session, team_id: int) -> int | None:
    stmt = (
        select(Assignment.user_id)
        .where(
            Assignment.team_id == team_id, Assignment.user_id.is_not(None), Assignment.actor_type == "system"
        )
        .order_by(Assignment.id.desc())
        .limit(1)
    )
    return session.scalar(stmt)


def _write(
    session: Session,
    decisions: Sequence[Decision],
    facts: dict[int, LeadFacts],
    schedules: dict[int, Schedule],
    now: datetime,
    config: HandoffConfig,
    record_waiting: bool,
) -> None:
    given = [d for d in decisions if d.user_id is not None]
    recorded = [d for d in decisions if d.user_id is not None or (record_waiting and d.team_id is not None)]
    insert_many(session, Assignment, [_assignment_row(d, now) for d in recorded])
    if not given:
        return
    due = {d.lead_id: _due(d, facts, schedules, now, config) for d in given}
    update_leads(
        session,
        {
            "id": [d.lead_id for d in given],
            "owner_id": [d.user_id for d in given],
            "first_contact_due_at": [due[d.lead_id] for d in given],
        },
        {"assigned_at": now, "updated_at": now},
    )
    insert_many(session, Task, [_task_row(d, due[d.lead_id], now) for d in given])
    notify_many(session, _notices(session, given), now)
    # The writes above bypass the ORM: a caller holding one of these leads must read the new owner.
    given_ids = {d.lead_id for d in given}
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Lead) and obj.id in given_ids:
            session.expire(obj)


def _due(
    d: Decision,
    facts: dict[int, LeadFacts],
    schedules: dict[int, Schedule],
    now: datetime,
    config: HandoffConfig,
) -> datetime:
    s = schedules.get(d.user_id or 0)
    temperature = facts[d.lead_id].temperature
    if s is None:
        return first_contact_due(now, temperature, config)
    return first_contact_due(now, temperature, config, s.hours, s.days_off)


def _assignment_row(d: Decision, now: datetime) -> dict[str, Any]:
    return {
        "lead_id": d.lead_id,
        "user_id": d.user_id,
        "previous_user_id": None,
        "team_id": d.team_id,
        "rule_id": d.rule_id,
        "reason": d.reason.value,
        "actor_type": "system",
        "actor_user_id": None,
        "at": now,
    }


def _task_row(d: Decision, due_at: datetime, now: datetime, owner_id: int | None = None) -> dict[str, Any]:
    return {
        "lead_id": d.lead_id,
        "owner_id": owner_id or d.user_id,
        "kind": "call",
        "title": "First contact",
        "notes": None,
        "due_at": due_at,
        "ends_at": None,
        "status": "open",
        "outcome": None,
        "first_contact": True,
        "escalated_at": None,
        "created_at": now,
        "created_by": None,
        "completed_at": None,
        "completed_by": None,
    }


def _notices(session: Session, given: Sequence[Decision]) -> list[dict[str, Any]]:
    per_rep: dict[int, list[int]] = defaultdict(list)
    for d in given:
        per_rep[d.user_id or 0].append(d.lead_id)
    singles = [ids[0] for ids in per_rep.values() if len(ids) == 1]
    names = {i: n for i, n in session.execute(select(Lead.id, Lead.full_name).where(Lead.id.in_(singles)))}  # noqa: C416
    rows: list[dict[str, Any]] = []
    for user_id, ids in per_rep.items():
        if len(ids) == 1:
            rows.append(
                {
                    "user_id": user_id,
                    "kind": "assigned",
                    "lead_id": ids[0],
                    "data": {"lead_name": names.get(ids[0]) or ""},
                }
            )
        else:
            rows.append(
                {"user_id": user_id, "kind": "assigned", "data": {"count": len(ids), "lead_ids": ids[:20]}}
            )
    return rows


def latest_assignments(session: Session, lead_id: int, limit: int = 20) -> list[Assignment]:
    stmt = select(Assignment).where(Assignment.lead_id == lead_id).order_by(Assignment.id.desc()).limit(limit)
    return list(session.scalars(stmt))
