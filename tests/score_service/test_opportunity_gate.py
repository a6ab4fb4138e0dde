"""No path turns an SQL into an Opportunity without the team's BANT criteria, on SQLite and PostgreSQL: the
stage-move service, the API's stage endpoint, the lead page's stage card (and the board, which posts there),
and the Opportunity endpoint. Each refusal lists what is missing, in the caller's language."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from pheu.auth.roles import Principal, Role
from pheu.db import unit_of_work
from pheu.lifecycle import Stage
from pheu.services import scoring_bant, stages
from pheu.services.scoring_bant import BantPatch, OpportunityNotReady
from pheu.store import Lead, StageChange
from pheu.web.app import create_app
from tests.conftest import NOW
from tests.factories import add_channels, add_user, api_token
from tests.score_service.helpers import director, meet_bant
from tests.web.conftest import Pipeline, build_pipeline, log_in

READY = {
    "authority": "decision_maker",
    "need": "Cần phần mềm bán hàng cho 3 chi nhánh",
    "need_level": "high",
    "timing_window": "within_1_month",
    "opportunity_amount_minor": 120_000_000,
    "expected_close_date": (NOW + timedelta(days=30)).date(),
}


def _sql_lead(url: str, owner: Principal | None) -> int:
    lead_id = director(url, owner)
    with unit_of_work(url) as s:
        stages.move_stage(s, None, lead_id, Stage.SQL, reason="Hẹn demo", now=NOW)
    return lead_id


def _record(url: str, lead_id: int, **fields: object) -> None:
    with unit_of_work(url) as s:
        scoring_bant.update(s, None, lead_id, BantPatch.model_validate(fields), NOW)


def _state(url: str, lead_id: int) -> tuple[str, int]:
    """The lead's stage and how many moves it has: a refusal changes neither."""
    with unit_of_work(url) as s:
        lead = s.get(Lead, lead_id)
        assert lead is not None
        count = s.scalar(select(func.count()).select_from(StageChange).where(StageChange.lead_id == lead_id))
        return lead.stage, int(count or 0)


def test_the_stage_move_service_refuses_an_sql_without_bant_and_lists_every_gap(db_url: str) -> None:
    add_channels(db_url)
    rep = add_user(db_url, "rep@x.vn", Role.SALES_REP, NOW)
    lead_id = _sql_lead(db_url, rep)
    before = _state(db_url, lead_id)
    for principal in (rep, None):  # the rep at the card, and the system (imports, automations)
        with unit_of_work(db_url) as s, pytest.raises(OpportunityNotReady) as refused:
            stages.move_stage(s, principal, lead_id, Stage.OPPORTUNITY, reason="", now=NOW)
        assert refused.value.code == "opportunity_not_ready" and refused.value.status == 422
        parts = [g.part for g in refused.value.gaps]
        assert parts == ["authority", "need", "timing", "amount", "close_date"]
        assert "needs the expected close date" in refused.value.message
        assert "cần ngày dự kiến chốt" in refused.value.localized("vi")
        assert refused.value.localized("vi").startswith("Lead chưa thể thành Cơ hội")
        assert refused.value.localized("en").endswith("needs the expected close date.")
    assert _state(db_url, lead_id) == before
    _record(db_url, lead_id, **{**READY, "timing_window": "later"})  # all but the timing
    with unit_of_work(db_url) as s, pytest.raises(OpportunityNotReady) as refused:
        stages.move_stage(s, rep, lead_id, Stage.OPPORTUNITY, reason="", now=NOW)
    assert [g.part for g in refused.value.gaps] == ["timing"]
    assert _state(db_url, lead_id) == before
    _record(db_url, lead_id, timing_window="within_3_months")
    with unit_of_work(db_url) as s:
        change = stages.move_stage(s, rep, lead_id, Stage.OPPORTUNITY, reason="BANT đạt", now=NOW)
        assert (change.from_stage, change.to_stage) == ("sql", "opportunity")


def test_the_bar_is_the_teams_criteria_not_a_fixed_one(db_url: str) -> None:
    add_channels(db_url)
    manager = add_user(db_url, "sep@x.vn", Role.SALES_MANAGER, NOW)
    lead_id = _sql_lead(db_url, None)
    _record(db_url, lead_id, **{**READY, "authority": "influencer"})
    with unit_of_work(db_url) as s, pytest.raises(OpportunityNotReady) as refused:
        stages.move_stage(s, None, lead_id, Stage.OPPORTUNITY, reason="", now=NOW)
    assert [g.part for g in refused.value.gaps] == ["authority"]
    with unit_of_work(db_url) as s:
        scoring_bant.set_criteria(
            s, manager, scoring_bant.CriteriaIn(authority=["decision_maker", "influencer"]), NOW
        )
    with unit_of_work(db_url) as s:
        stages.move_stage(s, None, lead_id, Stage.OPPORTUNITY, reason="", now=NOW)
    assert _state(db_url, lead_id)[0] == "opportunity"


@pytest.fixture
def api(db_url: str) -> Iterator[tuple[TestClient, str, Principal]]:
    add_channels(db_url)
    rep = add_user(db_url, "rep1@x.vn", Role.SALES_REP, NOW)
    with TestClient(create_app(db_url)) as client:
        yield client, api_token(db_url, "rep1@x.vn", ["leads:read", "leads:write"], NOW), rep


def test_the_api_stage_endpoint_is_held_to_the_same_bar(
    db_url: str, api: tuple[TestClient, str, Principal]
) -> None:
    client, token, rep = api
    lead_id = _sql_lead(db_url, rep)
    before = _state(db_url, lead_id)
    auth = {"Authorization": f"Bearer {token}"}
    r = client.post(f"/api/v1/leads/{lead_id}/stage", json={"stage": "opportunity"}, headers=auth)
    assert r.status_code == 422, r.text
    body = r.json()
    assert r.headers["content-type"].startswith("application/problem+json")
    assert body["code"] == "opportunity_not_ready" and body["status"] == 422
    assert "needs the opportunity amount" in body["detail"] and "authority" in body["detail"]
    assert body["errors"][0]["field"] == "bant"
    assert _state(db_url, lead_id) == before
    meet_bant(db_url, lead_id)
    r = client.post(f"/api/v1/leads/{lead_id}/stage", json={"stage": "opportunity"}, headers=auth)
    assert r.status_code == 201, r.text
    assert r.json()["to_stage"] == "opportunity"


@pytest.fixture
def pipeline(db_url: str) -> Pipeline:
    return build_pipeline(db_url)


@pytest.mark.parametrize(("lang", "expected"), [("vi", "chưa đạt tiêu chí BANT"), ("en", "BANT criteria")])
def test_the_stage_card_and_the_board_show_the_gaps_in_the_persons_language(
    pipeline: Pipeline, lang: str, expected: str
) -> None:
    with unit_of_work(pipeline.url) as s:
        stages.move_stage(s, None, pipeline.anh_id, Stage.SQL, reason="Hẹn demo", now=NOW)
    before = _state(pipeline.url, pipeline.anh_id)
    with TestClient(create_app(pipeline.url), follow_redirects=False) as client:
        token = log_in(client, "rep1@pheu.test")
        headers = {"HX-Request": "true", "X-CSRF-Token": token}
        gap = "cần ngày dự kiến chốt" if lang == "vi" else "needs the expected close date"
        for extra in ({}, {"board": "sales"}):
            r = client.post(
                f"/leads/{pipeline.anh_id}/stage?lang={lang}",
                data={"stage": "opportunity", **extra},
                headers=headers,
            )
            shown = r.text + r.headers.get("HX-Trigger", "").encode().decode("unicode_escape")
            assert expected in shown and gap in shown, shown[-2000:]
        assert _state(pipeline.url, pipeline.anh_id) == before
        _record(pipeline.url, pipeline.anh_id, **READY)
        r = client.post(f"/leads/{pipeline.anh_id}/stage", data={"stage": "opportunity"}, headers=headers)
        assert r.status_code == 200
    assert _state(pipeline.url, pipeline.anh_id)[0] == "opportunity"
