"""Spend and cost per lead / MQL / SQL / customer: per channel and campaign, currencies never added up."""

from __future__ import annotations

from pheu.measure.costs import Money, Spend, cost_by_campaign, cost_by_channel, total_spend
from pheu.measure.paths import follow
from tests.measure.histories import CUSTOMER, MQL, OPP, SQL, day, path

SPEND = [
    Spend(1, "FB Tết", "facebook_ads", "VND", 1_000_000),
    Spend(2, "FB retarget", "facebook_ads", "VND", 500_000),
    Spend(3, "Google US", "google_ads", "USD", 12_345),  # $123.45
    Spend(4, "Google VN", "google_ads", "VND", 300_000),
    Spend(5, "Zalo OA", "zalo", "VND", 200_000),  # no leads at all
]
LEADS = [
    path(1, 0, (MQL, 1), channel="facebook_ads", campaign_id=1),
    path(2, 0, (SQL, 1), channel="facebook_ads", campaign_id=1),  # skipped MQL: counts as one
    path(3, 0, channel="facebook_ads", campaign_id=1),
    path(4, 0, (MQL, 1), (SQL, 2), (OPP, 3), (CUSTOMER, 4), channel="facebook_ads", campaign_id=2),
    path(5, 1, channel="facebook_ads"),  # the channel's organic leads count for the channel
    path(6, 1, channel="facebook_ads"),
    path(7, 1, (MQL, 2), channel="google_ads", campaign_id=3),
    path(8, 1, channel="google_ads", campaign_id=4),
    path(9, 1, (MQL, 2), channel="seo"),  # no spend: no cost line
]
COHORT = follow(LEADS, day(30))


def test_total_spend_is_per_currency_with_vnd_first() -> None:
    assert total_spend(SPEND) == (Money("VND", 2_000_000), Money("USD", 12_345))


def test_cost_per_level_by_channel() -> None:
    lines = {line.channel: line for line in cost_by_channel(SPEND, COHORT)}
    assert list(lines) == ["facebook_ads", "google_ads", "zalo"]  # biggest VND spend first, no seo
    fb = lines["facebook_ads"]
    # 1,500,000 ₫ over 6 leads, 3 MQLs (1, 2, 4), 2 SQLs (2, 4), 1 customer (4).
    assert (fb.leads, fb.mqls, fb.sqls, fb.customers) == (6, 3, 2, 1)
    assert fb.spend == (Money("VND", 1_500_000),)
    assert (fb.cost_per_lead, fb.cost_per_mql, fb.cost_per_sql, fb.cost_per_customer) == (
        250_000,
        500_000,
        750_000,
        1_500_000,
    )


def test_a_channel_paid_in_two_currencies_gets_no_cost_per_figure() -> None:
    google = next(line for line in cost_by_channel(SPEND, COHORT) if line.channel == "google_ads")
    assert google.spend == (Money("VND", 300_000), Money("USD", 12_345))
    assert google.currency is None
    assert (google.cost_per_lead, google.cost_per_mql) == (None, None)
    assert google.to_dict()["spend"] == [
        {"currency": "VND", "amount_minor": 300_000},
        {"currency": "USD", "amount_minor": 12_345},
    ]


def test_spend_with_no_leads_has_no_cost_per_lead() -> None:
    zalo = next(line for line in cost_by_channel(SPEND, COHORT) if line.channel == "zalo")
    assert (zalo.leads, zalo.cost_per_lead, zalo.cost_per_customer) == (0, None, None)


def test_cost_per_level_by_campaign_rounds_halves_up_in_minor_units() -> None:
    lines = {line.campaign_id: line for line in cost_by_campaign(SPEND, COHORT)}
    tet = lines[1]
    # 1,000,000 ₫ / 3 leads = 333,333.33 -> 333,333; / 2 MQLs = 500,000; / 1 SQL; no customer.
    assert (tet.campaign, tet.channel, tet.leads) == ("FB Tết", "facebook_ads", 3)
    assert (tet.cost_per_lead, tet.cost_per_mql, tet.cost_per_sql, tet.cost_per_customer) == (
        333_333,
        500_000,
        1_000_000,
        None,
    )
    assert (lines[2].cost_per_lead, lines[2].cost_per_customer) == (500_000, 500_000)
    us = lines[3]
    assert (us.currency, us.cost_per_lead, us.cost_per_mql) == ("USD", 12_345, 12_345)


def test_no_spend_no_lines() -> None:
    assert cost_by_channel([], COHORT) == ()
    assert total_spend([]) == ()
