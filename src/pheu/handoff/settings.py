"""Speed-to-lead settings as a value: deadlines per temperature, escalation delay, default working hours,
the time zone, and the stage at which a sales lead is handed to sales.

Stored as one JSON object (``HandoffSettings.data``); ``parse`` validates a whole object at once and names
the field that is wrong, so the settings form and the API can show every problem together.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pheu.handoff.hours import HoursError, WeeklyHours, hours_json, parse_hours

TEMPERATURES: Final[tuple[str, ...]] = ("hot", "warm", "cold")
HANDOFF_STAGES: Final[tuple[str, ...]] = ("mql", "sql")
MAX_DEADLINE_MINUTES: Final = 60 * 24 * 14

DEFAULT_HOURS: Final[dict[str, list[list[str]]]] = {
    **{day: [["08:00", "12:00"], ["13:00", "17:30"]] for day in ("mon", "tue", "wed", "thu", "fri")},
    "sat": [["08:00", "12:00"]],
}
DEFAULTS: Final[dict[str, Any]] = {
    "deadline_minutes": {"hot": 15, "warm": 240, "cold": 1440},
    "escalate_after_minutes": 0,
    "working_time": True,
    "working_hours": DEFAULT_HOURS,
    "timezone": "Asia/Ho_Chi_Minh",
    "handoff_stage": "mql",
}


class SettingsError(ValueError):
    """Every problem found in a settings object: ``problems`` maps a field to what would be accepted."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class HandoffConfig:
    """``deadline_minutes`` per temperature (a lead without one counts as cold); ``working_time`` says the
    deadline is counted in working minutes; ``escalate_after_minutes`` is how long after a breach the manager
    hears of it; ``handoff_stage`` is the lowest stage a sales lead goes to a rep at."""

    deadline_minutes: dict[str, int] = field(default_factory=lambda: dict(DEFAULTS["deadline_minutes"]))
    escalate_after_minutes: int = 0
    working_time: bool = True
    working_hours: WeeklyHours = field(default_factory=lambda: parse_hours(DEFAULT_HOURS))
    timezone: str = "Asia/Ho_Chi_Minh"
    handoff_stage: str = "mql"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def deadline_for(self, temperature: str | None) -> int:
        return self.deadline_minutes.get(temperature or "cold", self.deadline_minutes["cold"])

    def as_json(self) -> dict[str, Any]:
        return {
            "deadline_minutes": dict(self.deadline_minutes),
            "escalate_after_minutes": self.escalate_after_minutes,
            "working_time": self.working_time,
            "working_hours": hours_json(self.working_hours),
            "timezone": self.timezone,
            "handoff_stage": self.handoff_stage,
        }


def _minutes(value: Any, name: str, problems: dict[str, str], low: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        problems[name] = f"A whole number of minutes between {low} and {MAX_DEADLINE_MINUTES}."
        return low
    if (
        isinstance(value, bool)
        or not low <= number <= MAX_DEADLINE_MINUTES
        or str(number) != str(value).strip()
    ):
        problems[name] = f"A whole number of minutes between {low} and {MAX_DEADLINE_MINUTES}."
    return number


def parse(data: Mapping[str, Any]) -> HandoffConfig:
    """A settings object (missing keys take the defaults) to a config, or ``SettingsError`` naming each
    wrong field (``deadline_minutes.hot``, ``working_hours.mon``, ``timezone``…)."""
    merged = {**DEFAULTS, **{k: v for k, v in data.items() if v is not None}}
    problems: dict[str, str] = {}
    raw_deadlines = {**DEFAULTS["deadline_minutes"], **(merged["deadline_minutes"] or {})}
    deadlines = {t: _minutes(raw_deadlines[t], f"deadline_minutes.{t}", problems, 1) for t in TEMPERATURES}
    escalate = _minutes(merged["escalate_after_minutes"], "escalate_after_minutes", problems, 0)
    try:
        hours = parse_hours(merged["working_hours"] or {})
    except HoursError as exc:
        problems[f"working_hours.{exc.field}"] = str(exc)
        hours = parse_hours(DEFAULT_HOURS)
    except (AttributeError, TypeError):
        problems["working_hours"] = 'An object of days, e.g. {"mon": [["08:00", "17:30"]]}.'
        hours = parse_hours(DEFAULT_HOURS)
    timezone = str(merged["timezone"])
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems["timezone"] = "An IANA time zone name, e.g. Asia/Ho_Chi_Minh."
    stage = str(merged["handoff_stage"])
    if stage not in HANDOFF_STAGES:
        problems["handoff_stage"] = f"One of {', '.join(HANDOFF_STAGES)}."
    if not isinstance(merged["working_time"], bool):
        problems["working_time"] = "true or false."
    if problems:
        raise SettingsError(problems)
    return HandoffConfig(deadlines, escalate, merged["working_time"], hours, timezone, stage)
