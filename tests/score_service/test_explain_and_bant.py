""" "Why this score" and BANT on SQLite and PostgreSQL: the contributions and what is missing for the next
stage; BANT recorded per lead within its owner's reach; the Opportunity gate."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from pheu.auth.roles import Principal, Role
from pheu.db import unit_of_work
from pheu.lifecycle import Stage
from pheu.score.bant import Authority, Level, TimingWindow
from pheu.services import scoring_bant, stages
from pheu.services.errors import Forbidden, Invalid, NotFound
from pheu.services.scoring_bant import BantPatch, CriteriaIn, OpportunityIn
from pheu.services.scoring_lead import explain
from tests.conftest import NOW
from tests.factories import add_channels, add_user
from tests.score_service.helpers import director, stored, touch


@pytest.fixture
def people(db_url: str) -> tuple[Principal, Principal, Principal]:
    add_channels(db_url)
    return (
        add_user(db_url, "admin@x.vn", Role.ADMIN, NOW),
        add_user(db_url, "rep1@x.vn", Role.SALES_REP, NOW),
        add_user(db_url, "rep2@x.vn", Role.SALES_REP, NOW),
    )


def test_explain_lists_contributions_after_decay_and_the_gaps_to_the_next_stage(
    db_url: str, people: tuple[Principal, Principal, Principal]
) -> None:
    admin, _, _ = people
    lead_id = director(db_url, admin, consents=[])
    touch(db_url, admin, lead_id, "pricing_page_view", NOW - timedelta(days=21))
    touch(db_url, admin, lead_id, "form_submit", NOW - timedelta(hours=1))
    with unit_of_work(db_url) as s:
        why = explain(s, admin, lead_id, NOW)
    by_rule = {c.rule_id: c for c in why.contributions}
    assert set(by_rule) == {"nguoi-quyet-dinh", "co-so-dien-thoai", "xem-bang-gia", "dien-form"}
    assert by_rule["xem-bang-gia"].points_raw == 8
    assert by_rule["xem-bang-gia"].points_after_decay == 4.0  # one half-life of 21 days later
    assert by_rule["nguoi-quyet-dinh"].label_en == "Decision maker (director, owner)"
    assert why.contributions[0].part == "fit"
    assert (why.fit, why.behaviour, why.negative, why.total) == (20, 14, 0, 34)
    assert why.temperature == "cold"
    assert why.next_stage is Stage.MQL
    assert [g.code for g in why.gaps] == ["points", "has_consent"]
    assert why.gaps[0].en == "needs 6 more points (34 of 40)"
    assert why.gaps[0].vi.startswith("cần thêm 6 điểm")


def test_explain_hides_another_reps_lead(db_url: str, people: tuple[Principal, Principal, Principal]) -> None:
    _, rep1, rep2 = people
    lead_id = director(db_url, rep1)
    with unit_of_work(db_url) as s, pytest.raises(NotFound):
        explain(s, rep2, lead_id, NOW)


def _sql_lead(url: str, admin: Principal, owner: Principal) -> int:
    lead_id = director(url, admin, owner_id=owner.user_id)
    with unit_of_work(url) as s:
        stages.move_stage(s, admin, lead_id, Stage.SQL, reason="Hẹn demo", now=NOW - timedelta(days=1))
    return lead_id


def test_bant_gate_refuses_sql_to_opportunity_until_criteria_are_met(
    db_url: str, people: tuple[Principal, Principal, Principal]
) -> None:
    admin, rep1, _ = people
    lead_id = _sql_lead(db_url, admin, rep1)
    with unit_of_work(db_url) as s, pytest.raises(Invalid) as refused:
        scoring_bant.move_to_opportunity(s, rep1, lead_id, OpportunityIn(), NOW)
    assert refused.value.code == "opportunity_not_ready"
    for part in ("authority", "need", "timing", "amount", "close_date"):
        assert f"{part}:" in refused.value.message
    with unit_of_work(db_url) as s:
        view = scoring_bant.update(
            s,
            rep1,
            lead_id,
            BantPatch(authority=Authority.DECISION_MAKER, need="Quản lý 3 cửa hàng", need_level=Level.HIGH),
            NOW,
        )
        assert [g.part for g in view.gaps] == ["timing"]
    with unit_of_work(db_url) as s, pytest.raises(Invalid) as still:
        scoring_bant.move_to_opportunity(s, rep1, lead_id, OpportunityIn(amount_minor=50_000_000), NOW)
    assert "timing:" in still.value.message
    assert "amount:" not in still.value.message
    with unit_of_work(db_url) as s:
        scoring_bant.update(s, rep1, lead_id, BantPatch(timing_window=TimingWindow.MONTH), NOW)
        change = scoring_bant.move_to_opportunity(
            s, rep1, lead_id, OpportunityIn(expected_close_date=date(2026, 12, 20), reason="BANT đạt"), NOW
        )
        assert (change.from_stage, change.to_stage, change.actor_type) == ("sql", "opportunity", "user")
    assert stored(db_url, lead_id)["stage"] == "opportunity"


def test_the_teams_criteria_decide_what_bant_must_show(
    db_url: str, people: tuple[Principal, Principal, Principal]
) -> None:
    admin, rep1, _ = people
    lead_id = _sql_lead(db_url, admin, rep1)
    with unit_of_work(db_url) as s, pytest.raises(Forbidden):
        scoring_bant.set_criteria(s, rep1, CriteriaIn(), NOW)
    with unit_of_work(db_url) as s:
        scoring_bant.set_criteria(
            s,
            admin,
            CriteriaIn(min_budget_minor=20_000_000, authority=[], min_need_level=None, timing_within=None),
            NOW,
        )
    with unit_of_work(db_url) as s:
        view = scoring_bant.update(s, rep1, lead_id, BantPatch(budget_amount_minor=10_000_000), NOW)
        assert [g.part for g in view.gaps] == ["budget"]
        assert "10.000.000 VND" in view.gaps[0].vi
        view = scoring_bant.update(s, rep1, lead_id, BantPatch(budget_amount_minor=30_000_000), NOW)
        assert view.met
        assert view.record is not None
        assert view.record.budget_currency == "VND"


def test_a_rep_cannot_read_or_write_another_reps_bant(
    db_url: str, people: tuple[Principal, Principal, Principal]
) -> None:
    admin, rep1, rep2 = people
    lead_id = _sql_lead(db_url, admin, rep1)
    with unit_of_work(db_url) as s, pytest.raises(NotFound):
        scoring_bant.view(s, rep2, lead_id, NOW)
    with unit_of_work(db_url) as s, pytest.raises(NotFound):
        scoring_bant.update(s, rep2, lead_id, BantPatch(need="x"), NOW)
