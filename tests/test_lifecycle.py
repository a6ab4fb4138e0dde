"""The lifecycle rules as a specification: which moves are allowed and what a refused move says."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pheu.lifecycle import (
    RECRUITMENT_STAGES,
    SALES_MOVES,
    SALES_STAGES,
    Actor,
    ActorType,
    IllegalMove,
    LeadKind,
    Stage,
    allowed_moves,
    initial_stage,
    plan_move,
)

AT = datetime(2026, 11, 26, tzinfo=UTC)
BOT = Actor(ActorType.MODEL, "scoring v1")


def test_sales_leads_start_cold_and_applicants_start_in_recruitment() -> None:
    assert initial_stage(LeadKind.SALES) is Stage.IQL
    assert initial_stage(LeadKind.RECRUITMENT) is Stage.APPLICANT


def test_the_funnel_can_be_walked_from_iql_to_customer() -> None:
    stage = Stage.IQL
    for target in (Stage.MQL, Stage.SQL, Stage.OPPORTUNITY, Stage.CUSTOMER):
        move = plan_move(LeadKind.SALES, stage, target, at=AT, actor=BOT)
        assert (move.from_stage, move.to_stage, move.at, move.actor) == (stage, target, AT, BOT)
        stage = target


def test_customer_is_final() -> None:
    with pytest.raises(IllegalMove) as err:
        plan_move(LeadKind.SALES, Stage.CUSTOMER, Stage.MQL, at=AT, actor=BOT)
    assert err.value.code == "move_not_allowed"
    assert "none" in err.value.message


def test_iql_cannot_jump_to_customer_and_the_message_lists_what_is_allowed() -> None:
    with pytest.raises(IllegalMove) as err:
        plan_move(LeadKind.SALES, Stage.IQL, Stage.CUSTOMER, at=AT, actor=BOT)
    assert err.value.code == "move_not_allowed"
    assert "disqualified, lost, mql, sql" in err.value.message


def test_lost_needs_a_reason_and_keeps_it() -> None:
    with pytest.raises(IllegalMove) as err:
        plan_move(LeadKind.SALES, Stage.SQL, Stage.LOST, at=AT, actor=BOT, reason="   ")
    assert err.value.code == "reason_required"
    move = plan_move(LeadKind.SALES, Stage.SQL, Stage.LOST, at=AT, actor=BOT, reason=" Giá cao ")
    assert move.reason == "Giá cao"


def test_lost_leads_can_be_recycled_to_nurturing() -> None:
    assert plan_move(LeadKind.SALES, Stage.LOST, Stage.MQL, at=AT, actor=BOT).to_stage is Stage.MQL


@pytest.mark.parametrize("target", [Stage.MQL, Stage.SQL, Stage.OPPORTUNITY, Stage.CUSTOMER])
def test_recruitment_leads_never_enter_the_sales_funnel(target: Stage) -> None:
    with pytest.raises(IllegalMove) as err:
        plan_move(LeadKind.RECRUITMENT, Stage.APPLICANT, target, at=AT, actor=BOT)
    assert err.value.code == "recruitment_not_sales"


def test_sales_leads_never_enter_recruitment() -> None:
    with pytest.raises(IllegalMove) as err:
        plan_move(LeadKind.SALES, Stage.IQL, Stage.INTERVIEW, at=AT, actor=BOT)
    assert err.value.code == "sales_not_recruitment"


def test_every_sales_move_stays_inside_the_sales_stages() -> None:
    for source, targets in SALES_MOVES.items():
        assert source in SALES_STAGES
        assert targets <= set(SALES_STAGES)
        assert source not in targets


@given(
    kind=st.sampled_from(list(LeadKind)),
    current=st.sampled_from(list(Stage)),
    target=st.sampled_from(list(Stage)),
    reason=st.text(max_size=5),
)
def test_plan_move_accepts_exactly_the_allowed_moves(
    kind: LeadKind, current: Stage, target: Stage, reason: str
) -> None:
    stages = RECRUITMENT_STAGES if kind is LeadKind.RECRUITMENT else SALES_STAGES
    expected = current in stages and target in allowed_moves(kind, current)
    needs_reason = target in {Stage.LOST, Stage.DISQUALIFIED, Stage.REJECTED}
    try:
        move = plan_move(kind, current, target, at=AT, actor=BOT, reason=reason)
    except IllegalMove:
        assert not expected or (needs_reason and not reason.strip())
    else:
        assert expected
        assert move.to_stage is target
