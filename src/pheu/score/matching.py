"""Rules turned into predicates once per model, shared by the per-lead engine and the set-wise rescoring so
both decide "does this rule match" in exactly the same way.

Text is compared case- and tone-insensitively (``pheu.clean.search.fold``): leads type "giam doc" as often
as "Giám đốc". A list value (flags, interests, consents, a list property) matches when any element does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Final

from pheu.clean.search import fold
from pheu.score.facts import FieldValue, is_missing
from pheu.score.model import BehaviourRule, FitRule, PropertyCondition

FieldPredicate = Callable[[FieldValue], bool]
EventPredicate = Callable[[Mapping[str, object]], bool]
_LEADING_NUMBER: Final = re.compile(r"^\s*([+-]?\d+(?:\.\d+)?)")


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _folded(value: object) -> str:
    return _fold_cached(_text(value))


@lru_cache(maxsize=8192)
def _fold_cached(text: str) -> str:
    """Lead values repeat (job titles, provinces, sizes), so each distinct one is folded once."""
    return fold(text)


def leading_number(value: object) -> float | None:
    """The number a value starts with: 35 → 35, "10-49" → 10, "500+" → 500, "khoảng 10" → None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    found = _LEADING_NUMBER.match(str(value))
    return float(found.group(1)) if found else None


def _any(value: object, test: Callable[[object], bool]) -> bool:
    if isinstance(value, list | tuple | set | frozenset):
        return any(test(item) for item in value)
    return test(value)


def fit_predicate(rule: FitRule) -> FieldPredicate:
    """Whether a lead's value for ``rule.field`` satisfies the rule."""
    if rule.op == "missing":
        return is_missing
    if rule.op == "present":
        return lambda value: not is_missing(value)
    scalar = _scalar_test(rule)
    return lambda value: not is_missing(value) and _any(value, scalar)


def _scalar_test(rule: FitRule) -> Callable[[object], bool]:
    if rule.op == "equals":
        target = fold(rule.value or "")
        return lambda item: _folded(item) == target
    if rule.op == "one_of":
        targets = frozenset(fold(v) for v in rule.values)
        return lambda item: _folded(item) in targets
    if rule.op == "pattern":
        pattern = re.compile(rule.value or "", re.IGNORECASE)
        return lambda item: bool(pattern.search(_text(item)) or pattern.search(_folded(item)))
    low = rule.at_least if rule.at_least is not None else float("-inf")
    high = rule.at_most if rule.at_most is not None else float("inf")

    def in_range(item: object) -> bool:
        number = leading_number(item)
        return number is not None and low <= number <= high

    return in_range


def property_predicate(cond: PropertyCondition) -> EventPredicate:
    """Whether an event's properties satisfy one condition; a missing property never does."""
    key = cond.key
    if cond.op == "at_least":
        threshold = float(cond.value or 0)

        def at_least(props: Mapping[str, object]) -> bool:
            number = leading_number(props.get(key)) if props.get(key) is not None else None
            return number is not None and number >= threshold

        return at_least
    if cond.op == "contains":
        needle = fold(cond.value or "")

        def contains(props: Mapping[str, object]) -> bool:
            value = props.get(key)
            if value is None:
                return False
            if isinstance(value, list | tuple | set | frozenset):
                return any(_folded(item) == needle for item in value)
            return needle in _folded(value)

        return contains
    targets = frozenset(fold(v) for v in (cond.values if cond.op == "one_of" else (cond.value or "",)))

    def member(props: Mapping[str, object]) -> bool:
        value = props.get(key)
        return value is not None and _any(value, lambda item: _folded(item) in targets)

    return member


def event_predicate(rule: BehaviourRule) -> EventPredicate | None:
    """All of a rule's ``when`` conditions at once, or ``None`` when it has none (every event of the type)."""
    tests = tuple(property_predicate(c) for c in rule.when)
    if not tests:
        return None
    return lambda props: all(test(props) for test in tests)
