"""Campaign costs: typed in, imported from Facebook Ads Manager and Google Ads exports (matched by name or
utm_campaign, unmatched rows reported, a bad file writing nothing), on SQLite and PostgreSQL; and the page."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from pheu.auth.roles import Principal, Role
from pheu.db import unit_of_work
from pheu.services import costs
from pheu.services.costs import CostFileInvalid, parse_amount
from pheu.services.errors import Forbidden
from pheu.store import Campaign, CampaignCost, Channel
from tests.conftest import NOW
from tests.factories import add_user

FACEBOOK = """Reporting starts,Reporting ends,Campaign name,Day,Amount spent (VND),Results
2026-03-01,2026-03-01,Tết 2027 – Ưu đãi sớm,2026-03-01,"1,250,000",12
2026-03-01,2026-03-01,tet 2027 - uu dai som,2026-03-01,"250,000",3
2026-03-02,2026-03-02,Tết 2027 – Ưu đãi sớm,2026-03-02,"980,500",9
2026-03-02,2026-03-02,Chiến dịch không có trong Phễu,2026-03-02,"400,000",2
,,,,"2,880,500",26
"""
GOOGLE = """Campaign performance report
"1 March 2026 - 2 March 2026"
Campaign,Day,Currency code,Cost,Impr.
search-crm,2026-03-01,USD,12.50,1000
search-crm,2026-03-02,USD,7.25,800
Total: Account,,USD,19.75,1800
"""


@pytest.fixture
def marketer(db_url: str) -> Principal:
    return add_user(db_url, "ha@x.vn", Role.MARKETING, NOW)


@pytest.fixture
def campaigns(db_url: str, marketer: Principal) -> str:
    with unit_of_work(db_url) as s:
        fb = Channel(code="facebook_ads", name="Facebook Ads", paid=True)
        google = Channel(code="google_ads", name="Google Ads", paid=True)
        s.add_all([fb, google])
        s.flush()
        s.add(
            Campaign(name="Tết 2027 – Ưu đãi sớm", channel_id=fb.id, utm_campaign="tet-2027", created_at=NOW)
        )
        s.add(Campaign(name="Google Search – CRM", channel_id=google.id, utm_campaign="search-crm",
                       currency="USD", created_at=NOW))  # fmt: skip
    return db_url


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def stored(url: str) -> dict[tuple[str, date], tuple[int, str]]:
    with unit_of_work(url) as s:
        rows = s.execute(
            select(Campaign.name, CampaignCost.day, CampaignCost.amount_minor, CampaignCost.currency).join(
                Campaign, Campaign.id == CampaignCost.campaign_id
            )
        )
        return {(name, day): (amount, currency) for name, day, amount, currency in rows}


def test_a_facebook_export_lands_by_campaign_name_and_reports_the_unknown_campaign(
    marketer: Principal, campaigns: str, tmp_path: Path
) -> None:
    with unit_of_work(campaigns) as s:
        result = costs.import_costs(s, marketer, write(tmp_path, "fb.csv", FACEBOOK), now=NOW)
    assert (result.source, result.rows_read, result.created, result.totals_skipped) == ("facebook", 5, 2, 1)
    assert [(p.line, p.campaign, p.code) for p in result.unmatched] == [
        (5, "Chiến dịch không có trong Phễu", "unknown_campaign")
    ]
    assert stored(campaigns) == {
        ("Tết 2027 – Ưu đãi sớm", date(2026, 3, 1)): (1_500_000, "VND"),  # two breakdown rows add up
        ("Tết 2027 – Ưu đãi sớm", date(2026, 3, 2)): (980_500, "VND"),
    }


def test_a_google_ads_export_lands_by_utm_campaign_in_its_currency_and_a_reimport_replaces(
    marketer: Principal, campaigns: str, tmp_path: Path
) -> None:
    path = write(tmp_path, "google.csv", GOOGLE)
    with unit_of_work(campaigns) as s:
        first = costs.import_costs(s, marketer, path, now=NOW)
    with unit_of_work(campaigns) as s:
        again = costs.import_costs(s, marketer, path, now=NOW)
    assert (first.source, first.created, first.replaced, first.unmatched) == ("google", 2, 0, ())
    assert (again.created, again.replaced) == (0, 2)
    assert stored(campaigns) == {
        ("Google Search – CRM", date(2026, 3, 1)): (1250, "USD"),
        ("Google Search – CRM", date(2026, 3, 2)): (725, "USD"),
    }


@pytest.mark.parametrize(
    "text",
    [
        "Campaign name,Day,Amount spent (VND)\nTết 2027 – Ưu đãi sớm,2026-03-01,100000\n"
        "Tết 2027 – Ưu đãi sớm,not a day,200000\n",
        "Campaign name,Day,Amount spent (VND)\nTết 2027 – Ưu đãi sớm,2026-03-01,-5\n",
        "Campaign name,Reporting starts,Reporting ends,Amount spent (VND)\n"
        "Tết 2027 – Ưu đãi sớm,2026-03-01,2026-03-31,100000\n",
        "Name,Email\nAnh,anh@example.vn\n",
    ],
    ids=["bad day", "negative amount", "several days in a row", "not a cost file"],
)
def test_a_bad_file_writes_nothing_and_says_why(
    marketer: Principal, campaigns: str, tmp_path: Path, text: str
) -> None:
    with pytest.raises(CostFileInvalid) as refused, unit_of_work(campaigns) as s:
        costs.import_costs(s, marketer, write(tmp_path, "bad.csv", text), now=NOW)
    assert refused.value.message
    with unit_of_work(campaigns) as s:
        assert s.scalar(select(func.count()).select_from(CampaignCost)) == 0


def test_a_day_typed_in_is_replaced_when_typed_again_and_sales_cannot_touch_costs(
    marketer: Principal, campaigns: str
) -> None:
    with unit_of_work(campaigns) as s:
        campaign_id = s.scalar(select(Campaign.id).where(Campaign.utm_campaign == "tet-2027"))
        assert campaign_id is not None
        _, created = costs.set_cost(s, marketer, campaign_id=campaign_id, day=date(2026, 3, 1),
                                    amount_minor=100, currency=None, now=NOW)  # fmt: skip
    with unit_of_work(campaigns) as s:
        cost, again = costs.set_cost(s, marketer, campaign_id=campaign_id, day=date(2026, 3, 1),
                                     amount_minor=300, currency="vnd", now=NOW)  # fmt: skip
    assert (created, again, cost.amount_minor, cost.currency) == (True, False, 300, "VND")
    rep = Principal(user_id=9, name="Rep", role=Role.SALES_REP)
    with pytest.raises(Forbidden), unit_of_work(campaigns) as s:
        costs.list_costs(s, rep)


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [("1.234.567", "VND", 1_234_567), ("1,234,567 ₫", "VND", 1_234_567), ("12.50", "USD", 1250),
     ("12,5", "USD", 1250), ("1.234,56", "EUR", 123_456), ("--", "VND", 0), ("1234567.00", "VND", 1_234_567)],
)  # fmt: skip
def test_amounts_are_read_as_people_and_exports_write_them(text: str, currency: str, minor: int) -> None:
    assert parse_amount(text, currency) == minor


def test_the_costs_page_enters_and_imports_spend_for_marketing(
    marketing: TestClient, demo_url: str, tmp_path: Path
) -> None:
    with unit_of_work(demo_url) as s:
        campaign = s.scalars(select(Campaign).order_by(Campaign.id)).first()
        assert campaign is not None
        name, campaign_id = campaign.name, campaign.id
    token = marketing.csrf  # type: ignore[attr-defined]
    typed = marketing.post(
        "/costs",
        data={"campaign_id": str(campaign_id), "day": "2020-01-02", "amount": "1.500.000",
              "currency": "VND", "csrf_token": token},
    )  # fmt: skip
    assert typed.status_code == 303
    assert "1.500.000\xa0₫" in marketing.get("/costs?from=2020-01-02&to=2020-01-02").text
    body = f"Campaign name,Day,Amount spent (VND)\n{name},2020-01-03,200000\nKhông có,2020-01-03,5\n"
    imported = marketing.post(
        "/costs/import", data={"csrf_token": token}, files={"file": ("fb.csv", body.encode(), "text/csv")}
    )
    assert imported.status_code == 200
    assert 'id="import-result"' in imported.text
    assert 'id="unmatched"' in imported.text and "Không có" in imported.text
    refused = marketing.post(
        "/costs/import",
        data={"csrf_token": token},
        files={"file": ("x.csv", b"Name,Email\nA,a@b.vn\n", "text/csv")},
    )
    assert refused.status_code == 400
    assert 'id="import-refused"' in refused.text
