from __future__ import annotations

from datetime import timedelta

from pheu.lifecycle import ActorType, LeadKind, Stage
from pheu.score.engine import score
from pheu.score.facts import EventFact, LeadFacts
from pheu.score.model import ScoringModel
from pheu.score.stages import Proposal, next_gaps, next_stage, what_next
from tests.score.builders import AT, event, lead, small_model

MODEL = (
    small_model()
)  # fit 15 for a director of a 10-49 company; MQL at 10 with consent, SQL at 30 + pricing/call


def _propose(
    facts: LeadFacts,
    history: list[EventFact],
    current: Stage,
    manual_at_days_ago: float | None = None,
    model: ScoringModel = MODEL,
) -> Proposal | None:
    manual = None if manual_at_days_ago is None else AT - timedelta(days=manual_at_days_ago)
    return next_stage(model, facts, score(model, facts, history, AT), current, manual, AT)


def test_lead_moves_to_mql_when_score_crosses_threshold() -> None:
    proposal = _propose(lead(), [event("email_open", 0)], Stage.IQL)
    assert proposal is not None and proposal.target is Stage.MQL
    assert proposal.move.actor.type is ActorType.MODEL and proposal.move.actor.label == "thu v1"
    assert proposal.move.from_stage is Stage.IQL and proposal.move.at == AT
    assert (
        proposal.reason_vi
        == "Mô hình thu v1: điểm 18 ≥ 10; có email hoặc số điện thoại; đã đồng ý nhận email"
    )
    assert proposal.reason_en.startswith("Model thu v1: score 18 ≥ 10; email or phone known")


def test_a_lead_ready_for_sql_skips_mql() -> None:
    history = [event("pricing_page_view", 1), event("pricing_page_view", 0.5)]
    proposal = _propose(lead(), history, Stage.IQL)
    assert proposal is not None and proposal.target is Stage.SQL


def test_no_move_without_consent_or_below_the_threshold() -> None:
    assert _propose(lead(consents={}), [event("email_open", 0)], Stage.IQL) is None
    assert _propose(lead(job_title=None, company_size=None), [event("page_view", 0)], Stage.IQL) is None


def test_the_model_never_moves_backwards_or_past_sql() -> None:
    quiet = lead(job_title=None, company_size=None)
    assert _propose(quiet, [], Stage.MQL) is None  # score 0, still left in MQL
    hot = [event("pricing_page_view", 0), event("pricing_page_view", 1)]
    for stage in (Stage.SQL, Stage.OPPORTUNITY, Stage.CUSTOMER, Stage.LOST, Stage.DISQUALIFIED):
        assert _propose(lead(), hot, stage) is None
    assert _propose(lead(), [event("email_open", 0)], Stage.MQL) is None  # already there


def test_recruitment_leads_are_never_touched() -> None:
    applicant = lead(kind=LeadKind.RECRUITMENT)
    assert _propose(applicant, [event("pricing_page_view", 0)] * 3, Stage.IQL) is None
    assert _propose(applicant, [event("pricing_page_view", 0)] * 3, Stage.APPLICANT) is None
    assert what_next(MODEL, applicant, score(MODEL, applicant, [], AT), Stage.APPLICANT) == []


def test_a_manual_move_back_is_respected_until_new_evidence_arrives() -> None:
    history = [event("pricing_page_view", 5), event("pricing_page_view", 4)]
    # Sales sent the SQL-ready lead back to MQL two days ago; nothing new since: the model leaves it.
    assert _propose(lead(), history, Stage.MQL, manual_at_days_ago=2) is None
    # A penalty is not evidence of interest.
    assert score(MODEL, lead(), [*history, event("bounce", 1)], AT).last_evidence_at == AT - timedelta(days=4)
    # An event no rule rewards is not evidence either.
    assert _propose(lead(), [*history, event("form_submit", 1)], Stage.MQL, manual_at_days_ago=2) is None
    # The lead comes back to the pricing page: the model may move it on again.
    proposal = _propose(lead(), [*history, event("pricing_page_view", 1)], Stage.MQL, manual_at_days_ago=2)
    assert proposal is not None and proposal.target is Stage.SQL


def test_an_event_in_the_same_second_as_the_manual_move_is_not_new() -> None:
    history = [event("pricing_page_view", 5), event("pricing_page_view", 2)]
    assert _propose(lead(), history, Stage.MQL, manual_at_days_ago=2) is None


def test_what_next_lists_the_missing_points_and_conditions() -> None:
    facts = lead(job_title=None, company_size=None, consents={})
    result = score(MODEL, facts, [event("page_view", 0)], AT)
    assert what_next(MODEL, facts, result, Stage.IQL) == [
        "cần thêm 8 điểm (đang có 2, cần 10)",
        "cần đồng ý nhận email",
    ]
    assert what_next(MODEL, facts, result, Stage.IQL, lang="en") == [
        "needs 8 more points (2 of 10)",
        "needs consent to marketing email",
    ]


def test_what_next_for_an_mql_names_the_sql_evidence() -> None:
    facts = lead()
    result = score(MODEL, facts, [event("email_open", 0), event("page_view", 0)], AT)
    stage, gaps = next_gaps(MODEL, facts, result, Stage.MQL)
    assert stage is Stage.SQL
    assert [g.code for g in gaps] == ["points", "has_event"]
    assert gaps[0].vi == "cần thêm 10 điểm (đang có 20, cần 30)"
    assert gaps[1].vi == "cần xem bảng giá hoặc cuộc gọi trong 30 ngày qua"


def test_what_next_is_empty_past_sql_and_when_nothing_is_missing() -> None:
    result = score(MODEL, lead(), [event("email_open", 0)], AT)
    assert what_next(MODEL, lead(), result, Stage.SQL) == []
    assert what_next(MODEL, lead(), result, Stage.IQL) == []  # ready for MQL


def test_a_has_event_condition_looks_back_only_within_its_window() -> None:
    old = [event("pricing_page_view", 31), event("pricing_page_view", 31), event("pricing_page_view", 40)]
    result = score(MODEL, lead(), [*old, event("email_open", 0)], AT)
    assert result.total >= 30
    assert "has_event" in [g.code for g in next_gaps(MODEL, lead(), result, Stage.MQL)[1]]
