"""Assignment rules as values: conditions a lead must meet, matched in order, first match wins.

A condition left out matches every lead; a list condition matches when the lead's value is in it (compared
folded, so "Hà Nội" matches "ha noi"); a province condition also matches by region ("north" covers Hà Nội
and Hải Phòng). A lead missing a value a condition asks about does not match that condition.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from pheu.clean.search import fold
from pheu.handoff.regions import Region, province_key, region_of

STRATEGIES: Final[tuple[str, ...]] = ("round_robin", "least_loaded", "weighted")
LIST_FIELDS: Final[tuple[str, ...]] = (
    "provinces",
    "regions",
    "channels",
    "industries",
    "languages",
    "kinds",
    "temperatures",
)
_CHOICES: Final[dict[str, tuple[str, ...]]] = {
    "regions": tuple(r.value for r in Region),
    "kinds": ("sales",),
    "temperatures": ("hot", "warm", "cold"),
}


class RuleError(ValueError):
    """Conditions that cannot be used; ``field`` names which, the message says what is accepted."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class Conditions:
    provinces: frozenset[str] | None = None
    regions: frozenset[str] | None = None
    channels: frozenset[str] | None = None
    industries: frozenset[str] | None = None
    languages: frozenset[str] | None = None
    kinds: frozenset[str] | None = None
    temperatures: frozenset[str] | None = None
    min_score: int | None = None
    max_score: int | None = None


@dataclass(frozen=True, slots=True)
class LeadFacts:
    """What rules look at. ``channel`` is the channel code; ``language`` the lead's language code."""

    id: int
    kind: str = "sales"
    province: str | None = None
    channel: str | None = None
    industry: str | None = None
    language: str | None = "vi"
    score: int = 0
    temperature: str | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    id: int
    name: str
    team_id: int
    strategy: str
    conditions: Conditions


def parse_conditions(data: Mapping[str, Any]) -> Conditions:
    """The stored JSON object to ``Conditions``; empty lists and blank values count as "any".

    Raises ``RuleError`` on an unknown key, a value not in a fixed list, a non-integer score or a score range
    whose minimum is above its maximum. Recruitment leads are never handed to sales, so ``kinds`` only
    accepts "sales".
    """
    values: dict[str, Any] = {}
    for key, raw in data.items():
        if key in LIST_FIELDS:
            items = [raw] if isinstance(raw, str) else list(raw or [])
            clean = frozenset(str(v).strip() for v in items if str(v).strip())
            allowed = _CHOICES.get(key)
            if allowed is not None and not clean <= set(allowed):
                raise RuleError(f"Use only: {', '.join(allowed)}.", key)
            values[key] = clean or None
        elif key in {"min_score", "max_score"}:
            if raw is None or raw == "":
                continue
            try:
                values[key] = int(raw)
            except (TypeError, ValueError):
                raise RuleError("A whole number of points.", key) from None
        else:
            raise RuleError(f"Unknown condition {key!r}.", key)
    low, high = values.get("min_score"), values.get("max_score")
    if low is not None and high is not None and low > high:
        raise RuleError("The lowest score must not be above the highest.", "min_score")
    return Conditions(**values)


def conditions_json(c: Conditions) -> dict[str, Any]:
    """The JSON object to store: only the conditions that are set, lists sorted."""
    out: dict[str, Any] = {}
    for key in LIST_FIELDS:
        value = getattr(c, key)
        if value:
            out[key] = sorted(value)
    for key in ("min_score", "max_score"):
        if getattr(c, key) is not None:
            out[key] = getattr(c, key)
    return out


def _in(value: str | None, allowed: frozenset[str] | None) -> bool:
    if allowed is None:
        return True
    if value is None:
        return False
    return fold(value) in {fold(a) for a in allowed}


def _place(province: str | None, c: Conditions) -> bool:
    if c.provinces is None and c.regions is None:
        return True
    if province is None:
        return False
    if c.provinces is not None and province_key(province) in {province_key(p) for p in c.provinces}:
        return True
    region = region_of(province)
    return c.regions is not None and region is not None and region.value in c.regions


def matches(c: Conditions, lead: LeadFacts) -> bool:
    """Whether the lead meets every condition that is set. Province and region together mean either."""
    return (
        _place(lead.province, c)
        and _in(lead.channel, c.channels)
        and _in(lead.industry, c.industries)
        and _in(lead.language, c.languages)
        and _in(lead.kind, c.kinds)
        and _in(lead.temperature, c.temperatures)
        and (c.min_score is None or lead.score >= c.min_score)
        and (c.max_score is None or lead.score <= c.max_score)
    )


def first_match(rules: Sequence[Rule], lead: LeadFacts) -> Rule | None:
    """The first rule, in the order given, whose conditions the lead meets. Recruitment leads match none."""
    if lead.kind != "sales":
        return None
    return next((r for r in rules if matches(r.conditions, lead)), None)
