"""The report as CSV and Excel: the same figures as the page, and nothing a spreadsheet would run."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from openpyxl import load_workbook  # type: ignore[import-untyped]
from sqlalchemy import select

from pheu.db import unit_of_work
from pheu.services.reports import report_zone
from pheu.store import Campaign, CampaignCost, Channel

EVIL = '=HYPERLINK("http://evil.example","Bấm vào")'


def add_evil_campaign(url: str) -> None:
    """A campaign whose name a spreadsheet would run as a formula, with spend in the last 30 days."""
    today = datetime.now(UTC).astimezone(report_zone()).date()
    with unit_of_work(url) as s:
        if s.scalar(select(Campaign.id).where(Campaign.name == EVIL)) is not None:
            return
        channel_id = s.scalar(select(Channel.id).where(Channel.code == "facebook_ads"))
        assert channel_id is not None
        campaign = Campaign(name=EVIL, channel_id=channel_id, created_at=datetime.now(UTC))
        s.add(campaign)
        s.flush()
        s.add(CampaignCost(campaign_id=campaign.id, day=today - timedelta(days=1), amount_minor=123_000))


def test_csv_export_escapes_a_value_starting_with_equals(marketing: TestClient, demo_url: str) -> None:
    add_evil_campaign(demo_url)
    response = marketing.get("/reports/export.csv?days=30")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    text = response.content.decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert "'" + EVIL in cells
    assert not any(cell.startswith(("=", "+", "@")) for cell in cells)
    assert "Chi phí theo chiến dịch" in text  # UTF-8, in the reader's language


def test_xlsx_export_escapes_it_too_and_keeps_figures_as_numbers(
    marketing: TestClient, demo_url: str
) -> None:
    add_evil_campaign(demo_url)
    response = marketing.get("/reports/export.xlsx?days=30")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    values = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in values), "no cell may hold a formula"
    assert "'" + EVIL in [cell.value for cell in values]
    funnel = book.worksheets[1]
    assert isinstance(funnel.cell(row=2, column=2).value, int)
    assert funnel.cell(row=2, column=3).number_format == "0.0%"
