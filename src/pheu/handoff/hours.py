"""Working time: a week of opening intervals, days off and absences, and arithmetic over them.

Times come in as aware UTC datetimes and are looked at in the team's time zone (Asia/Ho_Chi_Minh by
default); intervals are local wall-clock times. A deadline of "30 working minutes" given at 17:20 on a
Friday with a 17:30 close lands at 08:20 on the next working day.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any, Final
from zoneinfo import ZoneInfo

DAYS: Final[tuple[str, ...]] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

Interval = tuple[time, time]
WeeklyHours = dict[str, tuple[Interval, ...]]


class HoursError(ValueError):
    """Working hours that cannot be used; ``field`` names the day, the message says what is accepted."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def _time(text: Any, field: str) -> time:
    try:
        return time.fromisoformat(str(text))
    except ValueError:
        raise HoursError(f"{text!r} is not a time of day; write it as HH:MM, e.g. 08:30.", field) from None


def parse_hours(data: Mapping[str, Any]) -> WeeklyHours:
    """``{"mon": [["08:00", "17:30"]], …}`` to intervals; a missing day is a day without work.

    Raises ``HoursError`` on an unknown day, a malformed time, or an interval that ends before it starts.
    """
    week: WeeklyHours = {}
    for day, spans in data.items():
        if day not in DAYS:
            raise HoursError(f"{day!r} is not a day; use one of {', '.join(DAYS)}.", day)
        intervals: list[Interval] = []
        for span in spans or ():
            if not isinstance(span, Sequence) or isinstance(span, str) or len(span) != 2:
                raise HoursError("Each interval is a pair [start, end].", day)
            start, end = _time(span[0], day), _time(span[1], day)
            if end <= start:
                raise HoursError(f"{span[0]}–{span[1]} ends before it starts.", day)
            intervals.append((start, end))
        intervals.sort()
        for (_, end), (start, _) in pairwise(intervals):
            if start < end:
                raise HoursError("Intervals of one day must not overlap.", day)
        if intervals:
            week[day] = tuple(intervals)
    return week


def hours_json(week: WeeklyHours) -> dict[str, list[list[str]]]:
    return {
        day: [[s.strftime("%H:%M"), e.strftime("%H:%M")] for s, e in week[day]] for day in DAYS if day in week
    }


@dataclass(frozen=True, slots=True)
class Schedule:
    """When one rep works: weekly hours, days off (local dates) and an absence period (UTC, either end open)."""

    hours: WeeklyHours
    days_off: frozenset[date] = frozenset()
    away_from: datetime | None = None
    away_until: datetime | None = None

    def is_away(self, at: datetime) -> bool:
        if self.away_from is None and self.away_until is None:
            return False
        after_start = self.away_from is None or at >= self.away_from
        before_end = self.away_until is None or at < self.away_until
        return after_start and before_end

    def is_off(self, at: datetime, tz: ZoneInfo) -> bool:
        """Away, on a day off, or on a day without working hours."""
        local = at.astimezone(tz)
        return self.is_away(at) or local.date() in self.days_off or not self.hours.get(DAYS[local.weekday()])

    def is_working(self, at: datetime, tz: ZoneInfo) -> bool:
        """Within one of today's intervals and neither away nor off."""
        if self.is_off(at, tz):
            return False
        local = at.astimezone(tz)
        now = local.time().replace(tzinfo=None)
        return any(start <= now < end for start, end in self.hours.get(DAYS[local.weekday()], ()))


def add_working_minutes(
    start: datetime, minutes: int, hours: WeeklyHours, tz: ZoneInfo, days_off: Collection[date] = ()
) -> datetime:
    """``start`` plus ``minutes`` of working time, as UTC. With no working hours at all (or none in the next
    year) the minutes are counted on the wall clock instead, so a deadline always exists."""
    remaining = timedelta(minutes=minutes)
    local = start.astimezone(tz).replace(tzinfo=None)
    day = local.date()
    for _ in range(370):
        if day not in days_off:
            for open_at, close_at in hours.get(DAYS[day.weekday()], ()):
                begin = max(local, datetime.combine(day, open_at))
                end = datetime.combine(day, close_at)
                if begin >= end:
                    continue
                if remaining <= end - begin:
                    return (begin + remaining).replace(tzinfo=tz).astimezone(UTC)
                remaining -= end - begin
        day += timedelta(days=1)
        local = max(local, datetime.combine(day, time()))
    return start + timedelta(minutes=minutes)


def working_minutes_between(
    start: datetime, end: datetime, hours: WeeklyHours, tz: ZoneInfo, days_off: Collection[date] = ()
) -> int:
    """Whole working minutes from ``start`` to ``end`` (0 when end is not after start)."""
    if end <= start:
        return 0
    a, b = start.astimezone(tz).replace(tzinfo=None), end.astimezone(tz).replace(tzinfo=None)
    total = timedelta()
    day = a.date()
    while day <= b.date():
        if day not in days_off:
            for open_at, close_at in hours.get(DAYS[day.weekday()], ()):
                lo = max(a, datetime.combine(day, open_at))
                hi = min(b, datetime.combine(day, close_at))
                if hi > lo:
                    total += hi - lo
        day += timedelta(days=1)
    return int(total.total_seconds() // 60)
