"""``build_report`` on SQLite and PostgreSQL over a small history built by hand, answers worked out below.

March 2026 in UTC, seen on 15 April. The leads (fb = facebook_ads, C1 its campaign):

    L1 fb C1, rep1 (North)  2 Mar 10:00 IQL → 3 Mar MQL → 5 Mar SQL → 10 Mar Opportunity → 20 Mar Customer
    L2 fb C1, rep2 (South)  5 Mar 09:00 IQL → 6 Mar SQL (skips MQL) → 8 Mar Lost → 12 Mar MQL (recycled)
    L3 seo                 10 Mar 08:00 IQL → 11 Mar MQL → 12 Mar IQL (moved back)
    L4 import, bought list 15 Mar 09:00 IQL
    L5 fb, job applicant    3 Mar: never counts
    L6 fb C1               10 Feb IQL → 12 Feb MQL → 3 Mar SQL → 20 Mar Opportunity (a February lead)
    L7 seo                 20 Mar 12:00 IQL, and L8 (21 Mar IQL → 22 Mar 12:00 MQL → 25 Mar 12:00 SQL) merged
                           into it on 26 Mar: one lead with both histories

Costs: C1 (fb, VND) 100,000 on 28 Feb, 300,000 on 1 Mar, 600,000 on 31 Mar, 999,000 on 1 Apr; C2 (google_ads,
USD) 50.00 on 15 Mar.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from pheu.auth.roles import Principal, Role
from pheu.db import unit_of_work
from pheu.measure.funnel import StageCount
from pheu.measure.period import Period
from pheu.measure.report import REVENUE_NOTE
from pheu.services import merges
from pheu.services.errors import Invalid
from pheu.services.reports import SPEND_NOT_SPLIT, Report, ReportFilters, build_report, default_period
from pheu.store import Campaign, CampaignCost, Channel, Lead, StageChange, Team, User

MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))
AS_OF = datetime(2026, 4, 15, tzinfo=UTC)


def t(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


@dataclass
class Ids:
    rep1: int
    south: int
    c1: int


def add_lead(s: Session, moves: list[tuple[str, datetime]], **fields: Any) -> int:
    created = moves[0][1]
    lead = Lead(
        full_name="Khách",
        created_at=created,
        updated_at=created,
        stage=moves[-1][0],
        stage_changed_at=created,
    )
    for name, value in fields.items():
        setattr(lead, name, value)
    s.add(lead)
    s.flush()
    previous = None
    for stage, at in moves:
        s.add(StageChange(lead_id=lead.id, from_stage=previous, to_stage=stage, at=at, actor_type="system"))
        previous = stage
    return lead.id


def build(url: str) -> Ids:
    with unit_of_work(url) as s:
        fb = Channel(code="facebook_ads", name="Facebook Ads", paid=True)
        seo = Channel(code="seo", name="SEO")
        bought = Channel(code="import", name="Danh sách", low_quality=True)
        google = Channel(code="google_ads", name="Google Ads", paid=True)
        north, south = Team(name="North"), Team(name="South")
        s.add_all([fb, seo, bought, google, north, south])
        s.flush()
        users = [
            User(email=f"{n}@x.vn", name=n, password_hash="-", role=r, team_id=team)
            for n, r, team in (
                ("rep1", "sales_rep", north.id),
                ("rep2", "sales_rep", south.id),
                ("boss", "admin", None),
            )
        ]
        c1 = Campaign(name="Tết", channel_id=fb.id)
        c2 = Campaign(name="US search", channel_id=google.id, currency="USD")
        s.add_all([*users, c1, c2])
        s.flush()
        rep1, rep2, boss = users
        for when, amount in (
            (date(2026, 2, 28), 100_000),
            (date(2026, 3, 1), 300_000),
            (date(2026, 3, 31), 600_000),
        ):
            s.add(CampaignCost(campaign_id=c1.id, day=when, amount_minor=amount, currency="VND"))
        s.add(CampaignCost(campaign_id=c1.id, day=date(2026, 4, 1), amount_minor=999_000, currency="VND"))
        s.add(CampaignCost(campaign_id=c2.id, day=date(2026, 3, 15), amount_minor=5_000, currency="USD"))
        on_fb = {"channel_id": fb.id, "campaign_id": c1.id}
        whole_way = [("iql", t(3, 2, 10)), ("mql", t(3, 3, 10)), ("sql", t(3, 5, 10))]
        whole_way += [("opportunity", t(3, 10, 10)), ("customer", t(3, 20, 10))]
        add_lead(s, whole_way, owner_id=rep1.id, **on_fb)
        recycled = [("iql", t(3, 5)), ("sql", t(3, 6)), ("lost", t(3, 8)), ("mql", t(3, 12))]
        add_lead(s, recycled, owner_id=rep2.id, **on_fb)
        add_lead(s, [("iql", t(3, 10, 8)), ("mql", t(3, 11, 8)), ("iql", t(3, 12, 8))], channel_id=seo.id)
        add_lead(s, [("iql", t(3, 15))], channel_id=bought.id, flags=["bought_list"])
        add_lead(s, [("applicant", t(3, 3)), ("interview", t(3, 5))], kind="recruitment", channel_id=fb.id)
        add_lead(
            s, [("iql", t(2, 10)), ("mql", t(2, 12)), ("sql", t(3, 3)), ("opportunity", t(3, 20))], **on_fb
        )
        keep = add_lead(s, [("iql", t(3, 20, 12))], channel_id=seo.id, email="a@x.vn")
        drop = add_lead(
            s,
            [("iql", t(3, 21, 12)), ("mql", t(3, 22, 12)), ("sql", t(3, 25, 12))],
            channel_id=seo.id,
            email="a@x.vn",
        )
        ids = Ids(rep1=rep1.id, south=south.id, c1=c1.id)
        principal = Principal(user_id=boss.id, name="boss", role=Role.ADMIN)
    with unit_of_work(url) as s:
        merges.merge_leads(s, principal, keep, drop, t(3, 26))
    return ids


def report(url: str, **filters: Any) -> Report:
    with unit_of_work(url) as s:
        return build_report(s, ReportFilters(MARCH, **filters), AS_OF, zone=UTC)


def leads(rows: Sequence[StageCount]) -> list[int]:
    return [row.leads for row in rows]


def test_funnel_rates_and_times_by_hand(db_url: str) -> None:
    build(db_url)
    now = report(db_url).current
    # Cohort L1 L2 L3 L4 L7. MQL: L1, L2 (skip), L3, L7 (merged history). SQL: L1, L2, L7. Opp and customer: L1.
    assert leads(now.cohort_funnel) == [5, 4, 3, 1, 1]
    # First arrivals in March: as the cohort, plus L6 becoming an SQL (3 Mar) and an opportunity (20 Mar).
    assert leads(now.period_funnel) == [5, 4, 4, 2, 1]
    assert now.rates.to_dict() == {
        "iql_to_mql": 0.8,
        "mql_to_sql": 0.75,
        "sql_to_opportunity": round(1 / 3, 4),
        "opportunity_to_customer": 1.0,
        "lead_to_customer": 0.2,
    }
    steps = {step.name: step for step in now.times.steps}
    # IQL → MQL hours: L1 24, L2 24 (its SQL day), L3 24, L7 48 (from its own IQL on 20 Mar).
    assert steps["iql_to_mql"].median_hours == 24.0
    assert steps["iql_to_mql"].p90_hours == pytest.approx(24 + 0.7 * 24)
    # MQL → SQL hours: L1 48, L2 0, L7 72.
    assert steps["mql_to_sql"].median_hours == 48.0
    assert steps["mql_to_sql"].p90_hours == pytest.approx(48 + 0.8 * 24)
    assert now.times.lead_to_customer.median_hours == 18 * 24


def test_costs_per_currency_and_per_level(db_url: str) -> None:
    ids = build(db_url)
    now = report(db_url).current
    assert [m.to_dict() for m in now.spend] == [
        {"currency": "VND", "amount_minor": 900_000},
        {"currency": "USD", "amount_minor": 5_000},
    ]
    fb, google = now.cost_by_channel
    # 900,000 ₫ over L1 and L2: 2 leads, 2 MQLs, 2 SQLs, 1 customer.
    assert (fb.channel, fb.cost_per_lead, fb.cost_per_mql, fb.cost_per_sql, fb.cost_per_customer) == (
        "facebook_ads",
        450_000,
        450_000,
        450_000,
        900_000,
    )
    assert (google.channel, google.currency, google.leads, google.cost_per_lead) == (
        "google_ads",
        "USD",
        0,
        None,
    )
    assert [(line.campaign_id, line.leads) for line in now.cost_by_campaign] == [(ids.c1, 2), (ids.c1 + 1, 0)]


def test_channel_quality_and_bought_lists(db_url: str) -> None:
    build(db_url)
    quality = report(db_url).current.channel_quality
    rows = {c.name: (c.leads, c.mqls, c.sqls, c.customers, c.low_quality) for c in quality.channels}
    assert rows == {
        "facebook_ads": (2, 2, 2, 1, False),
        "seo": (2, 2, 1, 0, False),
        "import": (1, 0, 0, 0, True),
    }
    assert (quality.bought_lists.leads, quality.bought_lists.mqls) == (1, 0)
    assert (quality.rest.leads, quality.rest.mqls, quality.rest.sqls, quality.rest.customers) == (4, 4, 3, 1)


def test_previous_period_is_seen_as_it_stood_one_period_earlier(db_url: str) -> None:
    build(db_url)
    before = report(db_url).previous
    assert (before.period.first_day, before.period.last_day) == (date(2026, 1, 29), date(2026, 2, 28))
    assert before.as_of == AS_OF - timedelta(days=31)  # 15 March: L6 is an SQL but not yet an opportunity
    assert leads(before.cohort_funnel) == [1, 1, 1, 0, 0]
    assert leads(before.period_funnel) == [1, 1, 0, 0, 0]
    assert [m.to_dict() for m in before.spend] == [{"currency": "VND", "amount_minor": 100_000}]


def test_filters_by_channel_campaign_owner_and_team(db_url: str) -> None:
    ids = build(db_url)
    fb = report(db_url, channels=("facebook_ads",)).current
    assert leads(fb.cohort_funnel) == [2, 2, 2, 1, 1]
    assert leads(fb.period_funnel) == [2, 2, 3, 2, 1]
    assert [line.channel for line in fb.cost_by_channel] == ["facebook_ads"]

    campaign = report(db_url, campaign_id=ids.c1).current
    assert leads(campaign.cohort_funnel) == [2, 2, 2, 1, 1]
    assert [m.to_dict() for m in campaign.spend] == [{"currency": "VND", "amount_minor": 900_000}]

    owner = report(db_url, owner_id=ids.rep1)
    assert leads(owner.current.cohort_funnel) == [1, 1, 1, 1, 1]
    assert owner.current.spend == ()
    assert owner.notes == (REVENUE_NOTE, SPEND_NOT_SPLIT)

    team = report(db_url, team_id=ids.south)
    assert leads(team.current.cohort_funnel) == [1, 1, 1, 0, 0]


def test_an_unknown_channel_is_refused_with_the_known_ones(db_url: str) -> None:
    build(db_url)
    with pytest.raises(Invalid, match=r"Unknown channel tiktok\. Known channels: facebook_ads, google_ads"):
        report(db_url, channels=("tiktok",))


def test_days_are_cut_in_the_reporting_zone(db_url: str) -> None:
    with unit_of_work(db_url) as s:
        add_lead(s, [("iql", datetime(2026, 3, 31, 18, tzinfo=UTC))])  # 1 April, 01:00 in Hồ Chí Minh City
    saigon = ZoneInfo("Asia/Ho_Chi_Minh")
    with unit_of_work(db_url) as s:
        march_local = build_report(s, ReportFilters(MARCH), AS_OF, zone=saigon)
        april_local = build_report(
            s, ReportFilters(Period(date(2026, 4, 1), date(2026, 4, 30))), AS_OF, zone=saigon
        )
        march_utc = build_report(s, ReportFilters(MARCH), AS_OF, zone=UTC)
    assert (march_local.current.leads, april_local.current.leads, march_utc.current.leads) == (0, 1, 1)


def test_report_json_has_the_agreed_keys(db_url: str) -> None:
    build(db_url)
    data = report(db_url).to_dict()
    for key in ("funnel", "rates", "cost_per_lead_by_channel", "times", "channel_quality", "previous_period"):
        assert key in data
    assert data["previous_period"]["funnel"]["cohort"][0] == {
        "stage": "iql",
        "leads": 1,
        "conversion_to_next": 1.0,
    }


def test_a_missing_bound_means_today_or_30_days_before_the_end() -> None:
    as_of = datetime(2026, 11, 26, 20, tzinfo=UTC)  # already 27 November in Hồ Chí Minh City
    saigon = ZoneInfo("Asia/Ho_Chi_Minh")
    assert default_period(as_of, saigon) == Period(date(2026, 10, 29), date(2026, 11, 27))
    assert default_period(as_of, saigon, first_day=date(2026, 11, 1)) == Period(
        date(2026, 11, 1), date(2026, 11, 27)
    )
    assert default_period(as_of, saigon, last_day=date(2026, 3, 31)) == Period(
        date(2026, 3, 2), date(2026, 3, 31)
    )
