"""A rep's call queue: which open task to do next, and why.

The order a rep works in is the order a manager would defend: whatever is already late comes first (a missed
first-contact deadline costs the most), then what is due next; among tasks equally urgent, the hotter lead
(higher score) goes first, and among equally hot leads the one that has waited longest. "Equally urgent"
means the same deadline slot (15 minutes by default), so a score can beat a deadline a few minutes later but
never a deadline an hour later. Each ranked task carries the reasons it sits where it does, as codes with
parameters the pages translate.

Pure: times are passed in (UTC-aware datetimes) and nothing is read from a clock or a database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

DEFAULT_SLOT: Final = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class QueueTask:
    """What the queue needs of a task: its deadline, the lead's score and since when the lead has waited."""

    task_id: int
    due_at: datetime
    score: int
    waiting_since: datetime
    first_contact: bool = False


@dataclass(frozen=True, slots=True)
class Reason:
    """One reason for a task's place, e.g. ``("overdue", {"minutes": 35})``."""

    code: str
    params: dict[str, int]


@dataclass(frozen=True, slots=True)
class Ranked:
    task: QueueTask
    position: int
    overdue: bool
    reasons: tuple[Reason, ...]


def _minutes(delta: timedelta) -> int:
    return max(0, int(delta.total_seconds() // 60))


def slot_index(due_at: datetime, now: datetime, slot: timedelta = DEFAULT_SLOT) -> int:
    """Which deadline slot an upcoming task falls in, counted in whole seconds (as the database counts)."""
    return (int(due_at.timestamp()) - int(now.timestamp())) // int(slot.total_seconds())


def sort_key(
    task: QueueTask, now: datetime, slot: timedelta = DEFAULT_SLOT
) -> tuple[int, int, int, datetime, int]:
    """Overdue before due; within each, the deadline's slot, then score (high first), then the longest wait.

    Overdue tasks share one slot: once late, what matters is how hot the lead is and how long it has waited.
    The task id breaks the last ties so the order never depends on the order tasks were read in.
    ``services.queue`` asks the database for the same order; a test holds the two together.
    """
    if task.due_at <= now:
        return (0, 0, -task.score, task.waiting_since, task.task_id)
    return (1, slot_index(task.due_at, now, slot), -task.score, task.waiting_since, task.task_id)


def rank(task: QueueTask, position: int, now: datetime) -> Ranked:
    """A task at its place in the queue, with the reasons for it."""
    return Ranked(task=task, position=position, overdue=task.due_at <= now, reasons=_reasons(task, now))


def _reasons(task: QueueTask, now: datetime) -> tuple[Reason, ...]:
    reasons: list[Reason] = []
    if task.due_at <= now:
        reasons.append(Reason("overdue", {"minutes": _minutes(now - task.due_at)}))
    else:
        reasons.append(Reason("due_in", {"minutes": _minutes(task.due_at - now)}))
    if task.first_contact:
        reasons.append(Reason("first_contact", {}))
    reasons.append(Reason("score", {"score": task.score}))
    reasons.append(Reason("waiting", {"hours": _minutes(now - task.waiting_since) // 60}))
    return tuple(reasons)


def order_queue(
    tasks: Iterable[QueueTask],
    now: datetime,
    slot: timedelta = DEFAULT_SLOT,
    *,
    start: int = 0,
    stop: int | None = None,
) -> list[Ranked]:
    """The tasks in the order to work them, each with its position (from 1) and the reasons for it.

    ``start``/``stop`` return one page of the order (positions still count from the top); only that page is
    explained, so a queue of thousands costs one sort.
    """
    ordered = sorted(tasks, key=lambda t: sort_key(t, now, slot))
    return [rank(t, i, now) for i, t in enumerate(ordered[start:stop], start=start + 1)]
