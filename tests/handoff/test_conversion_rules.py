"""Won, lost and recycled as a specification, and the iCalendar feed's shape."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from icalendar import Calendar

from pheu.handoff.conversion import (
    LOSABLE,
    STALLED_AFTER,
    ConversionError,
    check_lost,
    check_recycle,
    check_won,
    is_stalled,
)
from pheu.handoff.ical import CalendarTask, build_feed, task_uid
from pheu.lifecycle import SALES_MOVES, SALES_STAGES, Actor, ActorType, LeadKind, Stage, plan_move

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
REASONS = {"price", "competitor", "no_need"}


def test_an_opportunity_is_won_with_a_value_in_vnd() -> None:
    won = check_won(Stage.OPPORTUNITY, 15_000_000, " vnd ")
    assert (won.amount_minor, won.currency) == (15_000_000, "VND")


@given(st.sampled_from([s for s in SALES_STAGES if s is not Stage.OPPORTUNITY]))
def test_only_an_opportunity_can_be_won(stage: Stage) -> None:
    with pytest.raises(ConversionError) as err:
        check_won(stage, 1000, "VND")
    assert err.value.code == "not_opportunity"


@pytest.mark.parametrize(
    ("amount", "currency", "code"),
    [(None, "VND", "value_required"), (0, "VND", "value_positive"), (-5, "VND", "value_positive"),
     (10**16, "VND", "value_too_large"), (100, "đồng", "currency_invalid"), (100, None, "currency_invalid")],
)  # fmt: skip
def test_a_won_deal_without_a_usable_value_is_refused(
    amount: int | None, currency: str | None, code: str
) -> None:
    with pytest.raises(ConversionError) as err:
        check_won(Stage.OPPORTUNITY, amount, currency)
    assert err.value.code == code


@given(st.sampled_from(SALES_STAGES), st.sampled_from(["", "price", "made_up", "  "]))
def test_lost_needs_an_open_stage_and_a_reason_from_the_list(stage: Stage, reason: str) -> None:
    if stage in LOSABLE and reason.strip() in REASONS:
        assert check_lost(stage, reason, REASONS).reason_code == reason.strip()
        # and the lifecycle agrees the move exists
        assert Stage.LOST in SALES_MOVES[stage]
        return
    with pytest.raises(ConversionError) as err:
        check_lost(stage, reason, REASONS)
    expected = (
        "not_open"
        if stage not in LOSABLE
        else ("reason_required" if not reason.strip() else "reason_unknown")
    )
    assert err.value.code == expected


@given(st.sampled_from(SALES_STAGES), st.integers(min_value=0, max_value=90))
def test_lost_and_stalled_leads_recycle_to_mql_and_the_lifecycle_allows_it(
    stage: Stage, idle_days: int
) -> None:
    last = NOW - timedelta(days=idle_days)
    stalled = stage in {Stage.SQL, Stage.OPPORTUNITY} and timedelta(days=idle_days) >= STALLED_AFTER
    assert is_stalled(stage, last, NOW) == stalled
    if stage is Stage.LOST or stalled:
        target = check_recycle(stage, last, NOW)
        assert target is Stage.MQL
        move = plan_move(LeadKind.SALES, stage, target, at=NOW, actor=Actor(ActorType.USER, "rep"))
        assert move.to_stage is Stage.MQL
    else:
        with pytest.raises(ConversionError) as err:
            check_recycle(stage, last, NOW)
        assert err.value.code == "not_recyclable"


def _task(task_id: int, status: str = "open") -> CalendarTask:
    return CalendarTask(
        task_id=task_id, kind="call", title="Gọi lần đầu", due_at=NOW + timedelta(hours=task_id),
        ends_at=None, status=status, lead_name="Nguyễn Văn Anh", lead_url=f"https://pheu.test/leads/{task_id}",
        phone="+84912345678",
    )  # fmt: skip


def test_the_feed_has_one_event_per_task_with_a_stable_uid_in_vietnam_time() -> None:
    feed = build_feed([_task(1), _task(2, "cancelled")], name="Lịch của Anh", host="pheu.test", now=NOW)
    again = build_feed([_task(2, "cancelled"), _task(1)], name="Lịch của Anh", host="pheu.test", now=NOW)
    calendar = Calendar.from_ical(feed)
    events = calendar.walk("VEVENT")
    assert [str(e["uid"]) for e in events] == [task_uid(1, "pheu.test"), task_uid(2, "pheu.test")]
    assert {str(e["uid"]) for e in Calendar.from_ical(again).walk("VEVENT")} == {
        str(e["uid"]) for e in events
    }
    first = events[0]
    assert first.decoded("dtstart") == NOW + timedelta(hours=1)
    assert str(first["dtstart"].params["TZID"]) == "Asia/Ho_Chi_Minh"
    assert first.decoded("dtstart").hour == 11  # 04:00 UTC is 11:00 in Vietnam
    assert first.decoded("dtend") - first.decoded("dtstart") == timedelta(minutes=15)
    assert str(first["summary"]) == "Gọi lần đầu — Nguyễn Văn Anh"
    assert str(events[1]["status"]) == "CANCELLED"
    assert calendar.walk("VTIMEZONE")
