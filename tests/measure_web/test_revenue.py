"""Revenue and return on the dashboard, in the downloads and through the API, for a channel of its own added
to the demo (so the figures are the ones worked out here, whatever the demo holds):

    three leads from ``rev_test`` (campaign "Hè", VND) created five days ago, customers two days ago: won for
    3,000,000 ₫ and 1,000,001 ₫, and one won without a value; spend 1,000,000 ₫ yesterday.

Revenue 4,000,001 ₫ over 2 deals (average 2,000,000.5 → 2,000,001 ₫), return 4,000,001 / 1,000,000 = 4.00×,
revenue − spend 3,000,001 ₫. The revenue links to the channel's customers: 3 leads.
"""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from openpyxl import load_workbook  # type: ignore[import-untyped]
from sqlalchemy import select

from pheu.db import unit_of_work
from pheu.services.reports import report_zone
from pheu.store import Campaign, CampaignCost, Channel
from tests.factories import api_token
from tests.measure.test_reports_service import add_lead
from tests.measure_web.test_dashboard import lead_count

QUERY = "days=30&channel=rev_test"


def add_valued_channel(url: str) -> None:
    now = datetime.now(UTC)
    with unit_of_work(url) as s:
        if s.scalar(select(Channel.id).where(Channel.code == "rev_test")) is not None:
            return
        channel = Channel(code="rev_test", name="Rev test", paid=True)
        s.add(channel)
        s.flush()
        campaign = Campaign(name="Hè", channel_id=channel.id, created_at=now)
        s.add(campaign)
        s.flush()
        yesterday = now.astimezone(report_zone()).date() - timedelta(days=1)
        s.add(CampaignCost(campaign_id=campaign.id, day=yesterday, amount_minor=1_000_000, currency="VND"))
        moves = [("iql", now - timedelta(days=5)), ("customer", now - timedelta(days=2))]
        origin = {"channel_id": channel.id, "campaign_id": campaign.id}
        add_lead(s, moves, **origin, won_amount_minor=3_000_000, won_currency="VND")
        add_lead(s, moves, **origin, won_amount_minor=1_000_001, won_currency="VND")
        add_lead(s, moves, **origin)


def test_dashboard_shows_revenue_and_return_linked_to_the_customers(
    marketing: TestClient, demo_url: str
) -> None:
    add_valued_channel(demo_url)
    page = marketing.get(f"/reports?{QUERY}").text
    assert 'id="kpi-revenue"' in page and 'id="chart-returns"' in page
    assert "4.000.001\xa0₫" in page and "2.000.001\xa0₫" in page  # revenue, average deal
    assert "4×" in page and "3.000.001\xa0₫" in page  # return on spend, revenue − spend
    assert "Won value is not recorded yet" not in page and "Chưa ghi nhận giá trị" not in page
    table = page[page.index('id="cost-campaign-table"') :]
    found = re.search(r'<a class="report-num money-link" href="([^"]+)"[^>]*>4\.000\.001\xa0₫</a>', table)
    assert found, "the campaign's revenue links to its leads"
    link = html.unescape(found.group(1))
    assert "reached=customer" in link and "channel=rev_test" in link
    assert lead_count(marketing, link) == 3  # the customers the revenue came from, valued or not


def test_downloads_carry_revenue_and_return_as_numbers(marketing: TestClient, demo_url: str) -> None:
    add_valued_channel(demo_url)
    text = marketing.get(f"/reports/export.csv?{QUERY}").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    campaign = next(row for row in rows if row and row[0] == "Hè")
    assert campaign[12:16] == ["4000001", "VND", "2", "2000001"]
    assert campaign[16:18] == ["4.000001", "3000001"]
    book = load_workbook(io.BytesIO(marketing.get(f"/reports/export.xlsx?{QUERY}").content))
    sheet = next(s for s in book.worksheets if any(c.value == "Hè" for c in s["A"]))
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "Hè")
    assert (row[12].value, row[16].value, row[16].number_format) == (4_000_001, 4.000001, "0.00")


def test_api_summary_answers_revenue_and_return(marketing: TestClient, demo_url: str) -> None:
    add_valued_channel(demo_url)
    token = api_token(demo_url, "marketing@pheu.local", ["leads:read"], datetime.now(UTC))
    response = marketing.get(
        "/api/v1/reports/summary",
        params={"channel": "rev_test"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    revenue = response.json()["revenue"]
    assert revenue["by_currency"] == [
        {"currency": "VND", "amount_minor": 4_000_001, "deals": 2, "average_deal": 2_000_001}
    ]
    assert revenue["return"]["net_return"] == 3_000_001
    assert revenue["note"] is None
