"""Every number on the dashboard links to the lead list (``/leads``), and the list — in the browser's HTML
and through the API — holds exactly as many leads as the number says: on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from fastapi.testclient import TestClient

from pheu.db import unit_of_work
from pheu.demo.seed import seed
from pheu.services import reports
from pheu.store import Team
from tests.factories import api_token
from tests.measure_web.conftest import logged_in
from tests.measure_web.test_dashboard import cell_link, lead_count

_LINK = re.compile(r'<a class="report-num" href="([^"]+)"[^>]*>([^<]+)</a>')


@dataclass
class Demo:
    url: str
    web: TestClient
    token: str


@pytest.fixture
def demo(db_url: str) -> Iterator[Demo]:
    seed(db_url, n_leads=250, now=datetime.now(UTC))
    token = api_token(db_url, "marketing@pheu.local", ["leads:read"], datetime.now(UTC))
    with logged_in(db_url, "marketing@pheu.local") as client:
        yield Demo(db_url, client, token)


def api_count(demo: Demo, link: str) -> int:
    """How many leads ``GET /api/v1/leads`` lists for a drill link's filters (page by page)."""
    params: dict[str, Any] = {}
    renamed = {"campaign": "campaign_id", "owner": "owner_id", "team": "team_id", "bought": "bought_list"}
    for name, value in parse_qsl(urlsplit(link).query):
        if name in {"created_to", "reached_to"}:  # the web takes whole days; the API takes moments
            params[name] = _next_midnight(value)
        elif name in {"created_from", "reached_from"}:
            params[name] = _midnight(value)
        elif name == "bought":
            params["bought_list"] = value == "1"
        else:
            params[renamed.get(name, name)] = value
    total, cursor = 0, None
    while True:
        query = {**params, "limit": 500, **({"cursor": cursor} if cursor else {})}
        response = demo.web.get(
            "/api/v1/leads", params=query, headers={"Authorization": f"Bearer {demo.token}"}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        total += len(body["items"])
        cursor = body["next_cursor"]
        if not cursor:
            return total


def _midnight(day: str) -> str:
    """A local day's start, in the reporting zone (what the web's whole days mean)."""
    start = datetime.fromisoformat(day).replace(tzinfo=reports.report_zone())
    return start.isoformat()


def _next_midnight(day: str) -> str:
    start = datetime.fromisoformat(day).replace(tzinfo=reports.report_zone()) + timedelta(days=1)
    return start.isoformat()


def all_links(page: str, table_id: str) -> list[tuple[int, str]]:
    table = page[page.index(f'id="{table_id}"') :]
    table = table[: table.index("</table>")] if "</table>" in table else table
    return [(int(re.sub(r"\D", "", n)), html.unescape(href)) for href, n in _LINK.findall(table)]


def test_the_numbers_link_to_the_lead_list_holding_exactly_those_leads(demo: Demo) -> None:
    page = demo.web.get("/reports?days=180").text
    cells = [
        cell_link(page, "funnel-table", 'data-stage="iql"'),
        cell_link(page, "funnel-table", 'data-stage="mql"'),
        cell_link(page, "funnel-table", 'data-stage="sql"'),
        cell_link(page, "funnel-table", 'data-stage="customer"'),
        *all_links(page, "bought-vs-rest")[:4],
        *all_links(page, "quality-table")[:6],
        *all_links(page, "cost-channel-table")[:3],
        cell_link(page, "contact-handed-off", 'id="contact-handed-off"'),
    ]
    entered = page[page.index('data-stage="mql"') :]
    entered = entered[: entered.index("</tr>")]
    href, number = _LINK.findall(entered)[-1]  # the row's last number: first reached MQL in the period
    cells.append((int(re.sub(r"\D", "", number)), html.unescape(href)))
    assert len(cells) >= 12
    assert any("reached_from=" in link for _, link in cells)
    assert any("bought=" in link for _, link in cells)
    for shown, link in cells:
        assert link.startswith("/leads?"), link
        assert lead_count(demo.web, link) == shown, link
        assert api_count(demo, link) == shown, link


def test_revenue_links_to_the_customers_it_was_won_from(demo: Demo) -> None:
    page = demo.web.get("/reports?days=180").text
    table = page[page.index('id="quality-table"') :]
    money = re.findall(r'<a class="report-num money-link" href="([^"]+)"', table[: table.index("</table>")])
    assert money, "the demo's customers carry won values"
    for href in money:
        link = html.unescape(href)
        assert link.startswith("/leads?") and "reached=customer" in link, link
        customers = lead_count(demo.web, link)
        assert customers > 0 and api_count(demo, link) == customers, link


def test_team_and_owner_filters_carry_over_to_the_lead_list(demo: Demo) -> None:
    with unit_of_work(demo.url) as s:
        team_id = s.query(Team.id).order_by(Team.id).limit(1).scalar()
    page = demo.web.get(f"/reports?days=180&team={team_id}").text
    shown, link = cell_link(page, "funnel-table", 'data-stage="mql"')
    assert f"team={team_id}" in link
    assert 0 < shown == lead_count(demo.web, link) == api_count(demo, link)
    listed = demo.web.get(link).text
    assert 'id="drill-filters"' in listed
    assert f'<input type="hidden" name="team" value="{team_id}">' in listed


def test_time_to_first_contact_shows_on_the_dashboard_and_in_the_exports(demo: Demo) -> None:
    page = demo.web.get("/reports?days=180").text
    table = page[page.index('id="contact-table"') :]
    for band in ("within_1h", "within_24h", "within_3d", "later", "not_yet"):
        assert f'data-band="{band}"' in table
    assert "Cuộc gọi đầu tiên" in table
    exported = demo.web.get("/reports/export.csv?days=180&lang=en").text
    assert "Time to first contact" in exported
    assert "Not called yet" in exported
