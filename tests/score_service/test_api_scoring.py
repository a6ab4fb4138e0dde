"""The scoring API on SQLite and PostgreSQL: keys, scopes and roles, "why this score", BANT, models, backtest."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from pheu.auth.roles import Role
from pheu.db import unit_of_work
from pheu.lifecycle import Stage
from pheu.score import default_model, to_yaml
from pheu.services import stages
from pheu.web.app import create_app
from tests.conftest import NOW
from tests.factories import add_channels, add_user, api_token
from tests.score_service.helpers import director

ALL = ["leads:read", "leads:write", "events:read", "events:write"]


@dataclass
class Api:
    client: TestClient
    url: str
    admin: str
    marketer: str
    rep1: str
    rep2: str
    reader: str
    rep1_id: int


def h(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}


@pytest.fixture
def api(db_url: str) -> Iterator[Api]:
    add_channels(db_url)
    add_user(db_url, "admin@x.vn", Role.ADMIN, NOW)
    add_user(db_url, "mkt@x.vn", Role.MARKETING, NOW)
    rep1 = add_user(db_url, "rep1@x.vn", Role.SALES_REP, NOW)
    add_user(db_url, "rep2@x.vn", Role.SALES_REP, NOW)
    with TestClient(create_app(db_url)) as client:
        yield Api(
            client,
            db_url,
            api_token(db_url, "admin@x.vn", ALL, NOW),
            api_token(db_url, "mkt@x.vn", ALL, NOW),
            api_token(db_url, "rep1@x.vn", ALL, NOW),
            api_token(db_url, "rep2@x.vn", ALL, NOW),
            api_token(db_url, "admin@x.vn", ["leads:read"], NOW),
            rep1.user_id,
        )


def _rep1_lead(api: Api) -> int:
    r = api.client.post(
        "/api/v1/leads",
        json={"email": "khach@gmail.com", "phone": "0912345678", "job_title": "Giám đốc"},
        headers=h(api.rep1),
    )
    assert r.status_code == 201, r.text
    lead_id = int(r.json()["id"])
    r = api.client.post(
        f"/api/v1/leads/{lead_id}/events",
        json={
            "type": "form_submit",
            "occurred_at": (datetime.now(NOW.tzinfo) - timedelta(minutes=5)).isoformat(),
        },
        headers=h(api.rep1),
    )
    assert r.status_code == 201, r.text
    return lead_id


def test_why_this_score_answers_the_owner_and_hides_the_lead_from_another_rep(api: Api) -> None:
    lead_id = _rep1_lead(api)
    r = api.client.get(f"/api/v1/leads/{lead_id}/score", headers=h(api.rep1))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == 30
    assert body["stored_score"] == 30
    assert body["model"] == "mac-dinh v1"
    assert {c["rule_id"] for c in body["contributions"]} == {
        "nguoi-quyet-dinh",
        "co-so-dien-thoai",
        "dien-form",
    }
    assert body["next_stage"] == "mql"
    assert [g["code"] for g in body["gaps"]] == ["points", "has_consent"]
    other = api.client.get(f"/api/v1/leads/{lead_id}/score", headers=h(api.rep2))
    assert other.status_code == 404
    assert other.headers["content-type"].startswith("application/problem+json")
    assert api.client.get(f"/api/v1/leads/{lead_id}/score").status_code == 401


def test_a_rep_cannot_change_models_and_a_read_key_cannot_write(api: Api) -> None:
    yaml_text = to_yaml(default_model())
    r = api.client.post(
        "/api/v1/scoring/models",
        content=yaml_text,
        headers=h(api.rep1, **{"Content-Type": "application/yaml"}),
    )
    assert r.status_code == 403
    assert r.json()["code"] == "forbidden"
    r = api.client.post(
        "/api/v1/scoring/models",
        content=yaml_text,
        headers=h(api.reader, **{"Content-Type": "application/yaml"}),
    )
    assert r.status_code == 403
    assert "leads:write" in r.json()["detail"]
    assert (
        api.client.post("/api/v1/scoring/backtest", content=yaml_text, headers=h(api.rep1)).status_code == 403
    )
    assert api.client.post("/api/v1/scoring/rescore", headers=h(api.rep1)).status_code == 403


def test_a_marketer_imports_activates_and_lists_models(api: Api) -> None:
    model = default_model()
    from pheu.score.model_yaml import to_dict

    data = to_dict(model)
    data["version"] = 2
    r = api.client.post("/api/v1/scoring/models?activate=true", json=data, headers=h(api.marketer))
    assert r.status_code == 201, r.text
    assert r.json()["model"] == "mac-dinh v2"
    assert r.json()["rescore"]["leads"] == 0
    model_id = r.json()["model_id"]
    assert r.headers["Location"] == f"/api/v1/scoring/models/{model_id}"
    r = api.client.post(
        "/api/v1/scoring/models",
        content=to_yaml(model),
        headers=h(api.admin, **{"Content-Type": "application/yaml"}),
    )
    assert r.status_code == 201
    first_id = r.json()["model_id"]
    listed = api.client.get("/api/v1/scoring/models", headers=h(api.rep1)).json()
    assert [(m["version"], m["active"]) for m in listed] == [(1, False), (2, True)]  # newest first
    r = api.client.post(f"/api/v1/scoring/models/{first_id}/activate", headers=h(api.admin))
    assert r.status_code == 200, r.text
    assert r.json()["model"] == "mac-dinh v1"
    detail = api.client.get(f"/api/v1/scoring/models/{first_id}", headers=h(api.admin)).json()
    assert detail["active"] is True
    assert detail["yaml"].startswith("name: mac-dinh")


def test_an_invalid_model_is_a_problem_naming_the_rule(api: Api) -> None:
    text = to_yaml(default_model()).replace("points: 15", "pionts: 15", 1)
    r = api.client.post(
        "/api/v1/scoring/models", content=text, headers=h(api.admin, **{"Content-Type": "application/yaml"})
    )
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "invalid_model"
    assert "fit rule 'nguoi-quyet-dinh', pionts: unknown setting" in body["detail"]
    bad_json = api.client.post(
        "/api/v1/scoring/models", content="{", headers=h(api.admin, **{"Content-Type": "application/json"})
    )
    assert bad_json.status_code == 422


def test_bant_through_the_api_and_the_opportunity_gate(api: Api) -> None:
    lead_id = _rep1_lead(api)
    with unit_of_work(api.url) as s:
        stages.move_stage(s, None, lead_id, Stage.SQL, reason="Hẹn demo", now=NOW)
    r = api.client.post(f"/api/v1/leads/{lead_id}/opportunity", json={}, headers=h(api.rep1))
    assert r.status_code == 422
    assert r.json()["code"] == "opportunity_not_ready"
    assert api.client.get(f"/api/v1/leads/{lead_id}/bant", headers=h(api.rep2)).status_code == 404
    body = {
        "authority": "decision_maker",
        "need": "Cần phần mềm bán hàng cho 3 chi nhánh",
        "need_level": "high",
        "timing_window": "within_1_month",
        "opportunity_amount_minor": 120_000_000,
    }
    r = api.client.put(f"/api/v1/leads/{lead_id}/bant", json=body, headers=h(api.rep1))
    assert r.status_code == 200, r.text
    assert r.json()["met"] is True
    assert r.json()["opportunity_currency"] == "VND"
    assert r.json()["criteria"]["authority"] == ["decision_maker"]
    r = api.client.put(f"/api/v1/leads/{lead_id}/bant", json={"budget_currency": "đồng"}, headers=h(api.rep1))
    assert r.status_code == 422
    close = (datetime.now(NOW.tzinfo) + timedelta(days=30)).date().isoformat()
    r = api.client.post(
        f"/api/v1/leads/{lead_id}/opportunity", json={"expected_close_date": close}, headers=h(api.rep1)
    )
    assert r.status_code == 201, r.text
    assert r.json()["to_stage"] == "opportunity"


def test_backtest_compares_the_candidate_with_the_active_model(api: Api) -> None:
    director(api.url, None)
    r = api.client.post(
        "/api/v1/scoring/backtest",
        content=to_yaml(default_model()).replace("version: 1", "version: 2"),
        headers=h(api.marketer, **{"Content-Type": "application/yaml"}),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["active"]["model"] == "mac-dinh v1"
    assert body["candidate"]["model"] == "mac-dinh v2"
    assert body["leads"] == 1
    assert body["active"]["roc_auc"] is None  # nobody became a customer: undefined, not an error
