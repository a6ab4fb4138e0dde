"""Revenue and return from plain lead paths: cohort customers' won values per currency, per channel and
campaign, against spend; bought lists against the rest. Every answer is worked out in the comments."""

from __future__ import annotations

from datetime import UTC, date
from typing import Any

from pheu.lifecycle import LeadKind
from pheu.measure.costs import Spend
from pheu.measure.paths import LeadPath
from pheu.measure.period import Period
from pheu.measure.report import REVENUE_NOTE, measure
from pheu.measure.revenue import Return, Revenue, return_on
from tests.measure.histories import CUSTOMER, MQL, OPP, SQL, day, path

MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))
LOW = frozenset({"import"})
FB = {"channel": "facebook_ads", "campaign_id": 1}


def won(lead_id: int, created: float, amount: int | None, currency: str | None, **fields: Any) -> LeadPath:
    """A lead created on day ``created`` that became a customer four days later, won for ``amount``."""
    moves = ((MQL, created + 1), (SQL, created + 2), (OPP, created + 3), (CUSTOMER, created + 4))
    return path(lead_id, created, *moves, won_amount_minor=amount, won_currency=currency, **fields)


LEADS = [
    won(1, 0, 5_000_000, "VND", **FB),
    won(2, 1, 3_000_001, "VND", **FB),
    won(3, 2, None, None, **FB),  # a customer whose win carried no value: no deal, no zero
    won(4, 3, 20_000, "USD", channel="facebook_ads"),  # 200.00 USD, no campaign
    won(5, 4, 1_000_000, "VND", channel="import"),  # from the low-quality channel: a bought list
    won(6, 5, 30_000, "USD", channel="zalo", campaign_id=2),
    won(7, 6, 9_000_000, "VND", kind=LeadKind.RECRUITMENT, **FB),  # a job applicant never counts
    won(8, -20, 4_000_000, "VND", **FB),  # February lead won in March: not in the cohort
    path(9, 7, (MQL, 8), won_amount_minor=7_000_000, won_currency="VND", **FB),  # value but not a customer
    won(10, 8, 6_000_000, "VND", merged_away=True, **FB),  # merged into another: gone
    path(11, 9, (MQL, 10), **FB),
]
SPEND = [
    Spend(1, "Tết", "facebook_ads", "VND", 1_500_000),
    Spend(2, "Zalo OA", "zalo", "USD", 10_000),
]


def test_revenue_is_the_cohort_customers_won_values_per_currency() -> None:
    now = measure(LEADS, SPEND, period=MARCH, zone=UTC, as_of=day(40), low_quality_channels=LOW)
    # VND: leads 1, 2 and 5 = 9,000,001 over 3 deals, average 3,000,000.33 → 3,000,000.
    # USD: leads 4 and 6 = 50,000 over 2 deals, average 25,000. Leads 3 and 7-11 add nothing.
    assert now.revenue == (Revenue("VND", 9_000_001, 3), Revenue("USD", 50_000, 2))
    assert [r.average_deal for r in now.revenue] == [3_000_000, 25_000]
    # Spend is in two currencies: no overall return.
    assert now.returns is None
    assert now.to_dict()["revenue"]["note"] is None


def test_return_per_campaign_and_channel_only_in_one_currency() -> None:
    now = measure(LEADS, SPEND, period=MARCH, zone=UTC, as_of=day(40))
    tet = next(line for line in now.cost_by_campaign if line.campaign_id == 1)
    # Campaign 1: leads 1 and 2 valued, 8,000,001 ₫ over 2 deals (average 4,000,000.5 → 4,000,001).
    assert tet.revenue == (Revenue("VND", 8_000_001, 2),)
    assert tet.revenue[0].average_deal == 4_000_001
    assert tet.returns == Return("VND", 8_000_001, 1_500_000)
    assert tet.to_dict()["return_on_spend"] == round(8_000_001 / 1_500_000, 4)
    assert tet.to_dict()["net_return"] == 6_500_001
    zalo = next(line for line in now.cost_by_campaign if line.campaign_id == 2)
    assert (zalo.returns, zalo.to_dict()["return_on_spend"]) == (Return("USD", 30_000, 10_000), 3.0)
    # The facebook_ads channel also won 200.00 USD (lead 4): VND spend, revenue in two currencies: no return.
    fb = next(line for line in now.cost_by_channel if line.channel == "facebook_ads")
    assert fb.revenue == (Revenue("VND", 8_000_001, 2), Revenue("USD", 20_000, 1))
    assert (fb.returns, fb.to_dict()["return_on_spend"], fb.to_dict()["net_return"]) == (None, None, None)


def test_value_by_channel_and_bought_lists_against_the_rest() -> None:
    now = measure(LEADS, SPEND, period=MARCH, zone=UTC, as_of=day(40), low_quality_channels=LOW)
    quality = now.channel_quality
    value = {g.name: g.revenue for g in quality.channels}
    assert value["import"] == (Revenue("VND", 1_000_000, 1),)
    assert value["zalo"] == (Revenue("USD", 30_000, 1),)
    assert quality.bought_lists.revenue == (Revenue("VND", 1_000_000, 1),)
    assert quality.rest.revenue == (Revenue("VND", 8_000_001, 2), Revenue("USD", 50_000, 2))
    assert quality.rest.to_dict()["revenue"][0] == {
        "currency": "VND",
        "amount_minor": 8_000_001,
        "deals": 2,
        "average_deal": 4_000_001,
    }


def test_a_win_after_as_of_has_not_happened_yet() -> None:
    # Seen on day 4.5 (leads 1-3 won on days 4-6): only lead 1 had reached Customer by then.
    now = measure(LEADS, SPEND, period=MARCH, zone=UTC, as_of=day(4.5))
    assert now.revenue == (Revenue("VND", 5_000_000, 1),)


def test_no_won_value_in_scope_gives_the_note_and_no_return() -> None:
    unvalued = [won(1, 0, None, None, **FB), path(2, 1, **FB)]
    now = measure(unvalued, SPEND, period=MARCH, zone=UTC, as_of=day(40))
    data = now.to_dict()
    assert data["revenue"] == {"by_currency": [], "return": None, "note": REVENUE_NOTE}
    line = data["cost_by_campaign"][0]
    assert (line["revenue"], line["return_on_spend"], line["net_return"]) == ([], None, None)


def test_a_line_without_won_value_returns_nothing_when_others_have_value() -> None:
    leads = [won(1, 0, 100, "VND", channel="seo"), path(2, 1, **FB)]
    now = measure(leads, SPEND[:1], period=MARCH, zone=UTC, as_of=day(40))
    # Value exists in scope (seo), so campaign 1's empty revenue is 0 ₫ against 1,500,000 ₫ of spend.
    line = now.cost_by_campaign[0]
    assert line.returns == Return("VND", 0, 1_500_000)
    assert (line.to_dict()["return_on_spend"], line.to_dict()["net_return"]) == (0.0, -1_500_000)
    assert now.returns == Return("VND", 100, 1_500_000)


def test_return_on_needs_one_currency_on_both_sides() -> None:
    vnd = [Revenue("VND", 300, 1)]
    assert return_on([("VND", 100)], vnd, valued=True) == Return("VND", 300, 100)
    assert return_on([("VND", 100), ("USD", 5)], vnd, valued=True) is None
    assert return_on([("USD", 100)], vnd, valued=True) is None
    assert return_on([("VND", 100)], vnd, valued=False) is None
    assert return_on([("VND", 0)], vnd, valued=True) == Return("VND", 300, 0)
    assert Return("VND", 300, 0).return_on_spend is None
