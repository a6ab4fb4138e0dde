"""Speed-to-lead: when a lead's first contact is due, whether it is overdue, when the manager hears of it,
and the response-time figures managers are judged by.

A hot lead called within minutes converts far more often than one called the next day, so the deadline
depends on the lead's temperature; counted in working time (the settings' hours, the rep's days off) a lead
arriving on Saturday night is due on Monday morning, not while everyone sleeps.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from datetime import date, datetime, timedelta

from pheu.handoff.hours import WeeklyHours, add_working_minutes
from pheu.handoff.settings import HandoffConfig


def first_contact_due(
    assigned_at: datetime,
    temperature: str | None,
    config: HandoffConfig,
    hours: WeeklyHours | None = None,
    days_off: Collection[date] = (),
) -> datetime:
    """The first-contact deadline (UTC) of a lead given to a rep at ``assigned_at``. ``hours`` are the rep's
    own working hours when they have them, else the settings' defaults."""
    minutes = config.deadline_for(temperature)
    if not config.working_time:
        return assigned_at + timedelta(minutes=minutes)
    return add_working_minutes(assigned_at, minutes, hours or config.working_hours, config.tz, days_off)


def is_overdue(due_at: datetime | None, contacted_at: datetime | None, now: datetime) -> bool:
    """Overdue while not contacted and the deadline has passed."""
    return due_at is not None and contacted_at is None and now >= due_at


def should_escalate(
    due_at: datetime, escalated_at: datetime | None, now: datetime, config: HandoffConfig
) -> bool:
    """A breached first-contact task goes to the manager once, ``escalate_after_minutes`` after the breach."""
    return escalated_at is None and now >= due_at + timedelta(minutes=config.escalate_after_minutes)


def minutes_between(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 60


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0–100) by linear interpolation between closest ranks; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
