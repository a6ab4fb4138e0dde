"""A scoring model as data: fit rules, behaviour rules, penalties, stage requirements and temperature bands.

Marketing and sales agree on these numbers and tune them over time, so a model is plain, versioned data that
round-trips through YAML (``pheu.score.model_yaml``) and is checked when it is built: every refusal is a
``Problem`` naming the rule, the field, what was wrong and what would be accepted, and all of a model's
problems are reported together.

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
ID_ACCEPTED: Final = "1–64 lower-case letters, digits, '-' or '_' (for example 'xem-bang-gia')"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a model: ``where`` names the rule or section, ``field`` the setting."""

    where: str
    field: str
    message: str
    accepted: str

    def __str__(self) -> str:
        return f"{self.where}, {self.field}: {self.message} Accepted: {self.accepted}."


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
            Problem(where, "field", f"'{rule.field}' is not a lead field.", ", ".join(sorted(KNOWN_FIELDS)))
        )
    if rule.op not in FIT_OPS:
        problems.append(Problem(where, "op", f"'{rule.op}' is not an operator.", ", ".join(FIT_OPS)))
    elif rule.op in ("equals", "pattern") and not (rule.value or "").strip():
        problems.append(Problem(where, "value", f"'{rule.op}' needs a value.", "a non-empty text"))
    elif rule.op == "pattern":
        problems.extend(_check_pattern(where, rule.value or ""))
    elif rule.op == "one_of" and not any(v.strip() for v in rule.values):
        problems.append(Problem(where, "values", "'one_of' needs at least one value.", "a list of texts"))
    elif rule.op == "range":
        problems.extend(_check_range(where, rule.at_least, rule.at_most))
    return problems


def _check_pattern(where: str, pattern: str) -> list[Problem]:
    try:
        re.compile(pattern)
    except re.error as exc:
        return [
            Problem(where, "value", f"the pattern does not compile ({exc}).", "a Python regular expression")
        ]
    return []


def _check_range(where: str, low: float | None, high: float | None) -> list[Problem]:
    accepted = "at_least and/or at_most, numbers with at_least ≤ at_most"
    if low is None and high is None:
        return [Problem(where, "at_least", "'range' needs at least one bound.", accepted)]
    if (low is not None and not _finite(low)) or (high is not None and not _finite(high)):
        return [Problem(where, "at_least", "bounds must be finite numbers.", accepted)]
    if low is not None and high is not None and low > high:
        return [Problem(where, "at_most", f"at_most {high:g} is below at_least {low:g}.", accepted)]
    return []


def _check_common(where: str, rule_id: str, points: float, label_vi: str, label_en: str) -> list[Problem]:
    problems: list[Problem] = []
    if not _ID.match(rule_id):
        problems.append(Problem(where, "id", f"'{rule_id}' is not a usable id.", ID_ACCEPTED))
    if not _finite(points) or points == 0:
        problems.append(
            Problem(where, "points", "points must be a non-zero number.", "for example 10 or -20")
        )
    for name, text in (("label_vi", label_vi), ("label_en", label_en)):
        if not text.strip():
            problems.append(Problem(where, name, "a label is needed for 'why this score'.", "a short text"))
    return problems


def check_behaviour_rule(rule: BehaviourRule) -> list[Problem]:
    where = f"behaviour rule '{rule.id}'"
    problems = _check_common(where, rule.id, rule.points, rule.label_vi, rule.label_en)
    if not _ID.match(rule.event_type):
        problems.append(
            Problem(where, "event_type", f"'{rule.event_type}' is not an event type.", ID_ACCEPTED)
        )
    for name, days in (("period_days", rule.period_days), ("half_life_days", rule.half_life_days)):
        if days is not None and not (_finite(days) and days > 0):
            problems.append(Problem(where, name, "must be a positive number of days.", "for example 30"))
    if rule.cap is not None and not (
        _finite(rule.cap) and _finite(rule.points) and rule.cap >= abs(rule.points)
    ):
        problems.append(
            Problem(
                where,
                "cap",
                "the cap must be at least the points of one event.",
                f"a number ≥ {abs(rule.points):g}",
            )
        )
    if rule.period_days is not None and rule.cap is None:
        problems.append(
            Problem(where, "period_days", "a period without a cap limits nothing.", "set cap too")
        )
    for index, cond in enumerate(rule.when):
        problems.extend(_check_property(f"{where}, when[{index}]", cond))
    return problems


def _check_property(where: str, cond: PropertyCondition) -> list[Problem]:
    if not cond.key.strip():
        return [Problem(where, "key", "the property name is empty.", "a property name such as 'url'")]
    if cond.op not in PROPERTY_OPS:
        return [Problem(where, "op", f"'{cond.op}' is not an operator.", ", ".join(PROPERTY_OPS))]
    if cond.op == "one_of":
        return [] if cond.values else [Problem(where, "values", "'one_of' needs values.", "a list of texts")]
    if cond.value is None or not cond.value.strip():
        return [Problem(where, "value", f"'{cond.op}' needs a value.", "a text or a number")]
    if cond.op == "at_least" and _number(cond.value) is None:
        return [Problem(where, "value", f"'{cond.value}' is not a number.", "a number such as 30")]
    return []


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def check_condition(cond: Condition, where: str) -> list[Problem]:
    if cond.kind not in CONDITION_KINDS:
        return [Problem(where, "kind", f"'{cond.kind}' is not a condition.", ", ".join(CONDITION_KINDS))]
    if cond.kind == "has_consent" and not cond.purposes:
        return [Problem(where, "purposes", "name the consent purposes.", "for example [email_marketing]")]
    if cond.kind == "has_event":
        if not cond.event_types:
            return [Problem(where, "event_types", "name the event types.", "for example [email_open]")]
        if cond.within_days is not None and not (_finite(cond.within_days) and cond.within_days > 0):
            return [Problem(where, "within_days", "must be a positive number of days.", "for example 30")]
    if cond.kind == "min_fit" and not _finite(cond.value):
        return [Problem(where, "value", "'min_fit' needs a number.", "for example 10")]
    if cond.kind == "no_flag" and not (cond.flag or "").strip():
        return [Problem(where, "flag", "'no_flag' needs a flag.", "for example email_disposable")]
    return []


def check_model(model: ScoringModel) -> list[Problem]:
    """Checks across rules; each rule has already checked itself when it was built."""
    problems: list[Problem] = []
    if not model.name.strip():
        problems.append(Problem("model", "name", "the model needs a name.", "a short text"))
    if model.version < 1:
        problems.append(Problem("model", "version", f"version {model.version} is not allowed.", "1 or more"))
    seen: set[str] = set()
    for rule in model.all_rules():
        if rule.id in seen:
            problems.append(
                Problem(f"rule '{rule.id}'", "id", "two rules share this id.", "a unique id per rule")
            )
        seen.add(rule.id)
    problems.extend(_check_signs(model))
    problems.extend(_check_stages(model))
    bands = model.temperature
    if not (_finite(bands.warm_at) and _finite(bands.hot_at) and bands.warm_at < bands.hot_at):
        problems.append(Problem("temperature", "hot_at", "hot_at must be above warm_at.", "warm_at < hot_at"))
    return problems


def _check_signs(model: ScoringModel) -> list[Problem]:
    positive: tuple[Rule, ...] = (*model.fit_rules, *model.behaviour_rules)
    problems = [
        Problem(f"rule '{r.id}'", "points", "fit and behaviour rules give points.", "a positive number")
        for r in positive
        if r.points < 0
    ]
    for rule in model.negative_rules:
        where = f"negative rule '{rule.id}'"
        if rule.points > 0:
            problems.append(
                Problem(where, "points", "a negative rule takes points away.", "a negative number")
            )
        if isinstance(rule, BehaviourRule) and rule.half_life_days is not None:
            problems.append(Problem(where, "half_life_days", "penalties do not fade.", "no half_life_days"))
    return problems


def _check_stages(model: ScoringModel) -> list[Problem]:
    problems: list[Problem] = []
    stages = [s.stage for s in model.stages]
    for stage in MODEL_STAGES:
        if stages.count(stage) != 1:
            problems.append(
                Problem(
                    "stages",
                    stage.value,
                    f"exactly one rule for {stage.value} is needed.",
                    "one mql and one sql",
                )
            )
    for rule in model.stages:
        where = f"stages.{rule.stage.value}"
        if rule.stage not in MODEL_STAGES:
            problems.append(Problem(where, "stage", "the model only moves leads to MQL or SQL.", "mql, sql"))
        if not _finite(rule.min_score):
            problems.append(Problem(where, "min_score", "must be a number.", "for example 40"))
    return problems
