"""A scoring model to and from plain data and YAML, so a team can export it, edit it and import it again.

``from_yaml(to_yaml(model)) == model``. Reading collects every problem before it gives up (a typo in one
rule does not hide a typo in another) and names where each one is; unknown keys are refused so that a
misspelt ``pionts`` is not silently ignored.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import fields, replace
from typing import Any, TypeVar, cast

import yaml

from pheu.lifecycle import Stage
from pheu.score.model import (
    MODEL_STAGES,
    BehaviourRule,
    Condition,
    ConditionKind,
    FitOp,
    FitRule,
    ModelError,
    PropertyCondition,
    PropertyOp,
    Rule,
    ScoringModel,
    StageRule,
    TemperatureBands,
)
from pheu.score.problems import Problem, problem

T = TypeVar("T")
Data = dict[str, Any]


def to_yaml(model: ScoringModel) -> str:
    """The model as UTF-8 YAML text, Vietnamese left readable, keys in a stable order."""
    return yaml.safe_dump(to_dict(model), allow_unicode=True, sort_keys=False, width=100)


def from_yaml(text: str) -> ScoringModel:
    """Read a model; raise ``ModelError`` listing every problem (including YAML syntax, with its line)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ModelError([problem("yaml", "text", "bad_yaml", error=exc)]) from exc
    return from_dict(data)


def to_dict(model: ScoringModel) -> Data:
    return {
        "name": model.name,
        "version": model.version,
        "description_vi": model.description_vi,
        "description_en": model.description_en,
        "fit_rules": [_rule_dict(r) for r in model.fit_rules],
        "behaviour_rules": [_rule_dict(r) for r in model.behaviour_rules],
        "negative_rules": [_rule_dict(r) for r in model.negative_rules],
        "stages": {s.stage.value: _stage_dict(s) for s in model.stages},
        "temperature": {"warm_at": _num(model.temperature.warm_at), "hot_at": _num(model.temperature.hot_at)},
    }


def _num(x: float) -> float | int:
    """Whole numbers are written without '.0' so the file reads as people write it."""
    return int(x) if float(x).is_integer() else x


def _plain(obj: object, skip: frozenset[str] = frozenset()) -> Data:
    """A dataclass as a mapping without its empty settings."""
    out: Data = {}
    for f in fields(obj):  # type: ignore[arg-type]
        value = getattr(obj, f.name)
        if f.name in skip or value is None or value == ():
            continue
        if isinstance(value, tuple):
            value = list(value)
        elif isinstance(value, float):
            value = _num(value)
        out[f.name] = value
    return out


def _rule_dict(rule: Rule) -> Data:
    out = _plain(rule, frozenset({"when"}))
    if isinstance(rule, BehaviourRule) and rule.when:
        out["when"] = [_plain(c) for c in rule.when]
    return out


def _stage_dict(rule: StageRule) -> Data:
    return {
        "min_score": _num(rule.min_score),
        "conditions": [_plain(c, frozenset()) for c in rule.conditions],
    }


class _Reader:
    """Typed reads from one mapping of loaded YAML, recording a problem instead of raising."""

    def __init__(self, data: object, where: str, problems: list[Problem]) -> None:
        self.where = where
        self.problems = problems
        self.data: Mapping[str, Any] = data if isinstance(data, Mapping) else {}
        if not isinstance(data, Mapping):
            self.problem("", "expected_mapping")

    def problem(self, field: str, code: str, **params: object) -> None:
        self.problems.append(problem(self.where, field, code, **params))

    def only(self, allowed: set[str]) -> None:
        for key in self.data:
            if key not in allowed:
                self.problem(str(key), "unknown_setting", choices=", ".join(sorted(allowed)))

    def text(self, key: str, default: str | None = None) -> str:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            if value is None:
                self.problem(key, "text_needed")
            else:
                self.problem(key, "not_a_text", value=repr(value))
            return ""
        return str(value)

    def opt_text(self, key: str) -> str | None:
        return None if self.data.get(key) is None else self.text(key)

    def number(self, key: str) -> float:
        if self.data.get(key) is None:
            self.problem(key, "number_needed", example=10)
            return 0.0
        value = self.opt_number(key)
        return 0.0 if value is None else value

    def opt_number(self, key: str) -> float | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            self.problem(key, "not_a_number", value=repr(value), example=10)
            return None
        return float(value)

    def texts(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key)
        if value is None:
            return ()
        if not isinstance(value, list) or any(isinstance(v, bool | list | dict) or v is None for v in value):
            self.problem(key, "texts_needed")
            return ()
        return tuple(str(v) for v in value)

    def items(self, key: str) -> list[Any]:
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(key, "list_needed")
            return []
        return value


def _built(make: Callable[[], T], problems: list[Problem], where: str | None = None) -> T | None:
    """Build one part, keeping its problems instead of stopping at the first; ``where`` renames their place
    (a condition only knows its kind, the file knows its stage and position)."""
    try:
        return make()
    except ModelError as exc:
        problems.extend(replace(p, where=where) if where else p for p in exc.problems)
        return None


def from_dict(data: object) -> ScoringModel:
    """Read a model from loaded YAML or JSON; raise ``ModelError`` with every problem found."""
    problems: list[Problem] = []
    top = _Reader(data, "model", problems)
    top.only({f.name for f in fields(ScoringModel)})
    name, version = top.text("name"), top.number("version")
    if not float(version).is_integer():
        top.problem("version", "not_whole", value=version)
    fit = [_fit_rule(item, f"fit_rules[{i}]", problems) for i, item in enumerate(top.items("fit_rules"))]
    behaviour = [
        _behaviour_rule(item, f"behaviour_rules[{i}]", problems)
        for i, item in enumerate(top.items("behaviour_rules"))
    ]
    negative = [
        _any_rule(item, f"negative_rules[{i}]", problems)
        for i, item in enumerate(top.items("negative_rules"))
    ]
    stages = _stages(top.data.get("stages"), problems)
    bands_reader = _Reader(top.data.get("temperature"), "temperature", problems)
    bands_reader.only({"warm_at", "hot_at"})
    bands = TemperatureBands(bands_reader.number("warm_at"), bands_reader.number("hot_at"))
    if problems:
        raise ModelError(problems)
    return ScoringModel(
        name=name,
        version=int(version),
        description_vi=top.text("description_vi", ""),
        description_en=top.text("description_en", ""),
        fit_rules=tuple(cast(list[FitRule], fit)),
        behaviour_rules=tuple(cast(list[BehaviourRule], behaviour)),
        negative_rules=tuple(cast(list[Rule], negative)),
        stages=tuple(stages),
        temperature=bands,
    )


def _where(item: object, fallback: str, kind: str) -> str:
    rule_id = item.get("id") if isinstance(item, Mapping) else None
    return f"{kind} '{rule_id}'" if isinstance(rule_id, str) and rule_id else fallback


def _any_rule(item: object, fallback: str, problems: list[Problem]) -> Rule | None:
    """A negative rule is a fit rule when it names a ``field`` and a behaviour rule otherwise."""
    if isinstance(item, Mapping) and "field" in item:
        return _fit_rule(item, fallback, problems)
    return _behaviour_rule(item, fallback, problems)


def _fit_rule(item: object, fallback: str, problems: list[Problem]) -> FitRule | None:
    r = _Reader(item, _where(item, fallback, "fit rule"), problems)
    r.only({f.name for f in fields(FitRule)})
    before = len(problems)
    rule_id, field, op, points = r.text("id"), r.text("field"), cast(FitOp, r.text("op")), r.number("points")
    label_vi, label_en, value, values = (
        r.text("label_vi"),
        r.text("label_en"),
        r.opt_text("value"),
        r.texts("values"),
    )
    at_least, at_most = r.opt_number("at_least"), r.opt_number("at_most")
    if len(problems) > before:
        return None
    return _built(
        lambda: FitRule(rule_id, field, op, points, label_vi, label_en, value, values, at_least, at_most),
        problems,
    )


def _behaviour_rule(item: object, fallback: str, problems: list[Problem]) -> BehaviourRule | None:
    r = _Reader(item, _where(item, fallback, "behaviour rule"), problems)
    r.only({f.name for f in fields(BehaviourRule)})
    before = len(problems)
    when = [_property(c, f"{r.where}, when[{i}]", problems) for i, c in enumerate(r.items("when"))]
    rule_id, event_type, points = r.text("id"), r.text("event_type"), r.number("points")
    label_vi, label_en = r.text("label_vi"), r.text("label_en")
    cap, period, half_life = r.opt_number("cap"), r.opt_number("period_days"), r.opt_number("half_life_days")
    conditions = tuple(c for c in when if c is not None)
    if len(problems) > before:
        return None
    return _built(
        lambda: BehaviourRule(
            rule_id, event_type, points, label_vi, label_en, conditions, cap, period, half_life
        ),
        problems,
    )


def _property(item: object, where: str, problems: list[Problem]) -> PropertyCondition | None:
    r = _Reader(item, where, problems)
    r.only({f.name for f in fields(PropertyCondition)})
    before = len(problems)
    op = cast(PropertyOp, r.text("op"))
    cond = PropertyCondition(key=r.text("key"), op=op, value=r.opt_text("value"), values=r.texts("values"))
    return cond if len(problems) == before else None


def _stages(data: object, problems: list[Problem]) -> list[StageRule]:
    top = _Reader(data, "stages", problems)
    top.only({s.value for s in MODEL_STAGES})
    rules: list[StageRule] = []
    for stage in MODEL_STAGES:
        if stage.value not in top.data:
            top.problem(stage.value, "stage_missing", stage=stage.value)
            continue
        r = _Reader(top.data[stage.value], f"stages.{stage.value}", problems)
        r.only({"min_score", "conditions"})
        conditions = [
            _condition(c, f"{r.where}, conditions[{i}]", problems)
            for i, c in enumerate(r.items("conditions"))
        ]
        rules.append(
            StageRule(Stage(stage), r.number("min_score"), tuple(c for c in conditions if c is not None))
        )
    return rules


def _condition(item: object, where: str, problems: list[Problem]) -> Condition | None:
    r = _Reader(item, where, problems)
    r.only({f.name for f in fields(Condition)})
    before = len(problems)
    kind, purposes, event_types = (
        cast(ConditionKind, r.text("kind")),
        r.texts("purposes"),
        r.texts("event_types"),
    )
    within_days, value, flag = r.opt_number("within_days"), r.opt_number("value"), r.opt_text("flag")
    if len(problems) > before:
        return None
    return _built(lambda: Condition(kind, purposes, event_types, within_days, value, flag), problems, where)
