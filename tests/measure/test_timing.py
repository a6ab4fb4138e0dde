"""Time between stages: which leads are measured, from when to when, and the median / p90 arithmetic."""

from __future__ import annotations

import pytest

from pheu.measure.paths import follow
from pheu.measure.timing import stage_times
from tests.measure.histories import CUSTOMER, IQL, LOST, MQL, OPP, SQL, day, path

A = path(1, 0, (MQL, 1), (SQL, 3), (OPP, 5), (CUSTOMER, 10))
B = path(2, 0, (SQL, 2), (LOST, 4))  # skipped MQL: 48 h to reach it, 0 h from MQL to SQL
C = path(3, 1, (MQL, 2), (IQL, 4), (MQL, 6))  # back and forth: the clock is not restarted
D = path(4, 2, (MQL, 3), (LOST, 5), (MQL, 20), (SQL, 22))  # recycled: SQL 19 days after first MQL
COLD = path(5, 3)


def test_time_between_stages_by_hand() -> None:
    times = stage_times(follow([A, B, C, D, COLD], as_of=day(60)))
    by_name = {step.name: step for step in times.steps}

    to_mql = by_name["iql_to_mql"]
    # Hours: A 24, B 48, C 24, D 24 -> sorted 24 24 24 48. Median 24; p90 at rank 0.9*3 = 2.7: 24 + 0.7*24.
    assert (to_mql.leads, to_mql.median_hours) == (4, 24.0)
    assert to_mql.p90_hours == pytest.approx(24 + 0.7 * 24)

    to_sql = by_name["mql_to_sql"]
    # Hours: A 48, B 0, D 19*24 = 456 -> 0 48 456. Median 48; p90 at rank 1.8: 48 + 0.8*408.
    assert (to_sql.leads, to_sql.median_hours) == (3, 48.0)
    assert to_sql.p90_hours == pytest.approx(48 + 0.8 * 408)

    assert (by_name["sql_to_opportunity"].leads, by_name["sql_to_opportunity"].median_hours) == (1, 48.0)
    assert (by_name["opportunity_to_customer"].leads, by_name["opportunity_to_customer"].p90_hours) == (
        1,
        120.0,
    )
    assert (times.lead_to_customer.leads, times.lead_to_customer.median_hours) == (1, 240.0)


def test_no_leads_reaching_a_stage_gives_no_figures() -> None:
    times = stage_times(follow([COLD], as_of=day(60)))
    assert all(step.leads == 0 and step.median_hours is None for step in times.steps)
    assert times.to_dict()["lead_to_customer"] == {
        "from": "iql",
        "to": "customer",
        "leads": 0,
        "median_hours": None,
        "p90_hours": None,
    }
