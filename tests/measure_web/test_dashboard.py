"""The reports dashboard on the demo: it renders, its charts come from the package, and every number it
links opens exactly the leads it counts."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from pheu.db import unit_of_work
from pheu.services.reports import ReportFilters, build_report, report_zone
from pheu.web.pages_reports import DashboardQuery

_COUNT = re.compile(r'id="lead-count"[^>]*>([^<]+)<')


def lead_count(client: TestClient, url: str) -> int:
    """How many leads a drill-down link lists (the count line above the table)."""
    response = client.get(url)
    assert response.status_code == 200, response.text
    found = _COUNT.search(response.text)
    assert found, "the lead list shows no count"
    return int(re.sub(r"\D", "", found.group(1)))


def cell_link(page: str, table_id: str, marker: str) -> tuple[int, str]:
    """The number and link in the table cell carrying ``marker`` (e.g. data-stage="mql")."""
    table = page[page.index(f'id="{table_id}"') :]
    cell = table[table.index(marker) :]
    found = re.search(r'<a class="report-num" href="([^"]+)"[^>]*>([^<]+)</a>', cell)
    assert found, f"no linked number after {marker}"
    return int(re.sub(r"\D", "", found.group(2))), html.unescape(found.group(1))


def test_dashboard_renders_for_marketing_with_the_demo(marketing: TestClient) -> None:
    page = marketing.get("/reports?days=90")
    assert page.status_code == 200
    text = page.text
    for part in ('id="funnel-table"', 'id="rates-table"', 'id="times-table"', 'id="quality-table"',
                 'id="chart-funnel"', 'id="report-data"', "Báo cáo"):  # fmt: skip
        assert part in text, part
    assert '<script src="/static/vendor/echarts/echarts.min.js"></script>' in text
    assert not re.search(r'<script[^>]+src="(https?:)?//', text), "nothing may come from a CDN"
    assert re.search(r"\d{1,3}(\.\d{3})*\xa0₫", text), "VND is written 1.234.567 ₫ in Vietnamese"
    assert marketing.get("/static/vendor/echarts/echarts.min.js").status_code == 200


def test_the_mql_count_links_to_exactly_the_leads_it_counts(marketing: TestClient, demo_url: str) -> None:
    page = marketing.get("/reports?days=90").text
    shown, link = cell_link(page, "funnel-table", 'data-stage="mql"')
    as_of = datetime.now(UTC)
    period = DashboardQuery(days=90).period(as_of)
    with unit_of_work(demo_url) as session:
        report = build_report(session, ReportFilters(period), as_of, zone=report_zone())
    assert shown == report.current.cohort_funnel[1].leads > 0
    assert lead_count(marketing, link) == shown


@pytest.mark.parametrize(
    ("query", "table", "marker"),
    [
        ("days=180", "funnel-table", 'data-stage="customer"'),
        ("days=180", "funnel-table", 'data-stage="sql"'),
        ("days=90&channel=facebook_ads", "funnel-table", 'data-stage="iql"'),
        ("days=180", "bought-vs-rest", "<th"),
        ("days=180", "quality-table", "<tbody>"),
        ("days=180", "cost-channel-table", "<tbody>"),
    ],
)
def test_other_numbers_link_to_exactly_their_leads(
    marketing: TestClient, query: str, table: str, marker: str
) -> None:
    shown, link = cell_link(marketing.get(f"/reports?{query}").text, table, marker)
    assert lead_count(marketing, link) == shown


def test_entered_in_period_counts_link_to_the_leads_that_first_reached_the_stage(
    marketing: TestClient,
) -> None:
    page = marketing.get("/reports?days=30").text
    row = page[page.index('data-stage="mql"') :]
    cells = re.findall(r'<a class="report-num" href="([^"]+)"[^>]*>([^<]+)</a>', row[: row.index("</tr>")])
    shown, link = int(re.sub(r"\D", "", cells[-1][1])), html.unescape(cells[-1][0])
    assert "reached_from=" in link
    assert lead_count(marketing, link) == shown


def test_the_dashboard_speaks_english_when_asked(marketing: TestClient) -> None:
    page = marketing.get("/reports?days=90&lang=en")
    assert page.status_code == 200
    assert "Funnel by stage" in page.text
    assert re.search(r"₫\d{1,3}(,\d{3})*|\d{1,3}(,\d{3})* ₫", page.text)
    marketing.get("/reports?lang=vi")


def test_a_custom_period_and_an_empty_one_render(marketing: TestClient) -> None:
    page = marketing.get("/reports?days=custom&from=2020-01-01&to=2020-01-31")
    assert page.status_code == 200
    assert "01/01/2020" in page.text


def test_sales_reps_are_refused_the_dashboard_exports_and_costs(rep: TestClient) -> None:
    for path in (
        "/reports",
        "/reports/export.csv",
        "/reports/export.xlsx",
        "/costs",
    ):
        assert rep.get(path).status_code == 403, path
    assert "/reports" not in rep.get("/leads").text.split("</nav>")[0]


def test_old_drill_links_lead_to_the_lead_list(marketing: TestClient) -> None:
    moved = marketing.get("/reports/leads?reached=mql&kind=sales")
    assert moved.status_code == 307
    assert moved.headers["location"] == "/leads?reached=mql&kind=sales"
