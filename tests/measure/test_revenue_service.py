"""Revenue and return from ``build_report`` on SQLite and PostgreSQL (the PostgreSQL single-query path and the
SQLite row path must give these same hand-worked answers).

March 2026 in UTC, seen on 15 April. fb = facebook_ads; C1 its campaign (VND), C2 a Zalo campaign (USD):

    A fb C1        2 Mar IQL → 10 Mar Customer, won 5,000,000 ₫
    B fb C1        3 Mar IQL → 4 Mar MQL → 12 Mar Customer, won 3,000,001 ₫
    C fb C1        4 Mar IQL → 14 Mar Customer, won without a value
    D fb           5 Mar IQL → 20 Mar Customer, won 200.00 USD
    E import       6 Mar IQL → 15 Mar Customer, won 1,000,000 ₫ (a bought list)
    Z zalo C2      8 Mar IQL → 18 Mar Customer, won 300.00 USD
    R fb C1        a job applicant carrying 9,000,000 ₫: never counts
    G fb C1        7 Mar IQL → 16 Apr Customer (after the report's moment), 7,000,000 ₫: not yet
    H fb C1       10 Feb IQL → 5 Mar Customer, 4,000,000 ₫: a February lead, not in the cohort
    K fb C1       20 Mar IQL → 28 Mar Customer, won 2,000,000 ₫, and M (21 Mar IQL → 22 Mar MQL, fb C1)
                  merged into it on 29 Mar: one customer, counted once

Costs: C1 1,000,000 ₫ on 1 Mar and 500,000 ₫ on 2 Mar; C2 100.00 USD on 3 Mar.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from pheu.auth.roles import Principal, Role
from pheu.db import unit_of_work
from pheu.measure.report import REVENUE_NOTE
from pheu.measure.revenue import Return, Revenue
from pheu.services import merges
from pheu.services.reports import SPEND_NOT_SPLIT, Report
from pheu.store import Campaign, CampaignCost, Channel, User
from tests.measure.test_reports_service import add_lead, report, t


def build(url: str) -> dict[str, int]:
    with unit_of_work(url) as s:
        fb = Channel(code="facebook_ads", name="Facebook Ads", paid=True)
        bought = Channel(code="import", name="Danh sách", low_quality=True)
        zalo = Channel(code="zalo", name="Zalo")
        boss = User(email="boss@x.vn", name="boss", password_hash="-", role="admin")
        s.add_all([fb, bought, zalo, boss])
        s.flush()
        c1 = Campaign(name="Tết", channel_id=fb.id)
        c2 = Campaign(name="Zalo OA", channel_id=zalo.id, currency="USD")
        s.add_all([c1, c2])
        s.flush()
        s.add(CampaignCost(campaign_id=c1.id, day=date(2026, 3, 1), amount_minor=1_000_000, currency="VND"))
        s.add(CampaignCost(campaign_id=c1.id, day=date(2026, 3, 2), amount_minor=500_000, currency="VND"))
        s.add(CampaignCost(campaign_id=c2.id, day=date(2026, 3, 3), amount_minor=10_000, currency="USD"))
        on_c1: dict[str, Any] = {"channel_id": fb.id, "campaign_id": c1.id}

        def vnd(amount: int) -> dict[str, Any]:
            return {"won_amount_minor": amount, "won_currency": "VND"}

        add_lead(s, [("iql", t(3, 2)), ("customer", t(3, 10))], **on_c1, **vnd(5_000_000))
        add_lead(s, [("iql", t(3, 3)), ("mql", t(3, 4)), ("customer", t(3, 12))], **on_c1, **vnd(3_000_001))
        add_lead(s, [("iql", t(3, 4)), ("customer", t(3, 14))], **on_c1)
        add_lead(
            s,
            [("iql", t(3, 5)), ("customer", t(3, 20))],
            channel_id=fb.id,
            won_amount_minor=20_000,
            won_currency="USD",
        )
        add_lead(
            s,
            [("iql", t(3, 6)), ("customer", t(3, 15))],
            channel_id=bought.id,
            flags=["bought_list"],
            **vnd(1_000_000),
        )
        add_lead(
            s,
            [("iql", t(3, 8)), ("customer", t(3, 18))],
            channel_id=zalo.id,
            campaign_id=c2.id,
            won_amount_minor=30_000,
            won_currency="USD",
        )
        add_lead(s, [("applicant", t(3, 3))], kind="recruitment", **on_c1, **vnd(9_000_000))
        add_lead(s, [("iql", t(3, 7)), ("customer", t(4, 16))], **on_c1, **vnd(7_000_000))
        add_lead(s, [("iql", t(2, 10)), ("customer", t(3, 5))], **on_c1, **vnd(4_000_000))
        keep = add_lead(s, [("iql", t(3, 20)), ("customer", t(3, 28))], **on_c1, **vnd(2_000_000))
        drop = add_lead(s, [("iql", t(3, 21)), ("mql", t(3, 22))], **on_c1)
        principal = Principal(user_id=boss.id, name="boss", role=Role.ADMIN)
        ids = {"c1": c1.id, "c2": c2.id, "boss": boss.id}
    with unit_of_work(url) as s:
        merges.merge_leads(s, principal, keep, drop, t(3, 29))
    return ids


def march(url: str, **filters: Any) -> Report:
    return report(url, **filters)


def test_revenue_is_summed_per_currency_over_the_cohort_customers(db_url: str) -> None:
    build(db_url)
    result = march(db_url)
    now = result.current
    # VND: A + B + E + K = 11,000,001 over 4 deals, average 2,750,000.25 → 2,750,000. USD: D + Z = 500.00.
    assert now.revenue == (Revenue("VND", 11_000_001, 4), Revenue("USD", 50_000, 2))
    assert [r.average_deal for r in now.revenue] == [2_750_000, 25_000]
    assert now.returns is None  # spend in VND and USD: no single return
    assert REVENUE_NOTE not in result.notes
    assert result.to_dict()["revenue"]["note"] is None


def test_return_per_campaign_and_channel(db_url: str) -> None:
    ids = build(db_url)
    now = march(db_url).current
    campaigns = {line.campaign_id: line for line in now.cost_by_campaign}
    tet, oa = campaigns[ids["c1"]], campaigns[ids["c2"]]
    # C1: A + B + K = 10,000,001 ₫ over 3 deals (average 3,333,333.67 → 3,333,334) against 1,500,000 ₫.
    assert tet.revenue == (Revenue("VND", 10_000_001, 3),)
    assert tet.revenue[0].average_deal == 3_333_334
    assert tet.returns == Return("VND", 10_000_001, 1_500_000)
    assert (tet.to_dict()["return_on_spend"], tet.to_dict()["net_return"]) == (6.6667, 8_500_001)
    assert (tet.customers, tet.leads) == (4, 5)  # A B C K customers; G not yet; M merged into K
    assert oa.returns == Return("USD", 30_000, 10_000)
    assert oa.to_dict()["return_on_spend"] == 3.0
    channels = {line.channel: line for line in now.cost_by_channel}
    # facebook_ads also won 200.00 USD through D: revenue in two currencies, no return stated.
    assert channels["facebook_ads"].revenue == (Revenue("VND", 10_000_001, 3), Revenue("USD", 20_000, 1))
    assert channels["facebook_ads"].returns is None
    assert channels["zalo"].returns == Return("USD", 30_000, 10_000)


def test_value_by_channel_with_bought_lists_against_the_rest(db_url: str) -> None:
    build(db_url)
    quality = march(db_url).current.channel_quality
    value = {g.name: (g.customers, g.revenue) for g in quality.channels}
    assert value == {
        "facebook_ads": (5, (Revenue("VND", 10_000_001, 3), Revenue("USD", 20_000, 1))),
        "import": (1, (Revenue("VND", 1_000_000, 1),)),
        "zalo": (1, (Revenue("USD", 30_000, 1),)),
    }
    assert quality.bought_lists.revenue == (Revenue("VND", 1_000_000, 1),)
    assert quality.rest.revenue == (Revenue("VND", 10_000_001, 3), Revenue("USD", 50_000, 2))


def test_filters_narrow_revenue_and_owner_filters_hide_return(db_url: str) -> None:
    ids = build(db_url)
    zalo = march(db_url, channels=("zalo",)).current
    assert zalo.revenue == (Revenue("USD", 30_000, 1),)
    assert zalo.returns == Return("USD", 30_000, 10_000)
    owned = march(db_url, owner_id=ids["boss"])  # nobody's leads are owned: nothing valued in scope
    assert owned.current.revenue == ()
    assert owned.notes == (REVENUE_NOTE, SPEND_NOT_SPLIT)


def test_the_previous_period_sees_wins_as_they_stood(db_url: str) -> None:
    build(db_url)
    before = march(db_url).previous
    # February, seen on 15 March: H was created 10 Feb and won on 5 Mar, 4,000,000 ₫.
    assert before.revenue == (Revenue("VND", 4_000_000, 1),)


def test_cost_lines_carry_revenue_in_json(db_url: str) -> None:
    ids = build(db_url)
    data = march(db_url).to_dict()
    line = next(row for row in data["cost_by_campaign"] if row["campaign_id"] == ids["c2"])
    assert line["revenue"] == [
        {"currency": "USD", "amount_minor": 30_000, "deals": 1, "average_deal": 30_000}
    ]
    assert (line["return_on_spend"], line["net_return"]) == (3.0, 20_000)


def test_cli_report_shows_revenue_and_return(db_url: str) -> None:
    from typer.testing import CliRunner

    from pheu.cli import app

    build(db_url)
    args = ["report", "--db-url", db_url, "--from", "2026-03-01", "--to", "2026-03-31", "--channel", "zalo"]
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    # Zalo alone: Z's 300.00 USD against C2's 100.00 USD.
    assert data["revenue"]["by_currency"] == [
        {"currency": "USD", "amount_minor": 30_000, "deals": 1, "average_deal": 30_000}
    ]
    assert data["revenue"]["return"] == {
        "currency": "USD",
        "revenue_minor": 30_000,
        "spend_minor": 10_000,
        "return_on_spend": 3.0,
        "net_return": 20_000,
    }
    text = CliRunner().invoke(app, args, env={"COLUMNS": "240"})
    assert text.exit_code == 0, text.output
    assert "Revenue" in text.stdout and "Won value" in text.stdout
