"""One period's figures from plain inputs: what goes in the cohort, what the JSON carries, empty periods."""

from __future__ import annotations

import json
from datetime import UTC, date

from pheu.lifecycle import LeadKind
from pheu.measure.costs import Spend
from pheu.measure.period import Period
from pheu.measure.report import REVENUE_NOTE, measure
from tests.measure.histories import CUSTOMER, MQL, OPP, SQL, day, path

MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))  # day(0) .. day(31) in UTC


def test_cohort_is_march_leads_created_before_as_of_and_period_view_takes_older_leads_too() -> None:
    leads = [
        path(1, 0, (MQL, 1), (SQL, 2), (OPP, 3), (CUSTOMER, 4), channel="facebook_ads", campaign_id=1),
        path(2, 5, (MQL, 6), channel="facebook_ads", campaign_id=1),
        path(3, 12, channel="seo"),
        path(4, -10, (MQL, -9), (SQL, 2), channel="seo"),  # February lead, hot in March
        path(5, 20, (MQL, 21), kind=LeadKind.RECRUITMENT),
        path(6, 25, channel="seo"),  # created after as_of: not there yet
    ]
    spend = [Spend(1, "Tết", "facebook_ads", "VND", 900_000)]
    figures = measure(leads, spend, period=MARCH, zone=UTC, as_of=day(20))

    assert [row.leads for row in figures.cohort_funnel] == [3, 2, 1, 1, 1]  # leads 1, 2, 3
    assert [row.leads for row in figures.period_funnel] == [3, 2, 2, 1, 1]  # lead 4 becomes an SQL
    assert figures.rates.lead_to_customer == 1 / 3
    fb = figures.cost_by_channel[0]
    assert (fb.channel, fb.leads, fb.cost_per_lead, fb.cost_per_mql, fb.cost_per_customer) == (
        "facebook_ads",
        2,
        450_000,
        450_000,
        900_000,
    )


def test_figures_serialise_to_json_with_the_agreed_keys() -> None:
    figures = measure([path(1, 0, (MQL, 1))], [], period=MARCH, zone=UTC, as_of=day(40))
    data = json.loads(json.dumps(figures.to_dict()))
    assert {"funnel", "rates", "times", "cost_per_lead_by_channel", "channel_quality", "spend"} <= set(data)
    assert data["period"] == {
        "from": "2026-03-01",
        "to": "2026-03-31",
        "days": 31,
        "start": "2026-03-01T00:00:00+00:00",
        "end": "2026-04-01T00:00:00+00:00",
    }
    assert data["funnel"]["cohort"][1] == {"stage": "mql", "leads": 1, "conversion_to_next": 0.0}
    assert data["revenue"] == {"by_currency": [], "return": None, "note": REVENUE_NOTE}


def test_an_empty_period_reports_zeros_and_nones_without_crashing() -> None:
    figures = measure([], [], period=MARCH, zone=UTC, as_of=day(40))
    data = figures.to_dict()
    assert [row["leads"] for row in data["funnel"]["cohort"]] == [0] * 5
    assert set(data["rates"].values()) == {None}
    assert data["times"]["lead_to_customer"]["median_hours"] is None
    assert data["cost_per_lead_by_channel"] == []
    assert data["channel_quality"]["channels"] == []
