"""The report and cost API on SQLite and PostgreSQL: keys, scopes and roles."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from pheu.auth.roles import Role
from pheu.db import unit_of_work
from pheu.store import Campaign
from pheu.web.app import create_app
from tests.conftest import NOW
from tests.factories import add_channels, add_lead, add_user, api_token


@dataclass
class Keys:
    client: TestClient
    admin: str
    marketing_read: str
    marketing_admin: str
    manager_admin: str
    rep: str
    campaign_id: int


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def keys(db_url: str) -> Iterator[Keys]:
    add_channels(db_url)
    with unit_of_work(db_url) as s:
        campaign = Campaign(name="Tết", channel_id=1, utm_campaign="tet", created_at=NOW)
        s.add(campaign)
        s.flush()
        campaign_id = campaign.id
    add_user(db_url, "admin@x.vn", Role.ADMIN, NOW)
    add_user(db_url, "mkt@x.vn", Role.MARKETING, NOW)
    add_user(db_url, "boss@x.vn", Role.SALES_MANAGER, NOW)
    rep = add_user(db_url, "rep@x.vn", Role.SALES_REP, NOW)
    add_lead(db_url, rep, NOW, full_name="Anh", email="anh@x.vn", channel="facebook_ads")
    with TestClient(create_app(db_url)) as client:
        yield Keys(
            client=client,
            admin=api_token(db_url, "admin@x.vn", ["leads:read", "admin"], NOW),
            marketing_read=api_token(db_url, "mkt@x.vn", ["leads:read"], NOW),
            marketing_admin=api_token(db_url, "mkt@x.vn", ["admin"], NOW),
            manager_admin=api_token(db_url, "boss@x.vn", ["admin"], NOW),
            rep=api_token(db_url, "rep@x.vn", ["leads:read", "leads:write"], NOW),
            campaign_id=campaign_id,
        )


def test_the_summary_needs_a_key_and_answers_the_report_json(keys: Keys) -> None:
    assert keys.client.get("/api/v1/reports/summary").status_code == 401
    r = keys.client.get(
        "/api/v1/reports/summary",
        params={"from": "2026-11-01", "to": "2026-11-30", "channel": "facebook_ads"},
        headers=auth(keys.marketing_read),
    )
    assert r.status_code == 200, r.text
    data = r.json()
    assert {"funnel", "rates", "times", "spend", "channel_quality", "previous_period", "filters"} <= set(data)
    assert data["period"]["from"] == "2026-11-01"
    assert data["filters"]["channels"] == ["facebook_ads"]
    assert data["funnel"]["cohort"][0]["leads"] == 1


def test_the_summary_refuses_sales_reps_and_bad_input(keys: Keys) -> None:
    assert keys.client.get("/api/v1/reports/summary", headers=auth(keys.rep)).status_code == 403
    unknown = keys.client.get(
        "/api/v1/reports/summary", params={"channel": "myspace"}, headers=auth(keys.admin)
    )
    assert unknown.status_code == 422
    assert unknown.headers["content-type"].startswith("application/problem+json")
    backwards = keys.client.get(
        "/api/v1/reports/summary", params={"from": "2026-03-31", "to": "2026-03-01"}, headers=auth(keys.admin)
    )
    assert backwards.status_code == 422


def test_costs_are_written_with_the_admin_scope_by_admin_or_marketing_only(keys: Keys) -> None:
    body = {"campaign_id": keys.campaign_id, "day": "2026-11-20", "amount_minor": 1_500_000}
    assert keys.client.post("/api/v1/costs", json=body, headers=auth(keys.marketing_read)).status_code == 403
    assert keys.client.post("/api/v1/costs", json=body, headers=auth(keys.manager_admin)).status_code == 403
    created = keys.client.post("/api/v1/costs", json=body, headers=auth(keys.marketing_admin))
    assert created.status_code == 201, created.text
    assert created.json()["currency"] == "VND"
    replaced = keys.client.post(
        "/api/v1/costs", json={**body, "amount_minor": 2_000_000}, headers=auth(keys.admin)
    )
    assert replaced.status_code == 200
    listed = keys.client.get("/api/v1/costs", headers=auth(keys.admin)).json()["items"]
    assert [(c["day"], c["amount_minor"]) for c in listed] == [("2026-11-20", 2_000_000)]
    assert keys.client.get("/api/v1/costs", headers=auth(keys.rep)).status_code == 403
    bad = keys.client.post("/api/v1/costs", json={**body, "currency": "XYZ"}, headers=auth(keys.admin))
    assert bad.status_code == 422
    gone = keys.client.delete(f"/api/v1/costs/{listed[0]['id']}", headers=auth(keys.admin))
    assert gone.status_code == 204
    assert keys.client.get("/api/v1/costs", headers=auth(keys.admin)).json()["items"] == []


def test_the_lead_list_takes_the_report_filters_and_refuses_a_stage_outside_the_funnel(keys: Keys) -> None:
    listed = keys.client.get(
        "/api/v1/leads",
        params={"reached": "iql", "bought_list": "false", "created_from": "2026-11-01T00:00:00"},
        headers=auth(keys.admin),
    )
    assert listed.status_code == 200, listed.text
    assert [lead["full_name"] for lead in listed.json()["items"]] == ["Anh"]
    nobody = keys.client.get("/api/v1/leads", params={"reached": "mql"}, headers=auth(keys.admin))
    assert nobody.json()["items"] == []
    lost = keys.client.get("/api/v1/leads", params={"reached": "lost"}, headers=auth(keys.admin))
    assert lost.status_code == 422
    assert lost.headers["content-type"].startswith("application/problem+json")
