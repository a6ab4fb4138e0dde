"""Managing the ordered list of assignment rules: add, edit, delete, reorder. Admins and sales managers only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pheu.auth.roles import Principal
from pheu.handoff.rules import STRATEGIES, RuleError, conditions_json, parse_conditions
from pheu.services import audit
from pheu.services.errors import Invalid, NotFound
from pheu.services.handoff_settings import require_manager
from pheu.store import AssignmentRule, Team


@dataclass(frozen=True, slots=True)
class RuleIn:
    """A rule as a person or an API client sends it; ``conditions`` is checked by the pure core."""

    name: str
    team_id: int
    strategy: str = "round_robin"
    conditions: dict[str, Any] | None = None
    active: bool = True


def list_rules(session: Session) -> list[AssignmentRule]:
    return list(session.scalars(select(AssignmentRule).order_by(AssignmentRule.position, AssignmentRule.id)))


def get_rule(session: Session, rule_id: int) -> AssignmentRule:
    rule = session.get(AssignmentRule, rule_id)
    if rule is None:
        raise NotFound(f"No assignment rule with id {rule_id}.")
    return rule


def _validated(session: Session, data: RuleIn) -> tuple[str, dict[str, Any]]:
    name = data.name.strip()
    if not name or len(name) > 120:
        raise Invalid("A rule needs a name of at most 120 characters.", field="name")
    if data.strategy not in STRATEGIES:
        raise Invalid(f"The strategy must be one of {', '.join(STRATEGIES)}.", field="strategy")
    if session.get(Team, data.team_id) is None:
        raise Invalid(f"No team with id {data.team_id}.", field="team_id")
    try:
        conditions = conditions_json(parse_conditions(data.conditions or {}))
    except RuleError as exc:
        raise Invalid(str(exc), field=f"conditions.{exc.field}") from exc
    return name, conditions


def create_rule(session: Session, principal: Principal, data: RuleIn, now: datetime) -> AssignmentRule:
    """A new rule goes to the end of the list."""
    require_manager(principal)
    name, conditions = _validated(session, data)
    position = (session.scalar(select(func.max(AssignmentRule.position))) or 0) + 1
    rule = AssignmentRule(
        name=name,
        team_id=data.team_id,
        strategy=data.strategy,
        conditions=conditions,
        active=data.active,
        position=position,
        created_at=now,
        updated_at=now,
    )
    session.add(rule)
    session.flush()
    _audit(session, principal, "create", rule, now)
    return rule


def update_rule(
    session: Session, principal: Principal, rule_id: int, data: RuleIn, now: datetime
) -> AssignmentRule:
    require_manager(principal)
    rule = get_rule(session, rule_id)
    name, conditions = _validated(session, data)
    rule.name, rule.team_id, rule.strategy = name, data.team_id, data.strategy
    rule.conditions, rule.active, rule.updated_at = conditions, data.active, now
    session.flush()
    _audit(session, principal, "update", rule, now)
    return rule


def delete_rule(session: Session, principal: Principal, rule_id: int, now: datetime) -> None:
    """Past assignments keep their rows; their rule link becomes empty."""
    require_manager(principal)
    rule = get_rule(session, rule_id)
    _audit(session, principal, "delete", rule, now)
    session.delete(rule)
    session.flush()


def reorder(
    session: Session, principal: Principal, rule_ids: Sequence[int], now: datetime
) -> list[AssignmentRule]:
    """Set the order to ``rule_ids``, which must name every rule exactly once."""
    require_manager(principal)
    rules = {r.id: r for r in list_rules(session)}
    if sorted(rule_ids) != sorted(rules):
        raise Invalid("Send every rule id exactly once, in the new order.", field="rule_ids")
    for position, rule_id in enumerate(rule_ids, start=1):
        rules[rule_id].position = position
        rules[rule_id].updated_at = now
    session.flush()
    audit.record(
        session,
        at=now,
        actor=principal,
        action="reorder",
        entity="assignment_rule",
        entity_id="*",
        changes={"order": list(rule_ids)},
    )
    return [rules[i] for i in rule_ids]


def move(
    session: Session, principal: Principal, rule_id: int, step: int, now: datetime
) -> list[AssignmentRule]:
    """Move one rule up (``step`` -1) or down (+1) the list."""
    ids = [r.id for r in list_rules(session)]
    if rule_id not in ids:
        raise NotFound(f"No assignment rule with id {rule_id}.")
    i = ids.index(rule_id)
    j = min(max(i + step, 0), len(ids) - 1)
    ids[i], ids[j] = ids[j], ids[i]
    return reorder(session, principal, ids, now)


def rule_json(rule: AssignmentRule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.name,
        "position": rule.position,
        "active": rule.active,
        "team_id": rule.team_id,
        "strategy": rule.strategy,
        "conditions": rule.conditions or {},
    }


def _audit(session: Session, principal: Principal, action: str, rule: AssignmentRule, now: datetime) -> None:
    audit.record(
        session,
        at=now,
        actor=principal,
        action=action,
        entity="assignment_rule",
        entity_id=rule.id,
        changes=rule_json(rule),
    )
