"""A scoring model as data: fit rules, behaviour rules, penalties, stage requirements and temperature bands.

Marketing and sales agree on these numbers and tune them over time, so a model is plain, versioned data that
round-trips through YAML (``pheu.score.model_yaml``) and is checked when it is built: every refusal is a
``Problem`` naming the rule, the field, what was wrong (a code and its params) and what would be accepted,
and all of a model's problems are reported together. The words for each code, in Vietnamese and English, are
in ``pheu.score.problems``, so the checks stay free of any language.

Sign conventions: fit and behaviour rules give positive points, negative rules give negative points. A cap is
always a positive number of points (for a penalty it bounds how much it can take away). Penalties never decay:
an unsubscribe stays an unsubscribe, and it keeps "time passing never raises a score" true.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from pheu.lifecycle import Stage
from pheu.score.problems import Problem, problem

FitOp = Literal["equals", "one_of", "range", "pattern", "missing", "present"]
PropertyOp = Literal["equals", "one_of", "contains", "at_least"]
ConditionKind = Literal[
    "has_email_or_phone", "has_email", "has_phone", "has_consent", "has_event", "min_fit", "no_flag"
]
Temperature = Literal["cold", "warm", "hot"]

FIT_OPS: Final[tuple[FitOp, ...]] = ("equals", "one_of", "range", "pattern", "missing", "present")
PROPERTY_OPS: Final[tuple[PropertyOp, ...]] = ("equals", "one_of", "contains", "at_least")
CONDITION_KINDS: Final[tuple[ConditionKind, ...]] = (
    "has_email_or_phone", "has_email", "has_phone", "has_consent", "has_event", "min_fit", "no_flag",
)  # fmt: skip
MODEL_STAGES: Final = (Stage.MQL, Stage.SQL)

# Lead columns a fit rule may read (see pheu.store.leads.Lead), plus values derived from the lead:
# ``email_domain`` (after the @), ``flags`` (cleaning flags), ``kind`` (sales/recruitment), ``consents``
# (purposes granted) and ``channel`` (the channel's code).
LEAD_FIELDS: Final = frozenset({
    "full_name", "email", "phone", "job_title", "age_range", "gender", "income_range", "marital_status",
    "interests", "company", "industry", "company_size", "country", "province", "city", "utm_source",
    "utm_medium", "utm_campaign", "utm_term", "utm_content", "landing_page", "referrer", "lead_magnet",
})  # fmt: skip
DERIVED_FIELDS: Final = frozenset({"email_domain", "flags", "kind", "consents", "channel"})
KNOWN_FIELDS: Final = LEAD_FIELDS | DERIVED_FIELDS

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class ModelError(ValueError):
    """A model that cannot be used; ``problems`` lists every reason at once."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def _raise_if(problems: list[Problem]) -> None:
    if problems:
        raise ModelError(problems)


@dataclass(frozen=True, slots=True)
class FitRule:
    """Points for who the lead is. Text comparisons ignore case and Vietnamese tones ("giam doc" equals
    "Giám đốc"); ``pattern`` is a regular expression searched in the text and in its tone-free form;
    ``range`` reads the number a value starts with ("10-49" → 10, "500+" → 500) and includes both bounds.
    On a list field (flags, interests, consents) a rule matches when any element does; an empty list is
    missing."""

    id: str
    field: str
    op: FitOp
    points: float
    label_vi: str
    label_en: str
    value: str | None = None
    values: tuple[str, ...] = ()
    at_least: float | None = None
    at_most: float | None = None

    def __post_init__(self) -> None:
        _raise_if(check_fit_rule(self))


@dataclass(frozen=True, slots=True)
class PropertyCondition:
    """A condition on one event property: ``contains`` is a substring test on text and membership on a list;
    ``at_least`` compares numbers. Text comparisons ignore case and tones."""

    key: str
    op: PropertyOp
    value: str | None = None
    values: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class BehaviourRule:
    """Points for each event of ``event_type`` meeting every ``when`` condition.

    ``cap`` points per ``period_days`` is a rolling limit: events are taken oldest first and one counts only
    while fewer than ``floor(cap / |points|)`` counted events of this rule lie in the ``period_days`` before
    it (the window is open at its old end, so an event exactly one period after a counted one may count
    again). No ``period_days`` makes the cap a lifetime one. A counted event's points then halve every
    ``half_life_days`` (no half-life: they never fade)."""

    id: str
    event_type: str
    points: float
    label_vi: str
    label_en: str
    when: tuple[PropertyCondition, ...] = ()
    cap: float | None = None
    period_days: float | None = None
    half_life_days: float | None = None

    def __post_init__(self) -> None:
        _raise_if(check_behaviour_rule(self))

    @property
    def slots(self) -> int | None:
        """How many events may count per period, or ``None`` when there is no cap."""
        if self.cap is None:
            return None
        return math.floor(self.cap / abs(self.points) + 1e-9)


Rule = FitRule | BehaviourRule


@dataclass(frozen=True, slots=True)
class Condition:
    """A requirement besides the score: ``has_consent`` wants any of ``purposes`` granted, ``has_event``
    any of ``event_types`` within the last ``within_days`` (no limit when unset), ``min_fit`` a fit part of
    at least ``value``, ``no_flag`` the absence of cleaning flag ``flag``."""

    kind: ConditionKind
    purposes: tuple[str, ...] = ()
    event_types: tuple[str, ...] = ()
    within_days: float | None = None
    value: float | None = None
    flag: str | None = None

    def __post_init__(self) -> None:
        _raise_if(check_condition(self, f"condition '{self.kind}'"))


@dataclass(frozen=True, slots=True)
class StageRule:
    """What the model needs before it moves a lead into ``stage`` (MQL or SQL)."""

    stage: Stage
    min_score: float
    conditions: tuple[Condition, ...] = ()


@dataclass(frozen=True, slots=True)
class TemperatureBands:
    """Cold below ``warm_at``, warm from ``warm_at``, hot from ``hot_at``."""

    warm_at: float
    hot_at: float

    def of(self, total: float) -> Temperature:
        return "hot" if total >= self.hot_at else "warm" if total >= self.warm_at else "cold"


@dataclass(frozen=True, slots=True)
class ScoringModel:
    name: str
    version: int
    description_vi: str
    description_en: str
    fit_rules: tuple[FitRule, ...]
    behaviour_rules: tuple[BehaviourRule, ...]
    negative_rules: tuple[Rule, ...]
    stages: tuple[StageRule, ...]
    temperature: TemperatureBands

    def __post_init__(self) -> None:
        _raise_if(check_model(self))

    @property
    def label(self) -> str:
        """How the model signs the stage moves it makes."""
        return f"{self.name} v{self.version}"

    def stage_rule(self, stage: Stage) -> StageRule | None:
        return next((s for s in self.stages if s.stage == stage), None)

    def all_rules(self) -> tuple[Rule, ...]:
        return (*self.fit_rules, *self.behaviour_rules, *self.negative_rules)


def _finite(x: float | None) -> bool:
    return x is not None and math.isfinite(x)


def check_fit_rule(rule: FitRule) -> list[Problem]:
    where = f"fit rule '{rule.id}'"
    problems = _check_common(where, rule.id, rule.points, rule.label_vi, rule.label_en)
    if rule.field not in KNOWN_FIELDS:
        problems.append(
            problem(where, "field", "not_a_field", value=rule.field, choices=", ".join(sorted(KNOWN_FIELDS)))
        )
    if rule.op not in FIT_OPS:
        problems.append(problem(where, "op", "unknown_operator", value=rule.op, choices=", ".join(FIT_OPS)))
    elif rule.op in ("equals", "pattern") and not (rule.value or "").strip():
        problems.append(problem(where, "value", "needs_text", op=rule.op))
    elif rule.op == "pattern":
        problems.extend(_check_pattern(where, rule.value or ""))
    elif rule.op == "one_of" and not any(v.strip() for v in rule.values):
        problems.append(problem(where, "values", "needs_values"))
    elif rule.op == "range":
        problems.extend(_check_range(where, rule.at_least, rule.at_most))
    return problems


def _check_pattern(where: str, pattern: str) -> list[Problem]:
    try:
        re.compile(pattern)
    except re.error as exc:
        return [problem(where, "value", "bad_pattern", error=exc)]
    return []


def _check_range(where: str, low: float | None, high: float | None) -> list[Problem]:
    if low is None and high is None:
        return [problem(where, "at_least", "range_no_bound")]
    if (low is not None and not _finite(low)) or (high is not None and not _finite(high)):
        return [problem(where, "at_least", "range_not_finite")]
    if low is not None and high is not None and low > high:
        return [problem(where, "at_most", "range_reversed", high=high, low=low)]
    return []


def _check_common(where: str, rule_id: str, points: float, label_vi: str, label_en: str) -> list[Problem]:
    problems: list[Problem] = []
    if not _ID.match(rule_id):
        problems.append(problem(where, "id", "bad_id", value=rule_id))
    if not _finite(points) or points == 0:
        problems.append(problem(where, "points", "zero_points"))
    for name, text in (("label_vi", label_vi), ("label_en", label_en)):
        if not text.strip():
            problems.append(problem(where, name, "label_needed"))
    return problems


def check_behaviour_rule(rule: BehaviourRule) -> list[Problem]:
    where = f"behaviour rule '{rule.id}'"
    problems = _check_common(where, rule.id, rule.points, rule.label_vi, rule.label_en)
    if not _ID.match(rule.event_type):
        problems.append(problem(where, "event_type", "bad_event_type", value=rule.event_type))
    for name, days in (("period_days", rule.period_days), ("half_life_days", rule.half_life_days)):
        if days is not None and not (_finite(days) and days > 0):
            problems.append(problem(where, name, "days_not_positive"))
    if rule.cap is not None and not (
        _finite(rule.cap) and _finite(rule.points) and rule.cap >= abs(rule.points)
    ):
        problems.append(problem(where, "cap", "cap_below_points", points=abs(rule.points)))
    if rule.period_days is not None and rule.cap is None:
        problems.append(problem(where, "period_days", "period_without_cap"))
    for index, cond in enumerate(rule.when):
        problems.extend(_check_property(f"{where}, when[{index}]", cond))
    return problems


def _check_property(where: str, cond: PropertyCondition) -> list[Problem]:
    if not cond.key.strip():
        return [problem(where, "key", "empty_key")]
    if cond.op not in PROPERTY_OPS:
        return [problem(where, "op", "unknown_operator", value=cond.op, choices=", ".join(PROPERTY_OPS))]
    if cond.op == "one_of":
        return [] if cond.values else [problem(where, "values", "needs_values")]
    if cond.value is None or not cond.value.strip():
        return [problem(where, "value", "needs_value", op=cond.op)]
    if cond.op == "at_least" and _number(cond.value) is None:
        return [problem(where, "value", "not_a_number", value=repr(cond.value), example=30)]
    return []


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def check_condition(cond: Condition, where: str) -> list[Problem]:
    if cond.kind not in CONDITION_KINDS:
        return [
            problem(where, "kind", "unknown_condition", value=cond.kind, choices=", ".join(CONDITION_KINDS))
        ]
    if cond.kind == "has_consent" and not cond.purposes:
        return [problem(where, "purposes", "purposes_needed")]
    if cond.kind == "has_event":
        if not cond.event_types:
            return [problem(where, "event_types", "event_types_needed")]
        if cond.within_days is not None and not (_finite(cond.within_days) and cond.within_days > 0):
            return [problem(where, "within_days", "days_not_positive")]
    if cond.kind == "min_fit" and not _finite(cond.value):
        return [problem(where, "value", "min_fit_number")]
    if cond.kind == "no_flag" and not (cond.flag or "").strip():
        return [problem(where, "flag", "flag_needed")]
    return []


def check_model(model: ScoringModel) -> list[Problem]:
    """Checks across rules; each rule has already checked itself when it was built."""
    problems: list[Problem] = []
    if not model.name.strip():
        problems.append(problem("model", "name", "name_needed"))
    if model.version < 1:
        problems.append(problem("model", "version", "bad_version", value=model.version))
    seen: set[str] = set()
    for rule in model.all_rules():
        if rule.id in seen:
            problems.append(problem(f"rule '{rule.id}'", "id", "duplicate_id"))
        seen.add(rule.id)
    problems.extend(_check_signs(model))
    problems.extend(_check_stages(model))
    bands = model.temperature
    if not (_finite(bands.warm_at) and _finite(bands.hot_at) and bands.warm_at < bands.hot_at):
        problems.append(problem("temperature", "hot_at", "hot_not_above_warm"))
    return problems


def _check_signs(model: ScoringModel) -> list[Problem]:
    positive: tuple[Rule, ...] = (*model.fit_rules, *model.behaviour_rules)
    problems = [
        problem(f"rule '{r.id}'", "points", "positive_rule_negative") for r in positive if r.points < 0
    ]
    for rule in model.negative_rules:
        where = f"negative rule '{rule.id}'"
        if rule.points > 0:
            problems.append(problem(where, "points", "negative_rule_positive"))
        if isinstance(rule, BehaviourRule) and rule.half_life_days is not None:
            problems.append(problem(where, "half_life_days", "penalty_fades"))
    return problems


def _check_stages(model: ScoringModel) -> list[Problem]:
    problems: list[Problem] = []
    stages = [s.stage for s in model.stages]
    for stage in MODEL_STAGES:
        if stages.count(stage) != 1:
            problems.append(problem("stages", stage.value, "stage_count", stage=stage.value))
    for rule in model.stages:
        where = f"stages.{rule.stage.value}"
        if rule.stage not in MODEL_STAGES:
            problems.append(problem(where, "stage", "stage_not_allowed"))
        if not _finite(rule.min_score):
            problems.append(problem(where, "min_score", "min_score_number"))
    return problems
