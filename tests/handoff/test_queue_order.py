"""The call queue's order as a specification: late first, then by deadline slot, score and waiting time."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from pheu.handoff.queue import DEFAULT_SLOT, QueueTask, order_queue, sort_key

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


@st.composite
def tasks(draw: st.DrawFn) -> list[QueueTask]:
    count = draw(st.integers(min_value=0, max_value=40))
    out = []
    for i in range(count):
        due = NOW + timedelta(minutes=draw(st.integers(min_value=-600, max_value=600)))
        waited = timedelta(minutes=draw(st.integers(min_value=0, max_value=10_000)))
        score = draw(st.integers(min_value=-50, max_value=150))
        out.append(QueueTask(task_id=i + 1, due_at=due, score=score, waiting_since=NOW - waited))
    return out


@given(tasks())
def test_every_overdue_task_comes_before_every_task_not_yet_due(items: list[QueueTask]) -> None:
    ranked = order_queue(items, NOW)
    flags = [r.overdue for r in ranked]
    assert flags == sorted(flags, reverse=True)
    assert all(r.overdue == (r.task.due_at <= NOW) for r in ranked)


@given(tasks())
def test_the_queue_holds_each_task_once_and_numbers_them_from_one(items: list[QueueTask]) -> None:
    ranked = order_queue(items, NOW)
    assert sorted(r.task.task_id for r in ranked) == sorted(t.task_id for t in items)
    assert [r.position for r in ranked] == list(range(1, len(items) + 1))


@given(tasks(), st.randoms(use_true_random=False))
def test_the_order_does_not_depend_on_the_order_tasks_were_read(
    items: list[QueueTask], rnd: random.Random
) -> None:
    shuffled = list(items)
    rnd.shuffle(shuffled)
    assert [r.task.task_id for r in order_queue(items, NOW)] == [
        r.task.task_id for r in order_queue(shuffled, NOW)
    ]


@given(tasks())
def test_upcoming_tasks_follow_their_deadline_slots_and_hotter_leads_lead_within_a_slot(
    items: list[QueueTask],
) -> None:
    upcoming = [r.task for r in order_queue(items, NOW) if not r.overdue]
    slots = [(t.due_at - NOW) // DEFAULT_SLOT for t in upcoming]
    assert slots == sorted(slots)
    for a, b in itertools.pairwise(upcoming):
        if (a.due_at - NOW) // DEFAULT_SLOT == (b.due_at - NOW) // DEFAULT_SLOT:
            assert a.score >= b.score
            if a.score == b.score:
                assert a.waiting_since <= b.waiting_since


@given(tasks())
def test_among_late_tasks_the_hotter_lead_then_the_longest_wait_goes_first(items: list[QueueTask]) -> None:
    late = [r.task for r in order_queue(items, NOW) if r.overdue]
    for a, b in itertools.pairwise(late):
        assert (-a.score, a.waiting_since) <= (-b.score, b.waiting_since)


def test_a_hot_lead_beats_a_cold_one_due_a_few_minutes_earlier_but_not_an_hour_earlier() -> None:
    cold_soon = QueueTask(1, NOW + timedelta(minutes=1), score=10, waiting_since=NOW)
    hot_later = QueueTask(2, NOW + timedelta(minutes=10), score=90, waiting_since=NOW)
    hot_much_later = QueueTask(3, NOW + timedelta(minutes=70), score=99, waiting_since=NOW)
    assert [r.task.task_id for r in order_queue([cold_soon, hot_later, hot_much_later], NOW)] == [2, 1, 3]


def test_each_place_is_explained_with_lateness_score_and_wait() -> None:
    late = QueueTask(7, NOW - timedelta(minutes=35), 80, NOW - timedelta(hours=3), first_contact=True)
    (ranked,) = order_queue([late], NOW)
    codes = {r.code: r.params for r in ranked.reasons}
    assert codes == {
        "overdue": {"minutes": 35},
        "first_contact": {},
        "score": {"score": 80},
        "waiting": {"hours": 3},
    }
    assert sort_key(late, NOW)[0] == 0
