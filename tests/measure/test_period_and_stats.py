"""Periods as local days, and the small arithmetic: percentiles, ratios, money per unit."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from pheu.measure.period import Period
from pheu.measure.stats import per_unit, percentile, ratio, relative_change

HO_CHI_MINH = timezone(timedelta(hours=7))


def test_march_in_ho_chi_minh_starts_at_17_00_utc_the_day_before() -> None:
    march = Period(date(2026, 3, 1), date(2026, 3, 31))
    assert march.days == 31
    assert march.bounds(HO_CHI_MINH) == (
        datetime(2026, 2, 28, 17, tzinfo=UTC),
        datetime(2026, 3, 31, 17, tzinfo=UTC),
    )


def test_previous_period_has_the_same_length_and_ends_the_day_before() -> None:
    march = Period(date(2026, 3, 1), date(2026, 3, 31))
    assert march.previous() == Period(date(2026, 1, 29), date(2026, 2, 28))
    assert Period.ending(date(2026, 3, 31), 1) == Period(date(2026, 3, 31), date(2026, 3, 31))


def test_a_period_cannot_end_before_it_starts() -> None:
    with pytest.raises(ValueError, match="before it starts"):
        Period(date(2026, 3, 2), date(2026, 3, 1))


def test_percentile_interpolates_between_closest_ranks() -> None:
    assert percentile([], 0.5) is None
    assert percentile([7.0], 0.9) == 7.0
    assert percentile([4.0, 1.0, 3.0, 2.0], 0.5) == 2.5
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.9) == pytest.approx(3.7)  # rank 2.7
    with pytest.raises(ValueError, match="between 0 and 1"):
        percentile([1.0], 90)


def test_division_by_nothing_is_none_not_an_error() -> None:
    assert ratio(3, 0) is None
    assert ratio(0, 4) == 0.0
    assert per_unit(10, 0) is None
    assert relative_change(5, 0) is None
    assert relative_change(3, 4) == -0.25


def test_money_per_unit_rounds_halves_up() -> None:
    assert per_unit(5, 2) == 3
    assert per_unit(7, 2) == 4
    assert per_unit(1_000_000, 3) == 333_333
    assert per_unit(0, 3) == 0
