"""Reporting periods: whole local calendar days, and the period just before for comparison.

People ask for "1 to 31 March" in their own zone (Asia/Ho_Chi_Minh by default), while times are stored in UTC;
a period turns its days into the half-open UTC interval ``[start, end)`` for a given zone. Campaign costs are
booked per local day, so they are selected by the same days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo


@dataclass(frozen=True, slots=True)
class Period:
    """Calendar days ``first_day`` to ``last_day``, both included."""

    first_day: date
    last_day: date

    def __post_init__(self) -> None:
        if self.last_day < self.first_day:
            raise ValueError(f"The period ends ({self.last_day}) before it starts ({self.first_day}).")

    @classmethod
    def ending(cls, last_day: date, days: int) -> Period:
        """The ``days`` days up to and including ``last_day``."""
        if days < 1:
            raise ValueError("A period lasts at least one day.")
        return cls(last_day - timedelta(days=days - 1), last_day)

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    @property
    def length(self) -> timedelta:
        return timedelta(days=self.days)

    def previous(self) -> Period:
        """The period of the same length that ends the day before this one starts."""
        return Period.ending(self.first_day - timedelta(days=1), self.days)

    def bounds(self, zone: tzinfo) -> tuple[datetime, datetime]:
        """``[start, end)`` in UTC: local midnight of the first day to local midnight after the last."""
        start = datetime.combine(self.first_day, time.min, zone)
        end = datetime.combine(self.last_day + timedelta(days=1), time.min, zone)
        return start.astimezone(UTC), end.astimezone(UTC)
