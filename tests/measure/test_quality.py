"""Channel quality: conversion per channel, and bought lists (flag or low-quality channel) against the rest."""

from __future__ import annotations

from pheu.measure.paths import follow
from pheu.measure.quality import channel_quality
from tests.measure.histories import CUSTOMER, MQL, SQL, day, path

LOW_QUALITY = frozenset({"import"})
LEADS = [
    path(1, 0, (MQL, 1), channel="import"),
    path(2, 0, channel="import"),
    path(3, 0, channel="import"),
    path(4, 0, channel="import"),
    path(5, 0, channel="facebook_ads", bought_list=True),  # a bought list uploaded under another channel
    path(6, 0, channel="facebook_ads", bought_list=True),
    path(7, 0, (MQL, 1), (SQL, 2), (CUSTOMER, 9), channel="seo"),
    path(8, 0, (MQL, 1), channel="seo"),
    path(9, 0, channel="seo"),
    path(10, 0, channel="seo"),
    path(11, 0, (MQL, 1), channel=None),
]


def test_bought_lists_against_the_rest() -> None:
    quality = channel_quality(follow(LEADS, day(30)), LOW_QUALITY)
    bought, rest = quality.bought_lists, quality.rest
    # Bought: four from the import channel and two flagged = 6 leads, 1 MQL, no SQL, no customer.
    assert (bought.leads, bought.mqls, bought.sqls, bought.customers) == (6, 1, 0, 0)
    assert (bought.lead_to_mql, bought.mql_to_sql, bought.lead_to_customer) == (1 / 6, 0.0, 0.0)
    # The rest: four SEO leads and one without a channel = 5 leads, 3 MQLs, 1 SQL, 1 customer.
    assert (rest.leads, rest.mqls, rest.sqls, rest.customers) == (5, 3, 1, 1)
    assert (rest.lead_to_mql, rest.mql_to_sql, rest.lead_to_customer) == (3 / 5, 1 / 3, 1 / 5)


def test_channels_most_leads_first_with_low_quality_marked() -> None:
    quality = channel_quality(follow(LEADS, day(30)), LOW_QUALITY)
    rows = [(c.name, c.leads, c.low_quality) for c in quality.channels]
    assert rows == [("import", 4, True), ("seo", 4, False), ("facebook_ads", 2, False), (None, 1, False)]
    seo = quality.channels[1]
    assert (seo.mqls, seo.sqls, seo.customers, seo.lead_to_customer) == (2, 1, 1, 1 / 4)


def test_no_leads_no_division() -> None:
    quality = channel_quality([], LOW_QUALITY)
    assert quality.channels == ()
    assert quality.to_dict()["bought_lists"]["lead_to_customer"] is None
