"""Working time, first-contact deadlines, escalation and the settings that drive them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pheu.handoff.deadlines import first_contact_due, is_overdue, percentile, should_escalate
from pheu.handoff.hours import HoursError, Schedule, add_working_minutes, parse_hours, working_minutes_between
from pheu.handoff.settings import DEFAULT_HOURS, HandoffConfig, SettingsError, parse

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
WEEK = parse_hours(DEFAULT_HOURS)


def local(y: int, mo: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=TZ).astimezone(UTC)


def test_hot_lead_on_friday_evening_is_due_on_saturday_morning() -> None:
    # 2026-11-27 is a Friday; the default week closes at 17:30 and opens on Saturday at 08:00.
    due = first_contact_due(local(2026, 11, 27, 17, 20), "hot", HandoffConfig())
    assert due == local(2026, 11, 28, 8, 5)


def test_warm_lead_skips_lunch_and_days_off() -> None:
    # Wednesday 11:00 + 4 working hours: 1 h before lunch, 3 h after it -> 16:00, but Wednesday is off.
    start = local(2026, 11, 25, 11, 0)
    assert first_contact_due(start, "warm", HandoffConfig()) == local(2026, 11, 25, 16, 0)
    off = first_contact_due(start, "warm", HandoffConfig(), days_off={date(2026, 11, 25)})
    assert off == local(2026, 11, 26, 12, 0)


def test_wall_clock_deadline_when_working_time_is_off() -> None:
    cfg = parse({"working_time": False, "deadline_minutes": {"hot": 5}})
    start = local(2026, 11, 29, 23, 0)  # a Sunday night
    assert first_contact_due(start, "hot", cfg) == start + timedelta(minutes=5)
    assert first_contact_due(start, None, cfg) == start + timedelta(minutes=1440)  # no temperature: cold


starts = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)


@given(starts, st.integers(0, 5000))
def test_adding_working_minutes_counts_exactly_that_many(start: datetime, minutes: int) -> None:
    end = add_working_minutes(start, minutes, WEEK, TZ)
    assert end >= start
    assert working_minutes_between(start, end, WEEK, TZ) == minutes


@given(starts, st.integers(1, 3000), st.integers(1, 3000))
def test_working_deadlines_grow_with_the_minutes(start: datetime, a: int, b: int) -> None:
    lo, hi = sorted((a, b))
    assert add_working_minutes(start, lo, WEEK, TZ) <= add_working_minutes(start, hi, WEEK, TZ)


@given(starts, st.integers(1, 600))
def test_a_working_deadline_falls_in_working_hours(start: datetime, minutes: int) -> None:
    due = add_working_minutes(start, minutes, WEEK, TZ)
    # the instant just before the deadline is working time
    assert Schedule(WEEK).is_working(due - timedelta(seconds=1), TZ)


def test_no_working_hours_falls_back_to_the_wall_clock() -> None:
    start = local(2026, 11, 26, 9)
    assert add_working_minutes(start, 30, {}, TZ) == start + timedelta(minutes=30)


def test_schedule_away_and_day_off() -> None:
    s = Schedule(
        WEEK,
        frozenset({date(2026, 11, 26)}),
        away_from=local(2026, 12, 1, 0),
        away_until=local(2026, 12, 3, 0),
    )
    assert s.is_off(local(2026, 11, 26, 9), TZ)
    assert s.is_working(local(2026, 11, 27, 9), TZ)
    assert not s.is_working(local(2026, 11, 27, 12, 30), TZ)  # lunch
    assert s.is_off(local(2026, 12, 2, 9), TZ)
    assert not s.is_off(local(2026, 12, 3, 9), TZ)
    assert s.is_off(local(2026, 11, 29, 9), TZ)  # Sunday


def test_overdue_and_escalation_happen_once() -> None:
    due = local(2026, 11, 26, 9)
    cfg = parse({"escalate_after_minutes": 30})
    assert not is_overdue(due, None, due - timedelta(seconds=1))
    assert is_overdue(due, None, due)
    assert not is_overdue(due, due, due + timedelta(hours=1))
    assert not should_escalate(due, None, due + timedelta(minutes=29), cfg)
    assert should_escalate(due, None, due + timedelta(minutes=30), cfg)
    assert not should_escalate(due, due + timedelta(minutes=30), due + timedelta(hours=2), cfg)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"deadline_minutes": {"hot": 0}}, "deadline_minutes.hot"),
        ({"deadline_minutes": {"warm": "soon"}}, "deadline_minutes.warm"),
        ({"working_hours": {"mon": [["17:00", "08:00"]]}}, "working_hours.mon"),
        ({"working_hours": {"funday": []}}, "working_hours.funday"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"handoff_stage": "customer"}, "handoff_stage"),
        ({"escalate_after_minutes": -5}, "escalate_after_minutes"),
    ],
)
def test_bad_settings_name_the_field(data: dict[str, object], field: str) -> None:
    with pytest.raises(SettingsError) as exc:
        parse(data)
    assert field in exc.value.problems


def test_settings_round_trip_and_defaults() -> None:
    cfg = parse({})
    assert cfg.deadline_for("hot") == 15 and cfg.handoff_stage == "mql"
    assert parse(cfg.as_json()) == cfg


def test_overlapping_intervals_are_refused() -> None:
    with pytest.raises(HoursError):
        parse_hours({"mon": [["08:00", "12:00"], ["11:00", "13:00"]]})


@given(st.lists(st.floats(0, 1e6), min_size=1, max_size=50))
def test_percentiles_lie_between_min_and_max_in_order(values: list[float]) -> None:
    p50, p90 = percentile(values, 50), percentile(values, 90)
    assert p50 is not None and p90 is not None
    assert min(values) <= p50 <= p90 <= max(values)
    assert percentile([], 50) is None
