"""The scoring model editor's form: a copy of a stored version, with the numbers a marketer tunes.

The form never edits a stored version: it starts from the version's data (``model_yaml.to_dict``), applies
the points, caps, half-lives, stage thresholds and temperature bands typed in (and drops the rules ticked for
removal), and hands the result to ``scoring.import_model`` as the next version. Numbers that do not read as
numbers are caught here, where the input's name is known; every other problem comes back from the model's own
checks and is placed next to the input it names (``place_problems``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from starlette.datastructures import FormData

from pheu.i18n import N_
from pheu.score import Problem

RULE_LISTS: Final = ("fit_rules", "behaviour_rules", "negative_rules")
_RULE_WHERE: Final = re.compile(r"^(?:fit |behaviour |negative )?rule '([^']+)'")
# A model setting → the input that holds it (``<input>__<rule id>`` for a rule's setting).
_INPUT_OF: Final = {"points": "points", "cap": "cap", "period_days": "cap", "half_life_days": "half_life"}


@dataclass(slots=True)
class FormEdit:
    """The edited model data, and what was wrong with the form: input name → msgid of the message."""

    data: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)


def parse_number(text: str) -> float | None:
    """A number as people type it: "12", "12.5" or "12,5" (a Vietnamese decimal comma); ``None`` if not."""
    cleaned = text.strip().replace(" ", "")
    if cleaned.count(",") == 1 and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None


def _whole(value: float) -> float | int:
    return int(value) if value.is_integer() else value


def apply_form(source: Mapping[str, Any], form: FormData, version: int) -> FormEdit:
    """``source`` (a model as plain data) with the form's numbers and removals, as ``version``."""
    data: dict[str, Any] = {**source, "version": version}
    edit = FormEdit(data)
    for key in RULE_LISTS:
        kept: list[dict[str, Any]] = []
        for rule in source.get(key, []):
            rule_id = str(rule["id"])
            if form.get(f"remove__{rule_id}"):
                continue
            kept.append(_edit_rule(dict(rule), rule_id, form, edit, behaviour=key == "behaviour_rules"))
        data[key] = kept
    stages = {name: dict(rule) for name, rule in source.get("stages", {}).items()}
    for name, rule in stages.items():
        value = _required(form, f"min_score__{name}", edit)
        if value is not None:
            rule["min_score"] = value
    data["stages"] = stages
    bands = dict(source.get("temperature", {}))
    for name in ("warm_at", "hot_at"):
        value = _required(form, name, edit)
        if value is not None:
            bands[name] = value
    data["temperature"] = bands
    return edit


def _required(form: FormData, name: str, edit: FormEdit) -> float | int | None:
    text = str(form.get(name, "")).strip()
    value = parse_number(text)
    if value is None:
        edit.errors[name] = N_("Enter a number, for example 10.") if text else N_("This number is needed.")
        return None
    return _whole(value)


def _optional(form: FormData, name: str, edit: FormEdit) -> tuple[bool, float | int | None]:
    """(read, value): an empty input is read as "none"; a text that is not a number is an error."""
    text = str(form.get(name, "")).strip()
    if not text:
        return True, None
    value = parse_number(text)
    if value is None:
        edit.errors[name] = N_("Enter a number, for example 10.")
        return False, None
    return True, _whole(value)


def _edit_rule(
    rule: dict[str, Any], rule_id: str, form: FormData, edit: FormEdit, *, behaviour: bool
) -> dict[str, Any]:
    if f"points__{rule_id}" in form:
        points = _required(form, f"points__{rule_id}", edit)
        if points is not None:
            rule["points"] = points
    if behaviour or "event_type" in rule:
        if f"cap__{rule_id}" in form:
            read, cap = _optional(form, f"cap__{rule_id}", edit)
            if read and cap is None:
                rule.pop("cap", None)
                rule.pop("period_days", None)  # a period without a cap would limit nothing
            elif read:
                rule["cap"] = cap
        if behaviour and f"half_life__{rule_id}" in form:
            read, half_life = _optional(form, f"half_life__{rule_id}", edit)
            if read and half_life is None:
                rule.pop("half_life_days", None)
            elif read:
                rule["half_life_days"] = half_life
    return rule


def place_problems(problems: tuple[Problem, ...], lang: str) -> tuple[dict[str, str], list[Problem]]:
    """The model's problems next to the inputs they name (input name → message in ``lang``), and the rest."""
    placed: dict[str, str] = {}
    rest: list[Problem] = []
    for problem in problems:
        name = _input_for(problem)
        if name is None or name in placed:
            rest.append(problem)
        else:
            placed[name] = f"{problem.message_in(lang)} {problem.accepted_in(lang)}."
    return placed, rest


def _input_for(problem: Problem) -> str | None:
    if problem.where == "temperature" and problem.field in ("warm_at", "hot_at"):
        return problem.field
    if problem.where.startswith("stages.") and problem.field == "min_score":
        return f"min_score__{problem.where.removeprefix('stages.')}"
    found = _RULE_WHERE.match(problem.where)
    if found and problem.field in _INPUT_OF:
        return f"{_INPUT_OF[problem.field]}__{found.group(1)}"
    return None


_VERSION_LINE: Final = re.compile(r"^version:[ \t]*[^\n#]*", re.MULTILINE)


def with_version(text: str, version: int) -> str:
    """The YAML text of a version with its ``version:`` line set to ``version`` (comments kept)."""
    replaced, count = _VERSION_LINE.subn(f"version: {version}", text, count=1)
    return replaced if count else f"version: {version}\n{text}"
