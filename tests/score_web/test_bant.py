"""BANT on the lead page and the team's criteria, on SQLite and PostgreSQL: "why this score" shown, BANT
saved with errors in place, an SQL that meets the bar converted to an Opportunity, and each person's reach."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import select

from pheu.db import unit_of_work
from pheu.lifecycle import Stage
from pheu.services import stages
from pheu.services.users import principal_for
from pheu.store import BantCriteriaRow, Lead, LeadBant, User
from tests.conftest import NOW
from tests.score_web.conftest import Login, Scored

HTMX = {"HX-Request": "true"}
READY = {
    "budget_amount_minor": "50.000.000",
    "budget_level": "",
    "authority": "decision_maker",
    "need": "Cần phần mềm bán hàng đa kênh",
    "need_level": "high",
    "timing_window": "within_1_month",
    "timing_date": "",
    "notes": "",
}


def _bant(url: str, lead_id: int) -> LeadBant | None:
    with unit_of_work(url) as session:
        row = session.scalar(select(LeadBant).where(LeadBant.lead_id == lead_id))
        if row is not None:
            session.expunge(row)
        return row


def _stage(url: str, lead_id: int) -> str:
    with unit_of_work(url) as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None
        return lead.stage


def test_the_lead_page_explains_the_score_and_what_would_move_it(scored: Scored, login: Login) -> None:
    rep = login("rep1@pheu.test")
    page = rep.get(f"/leads/{scored.pipeline.anh_id}")
    assert page.status_code == 200
    assert 'id="score-card"' in page.text and 'id="bant-card"' in page.text
    assert 'data-rule="nguoi-quyet-dinh"' in page.text and 'data-rule="mo-email"' in page.text
    assert 'id="why-fit">25<' in page.text  # a director with a phone and a company
    assert re.search(r"cần thêm [\d,]+ điểm \(đang có [\d,]+, cần 40\)", page.text)  # the email open fades
    english = rep.get(f"/leads/{scored.pipeline.anh_id}?lang=en").text
    assert "Why this score" in english and re.search(r"needs [\d.]+ more points \([\d.]+ of 40\)", english)


def test_a_rep_saves_bant_and_sees_errors_in_place(scored: Scored, login: Login) -> None:
    rep = login("rep1@pheu.test")
    anh = scored.pipeline.anh_id
    token = {"csrf_token": rep.csrf}  # type: ignore[attr-defined]
    wrong = rep.post(
        f"/leads/{anh}/bant", data={**token, **READY, "budget_amount_minor": "năm chục triệu"}, headers=HTMX
    )
    assert wrong.status_code == 200
    assert 'id="budget_amount_minor-error"' in wrong.text and 'value="năm chục triệu"' in wrong.text
    assert _bant(scored.url, anh) is None
    saved = rep.post(f"/leads/{anh}/bant", data={**token, **READY}, headers=HTMX)
    assert saved.status_code == 200 and "HX-Trigger" in saved.headers
    assert 'id="bant-met"' in saved.text and 'hx-swap-oob="true"' in saved.text
    record = _bant(scored.url, anh)
    assert record is not None
    assert (record.budget_amount_minor, record.budget_currency, record.authority) == (
        50_000_000,
        "VND",
        "decision_maker",
    )
    assert (record.need_level, record.timing_window) == ("high", "within_1_month")
    assert 'id="convert-submit"' not in saved.text  # an IQL is not converted, whatever its BANT


def test_another_rep_cannot_reach_the_lead_score_or_bant(scored: Scored, login: Login) -> None:
    rep2 = login("rep2@pheu.test")
    anh = scored.pipeline.anh_id
    assert rep2.get(f"/leads/{anh}").status_code == 404
    token = {"csrf_token": rep2.csrf}  # type: ignore[attr-defined]
    assert rep2.post(f"/leads/{anh}/bant", data={**token, **READY}, headers=HTMX).status_code == 404
    deal = {**token, "amount_minor": "1000", "expected_close_date": "2099-01-01"}
    assert rep2.post(f"/leads/{anh}/opportunity", data=deal).status_code == 404
    assert _bant(scored.url, anh) is None
    assert rep2.post(f"/leads/{anh}/bant", data=READY, headers=HTMX).status_code == 403  # no CSRF token


def test_an_sql_that_meets_the_criteria_converts_to_an_opportunity(scored: Scored, login: Login) -> None:
    anh = scored.pipeline.anh_id
    with unit_of_work(scored.url) as session:
        admin = principal_for(session.scalars(select(User).where(User.email == "admin@pheu.test")).one())
        stages.move_stage(session, admin, anh, Stage.SQL, reason="Hẹn demo", now=NOW)
    rep = login("rep1@pheu.test")
    token = {"csrf_token": rep.csrf}  # type: ignore[attr-defined]
    before = rep.get(f"/leads/{anh}").text
    assert 'id="convert-submit"' not in before
    saved = rep.post(f"/leads/{anh}/bant", data={**token, **READY}, headers=HTMX)
    assert 'id="convert-submit"' in saved.text
    past = (date.today() - timedelta(days=3)).isoformat()
    refused = rep.post(
        f"/leads/{anh}/opportunity",
        data={**token, "amount_minor": "120000000", "expected_close_date": past},
        headers=HTMX,
    )
    assert refused.status_code == 200 and 'id="deal-error"' in refused.text
    assert _stage(scored.url, anh) == Stage.SQL.value
    close = (date.today() + timedelta(days=30)).isoformat()
    done = rep.post(
        f"/leads/{anh}/opportunity",
        data={
            **token,
            "amount_minor": "120.000.000",
            "expected_close_date": close,
            "reason": "Duyệt ngân sách",
        },
        headers=HTMX,
    )
    assert done.status_code == 204 and done.headers["HX-Redirect"] == f"/leads/{anh}"
    assert _stage(scored.url, anh) == Stage.OPPORTUNITY.value
    record = _bant(scored.url, anh)
    assert record is not None
    assert (record.opportunity_amount_minor, record.expected_close_date) == (
        120_000_000,
        date.fromisoformat(close),
    )


def test_sales_managers_set_the_criteria_and_others_only_read_them(scored: Scored, login: Login) -> None:
    manager = login("manager@pheu.test")
    form = {"csrf_token": manager.csrf, "min_budget_minor": "20.000.000", "min_budget_level": "",  # type: ignore[attr-defined]
            "authority": ["decision_maker", "influencer"], "min_need_level": "", "timing_within": "within_6_months"}  # fmt: skip
    wrong = manager.post("/scoring/bant", data={**form, "min_budget_minor": "nhiều"})
    assert wrong.status_code == 422 and 'id="min_budget_minor-error"' in wrong.text
    saved = manager.post("/scoring/bant", data=form)
    assert saved.status_code == 303, re.findall(r"invalid-feedback[^>]*>([^<]*)", saved.text)
    with unit_of_work(scored.url) as session:
        row = session.get(BantCriteriaRow, 1)
        assert row is not None
        assert (row.min_budget_minor, row.authority, row.min_need_level, row.timing_within) == (
            20_000_000, ["decision_maker", "influencer"], None, "within_6_months",
        )  # fmt: skip
    marketer = login("marketer@pheu.test")
    page = marketer.get("/scoring/bant")
    assert page.status_code == 200 and 'id="criteria-view"' in page.text and "criteria-form" not in page.text
    refused = marketer.post("/scoring/bant", data={**form, "csrf_token": marketer.csrf})  # type: ignore[attr-defined]
    assert refused.status_code == 403
