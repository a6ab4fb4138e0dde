"""Tasks, the queue, calls, won/lost/recycle and the calendar feed against real SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from icalendar import Calendar
from sqlalchemy import select

from pheu.db import unit_of_work
from pheu.handoff.outcomes import CallOutcome
from pheu.lifecycle import Stage
from pheu.services import calendar_feed, calls, conversion, lost_reasons, queue, stages, tasks
from pheu.services.errors import Forbidden, Invalid, NotFound
from pheu.services.task_schemas import LostReasonIn, TaskIn, TaskPatch
from pheu.store import Event, Lead, StageChange, Task
from tests.conftest import NOW
from tests.handoff.helpers import Floor, build_floor
from tests.score_service.helpers import meet_bant


@pytest.fixture
def floor(db_url: str) -> Floor:
    return build_floor(db_url)


def _task(f: Floor, lead: int, minutes: int, **extra: object) -> int:
    with unit_of_work(f.url) as s:
        principal = f.rep1 if lead == f.lead1 else f.rep2
        body = TaskIn(lead_id=lead, due_at=NOW + timedelta(minutes=minutes), **extra)  # type: ignore[arg-type]
        return tasks.create_task(s, principal, body, NOW).id


def test_a_rep_creates_edits_and_completes_a_task_on_their_own_lead(floor: Floor) -> None:
    task_id = _task(floor, floor.lead1, 30, title="Gọi tư vấn")
    with unit_of_work(floor.url) as s:
        task = tasks.update_task(
            s, floor.rep1, task_id, TaskPatch(kind="meeting", due_at=NOW + timedelta(hours=2)), NOW
        )
        assert (task.kind, task.owner_id, task.title) == ("meeting", floor.rep1.user_id, "Gọi tư vấn")
        tasks.complete_task(s, floor.rep1, task_id, NOW)
    with unit_of_work(floor.url) as s:
        with pytest.raises(Invalid) as err:
            tasks.cancel_task(s, floor.rep1, task_id, NOW)
        assert err.value.code == "task_closed"


def test_a_rep_cannot_see_or_touch_another_reps_tasks_but_their_manager_and_admin_can(floor: Floor) -> None:
    theirs = _task(floor, floor.lead2, 10)
    with unit_of_work(floor.url) as s:
        with pytest.raises(NotFound):
            tasks.get_task(s, floor.rep1, theirs)
        with pytest.raises(NotFound):
            tasks.create_task(s, floor.rep1, TaskIn(lead_id=floor.lead2, due_at=NOW), NOW)
        with pytest.raises(Forbidden):
            tasks.create_task(
                s, floor.rep1, TaskIn(lead_id=floor.lead1, due_at=NOW, owner_id=floor.rep2.user_id), NOW
            )
        assert tasks.get_task(s, floor.admin, theirs).id == theirs
        with pytest.raises(NotFound):  # rep2 is in another team
            queue.today(s, floor.manager, NOW, user_id=floor.rep2.user_id)
        assert queue.today(s, floor.manager, NOW, user_id=floor.rep1.user_id).user.id == floor.rep1.user_id
        with pytest.raises(NotFound):
            queue.today(s, floor.rep1, NOW, user_id=floor.rep2.user_id)


def test_a_task_must_end_after_it_starts_and_carry_a_time_zone(floor: Floor) -> None:
    with unit_of_work(floor.url) as s:
        with pytest.raises(Invalid) as err:
            tasks.create_task(
                s,
                floor.rep1,
                TaskIn(lead_id=floor.lead1, due_at=NOW, ends_at=NOW - timedelta(minutes=1)),
                NOW,
            )
        assert err.value.code == "ends_before_start"
        with pytest.raises(Invalid) as err:
            tasks.create_task(
                s, floor.rep1, TaskIn(lead_id=floor.lead1, due_at=NOW.replace(tzinfo=None)), NOW
            )
        assert err.value.field == "due_at"


def test_the_queue_puts_overdue_first_and_leaves_tomorrow_out(floor: Floor) -> None:
    later = _task(floor, floor.lead1, 60)
    late = _task(floor, floor.lead1, -20)
    _task(floor, floor.lead1, 60 * 24 * 2)  # the day after tomorrow: calendar, not queue
    with unit_of_work(floor.url) as s:
        q = queue.today(s, floor.rep1, NOW)
        assert [r.task_id for r in q.rows] == [late, later]
        assert (q.total, q.overdue) == (2, 1)
        assert q.rows[0].ranked.reasons[0].code == "overdue"
        assert queue.today(s, floor.rep1, NOW, limit=1, offset=1).rows[0].task_id == later


def test_a_reached_call_records_the_event_first_contact_and_a_follow_up(floor: Floor) -> None:
    with unit_of_work(floor.url) as s:
        first = tasks.create_task(
            s,
            floor.admin,
            TaskIn(lead_id=floor.lead1, due_at=NOW + timedelta(minutes=15)),
            NOW,
            first_contact=True,
        ).id
    with unit_of_work(floor.url) as s:
        result = calls.log_call(s, floor.rep1, floor.lead1, CallOutcome.REACHED, NOW, task_id=first)
        assert result.next_task is not None and result.next_task.kind == "call"
        assert result.next_task.owner_id == floor.rep1.user_id
        assert result.next_task.due_at > NOW
    with unit_of_work(floor.url) as s:
        lead = s.get(Lead, floor.lead1)
        assert lead is not None and lead.first_contact_at == NOW
        event = s.scalars(select(Event).where(Event.lead_id == floor.lead1, Event.type == "call")).one()
        assert event.properties["outcome"] == "reached"
        done = s.get(Task, first)
        assert done is not None and (done.status, done.outcome, done.completed_at) == ("done", "reached", NOW)


def test_three_unanswered_calls_stop_calling_and_suggest_an_email(floor: Floor) -> None:
    kinds = []
    for i, outcome in enumerate((CallOutcome.NO_ANSWER, CallOutcome.BUSY, CallOutcome.NO_ANSWER)):
        with unit_of_work(floor.url) as s:
            r = calls.log_call(s, floor.rep1, floor.lead1, outcome, NOW + timedelta(minutes=i))
            kinds.append(r.next_task.kind if r.next_task else None)
    assert kinds == ["call", "call", "email"]
    with unit_of_work(floor.url) as s:
        open_calls = s.scalars(select(Task).where(Task.lead_id == floor.lead1, Task.status == "open")).all()
        assert [t.kind for t in open_calls] == ["email"]  # each call closed the retry before it


def test_a_wrong_number_flags_the_phone_and_does_not_count_as_first_contact(floor: Floor) -> None:
    with unit_of_work(floor.url) as s:
        calls.log_call(s, floor.rep1, floor.lead1, CallOutcome.WRONG_NUMBER, NOW)
    with unit_of_work(floor.url) as s:
        lead = s.get(Lead, floor.lead1)
        assert lead is not None and "phone_wrong" in lead.flags and lead.first_contact_at is None


def test_call_back_needs_a_future_time_and_books_exactly_it(floor: Floor) -> None:
    with unit_of_work(floor.url) as s:
        with pytest.raises(Invalid) as err:
            calls.log_call(s, floor.rep1, floor.lead1, CallOutcome.CALL_BACK, NOW)
        assert err.value.code == "call_back_time_required"
    at = NOW + timedelta(hours=26, minutes=5)
    with unit_of_work(floor.url) as s:
        r = calls.log_call(s, floor.rep1, floor.lead1, CallOutcome.CALL_BACK, NOW, call_back_at=at)
        assert r.next_task is not None and r.next_task.due_at == at


def _to_opportunity(f: Floor) -> None:
    with unit_of_work(f.url) as s:
        stages.move_stage(s, f.rep1, f.lead1, Stage.SQL, reason="", now=NOW)
    meet_bant(f.url, f.lead1, NOW)  # the team's BANT bar comes before an Opportunity
    with unit_of_work(f.url) as s:
        stages.move_stage(s, f.rep1, f.lead1, Stage.OPPORTUNITY, reason="BANT", now=NOW)


def test_won_needs_an_opportunity_and_a_value_and_makes_a_customer(floor: Floor) -> None:
    _task(floor, floor.lead1, 30)
    with unit_of_work(floor.url) as s:
        with pytest.raises(Invalid) as err:
            conversion.mark_won(s, floor.rep1, floor.lead1, 15_000_000, "VND", NOW)
        assert err.value.code == "not_opportunity"
    _to_opportunity(floor)
    with unit_of_work(floor.url) as s:
        with pytest.raises(Invalid) as err:
            conversion.mark_won(s, floor.rep1, floor.lead1, None, "VND", NOW)
        assert err.value.code == "value_required"
    with unit_of_work(floor.url) as s:
        conversion.mark_won(s, floor.rep1, floor.lead1, 15_000_000, "vnd", NOW + timedelta(minutes=1))
    with unit_of_work(floor.url) as s:
        lead = s.get(Lead, floor.lead1)
        assert lead is not None
        assert (lead.stage, lead.won_amount_minor, lead.won_currency) == ("customer", 15_000_000, "VND")
        last = s.scalars(
            select(StageChange).where(StageChange.lead_id == floor.lead1).order_by(StageChange.id.desc())
        ).first()
        assert last is not None and (last.from_stage, last.to_stage) == ("opportunity", "customer")
        assert s.scalars(select(Task.status).where(Task.lead_id == floor.lead1)).all() == ["cancelled"]
        with pytest.raises(NotFound):
            conversion.mark_won(s, floor.rep2, floor.lead1, 1, "VND", NOW)


def test_lost_takes_a_reason_from_the_managed_list_and_recycle_brings_it_back(floor: Floor) -> None:
    with unit_of_work(floor.url) as s:
        with pytest.raises(Invalid) as err:
            conversion.mark_lost(s, floor.rep1, floor.lead1, "made_up", NOW)
        assert err.value.code == "reason_unknown"
        assert {"price", "competitor", "no_need", "unreachable", "bad_timing"} <= lost_reasons.active_codes(s)
    with unit_of_work(floor.url) as s:
        conversion.mark_lost(s, floor.rep1, floor.lead1, "competitor", NOW, note="Chọn bên khác rẻ hơn")
    with unit_of_work(floor.url) as s:
        lead = s.get(Lead, floor.lead1)
        assert lead is not None and (lead.stage, lead.lost_reason) == ("lost", "competitor")
        conversion.recycle(s, floor.rep1, floor.lead1, NOW + timedelta(days=1))
    with unit_of_work(floor.url) as s:
        lead = s.get(Lead, floor.lead1)
        assert lead is not None and (lead.stage, lead.lost_reason) == ("mql", None)


def test_only_a_stalled_deal_is_recycled(floor: Floor) -> None:
    _to_opportunity(floor)
    with unit_of_work(floor.url) as s:
        with pytest.raises(Invalid) as err:
            conversion.recycle(s, floor.rep1, floor.lead1, NOW + timedelta(days=3))
        assert err.value.code == "not_recyclable"
    with unit_of_work(floor.url) as s:
        assert conversion.recycle(s, floor.rep1, floor.lead1, NOW + timedelta(days=31)).stage == "mql"


def test_only_an_admin_edits_lost_reasons(floor: Floor) -> None:
    body = LostReasonIn(code="moved_away", label_vi="Chuyển đi nơi khác", label_en="Moved away")
    with unit_of_work(floor.url) as s:
        with pytest.raises(Forbidden):
            lost_reasons.save_reason(s, floor.manager, body, NOW, create=True)
        lost_reasons.save_reason(s, floor.admin, body, NOW, create=True)
    with unit_of_work(floor.url) as s:
        assert "moved_away" in lost_reasons.active_codes(s)
        lost_reasons.save_reason(s, floor.admin, body.model_copy(update={"active": False}), NOW, create=False)
    with unit_of_work(floor.url) as s:
        assert "moved_away" not in lost_reasons.active_codes(s)


def test_the_calendar_feed_opens_with_its_token_only_until_revoked(floor: Floor) -> None:
    task_id = _task(floor, floor.lead1, 90, title="Gọi lần đầu")
    _task(floor, floor.lead2, 90)
    with unit_of_work(floor.url) as s:
        token = calendar_feed.issue_token(s, floor.rep1, NOW)
    with unit_of_work(floor.url) as s:
        body = calendar_feed.feed(s, token, NOW, host="pheu.test", base_url="https://pheu.test")
    events = Calendar.from_ical(body).walk("VEVENT")
    assert [str(e["uid"]) for e in events] == [f"task-{task_id}@pheu.test"]
    assert "Nguyễn Văn Anh" in str(events[0]["summary"])
    with unit_of_work(floor.url) as s:
        calendar_feed.revoke(s, floor.rep1, NOW)
    with unit_of_work(floor.url) as s, pytest.raises(NotFound):
        calendar_feed.feed(s, token, NOW, host="pheu.test", base_url="https://pheu.test")


def test_the_calendar_shows_a_reps_week_to_them_and_their_manager(floor: Floor) -> None:
    a = _task(floor, floor.lead1, 60)
    b = _task(floor, floor.lead1, 60 * 24 * 3)
    with unit_of_work(floor.url) as s:
        user, items = tasks.calendar(s, floor.manager, floor.rep1.user_id, NOW, NOW + timedelta(days=7))
        assert user.id == floor.rep1.user_id and [t.id for t, _ in items] == [a, b]
        with pytest.raises(NotFound):
            tasks.calendar(s, floor.rep2, floor.rep1.user_id, NOW, NOW + timedelta(days=7))


def test_the_database_orders_the_queue_exactly_as_the_pure_rule_does(floor: Floor) -> None:
    """``services.queue`` sorts in SQL; ``handoff.queue.order_queue`` is the specification it must match."""
    import random

    from pheu.handoff.queue import QueueTask, order_queue

    rnd = random.Random(5)
    at = NOW.replace(hour=1, minute=7, second=13, microsecond=250_000)  # 08:07 in Vietnam, mid-second
    with unit_of_work(floor.url) as s:
        for i in range(120):
            lead_id = add_lead_for(s, floor, i, score=rnd.choice([0, 10, 40, 40, 75, 90]))
            s.add(
                Task(
                    lead_id=lead_id, owner_id=floor.rep1.user_id, kind="call", status="open",
                    due_at=at + timedelta(seconds=rnd.choice([-7200, -60, 0, 1, 899, 900, 901, 1799, 3600, 40000])
                                          + rnd.randint(0, 3)),
                    created_at=at - timedelta(minutes=rnd.randint(0, 600)), first_contact=i % 4 == 0,
                )
            )  # fmt: skip
    with unit_of_work(floor.url) as s:
        q = queue.today(s, floor.rep1, at)
        expected = order_queue(
            [
                QueueTask(r.task_id, r.due_at, r.score, r.ranked.task.waiting_since, r.first_contact)
                for r in q.rows
            ],
            at,
        )
        assert [r.task_id for r in q.rows] == [r.task.task_id for r in expected]
        assert q.total == len(q.rows) > 100
        page = queue.today(s, floor.rep1, at, limit=10, offset=20)
        assert [r.task_id for r in page.rows] == [r.task_id for r in q.rows[20:30]]
        assert [r.ranked.position for r in page.rows] == list(range(21, 31))


def add_lead_for(s: Any, floor: Floor, i: int, score: int) -> int:
    lead = Lead(
        kind="sales", stage="sql", full_name=f"Khách {i}", email=f"k{i}@example.vn", owner_id=floor.rep1.user_id,
        score=score, created_at=NOW, updated_at=NOW, stage_changed_at=NOW,
        assigned_at=NOW - timedelta(minutes=i % 7) if i % 3 else None,
    )  # fmt: skip
    s.add(lead)
    s.flush()
    return lead.id


def test_a_first_contact_due_after_midnight_is_still_todays_work(floor: Floor) -> None:
    late_evening = datetime(2026, 11, 26, 16, 58, tzinfo=UTC)  # 23:58 in Vietnam
    with unit_of_work(floor.url) as s:
        due = late_evening + timedelta(minutes=5)  # 00:03 tomorrow
        first = tasks.create_task(s, floor.rep1, TaskIn(lead_id=floor.lead1, due_at=due), late_evening)
        first.first_contact = True
        later = tasks.create_task(s, floor.rep1, TaskIn(lead_id=floor.lead1, due_at=due), late_evening)
        first_id, later_id = first.id, later.id
    with unit_of_work(floor.url) as s:
        ids = [row.task_id for row in queue.today(s, floor.rep1, late_evening).rows]
    assert first_id in ids and later_id not in ids
