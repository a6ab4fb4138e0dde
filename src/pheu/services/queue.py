"""A rep's call queue for today: their open tasks due before the end of today (local time), overdue first,
ordered by ``handoff.queue`` and explained.

The database sorts by the same rule (``sql_order``) and returns only the page shown, because a busy rep may
hold thousands of open tasks and the page must answer in under 150 ms (``bench/queue_page.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, Integer, case, cast, func, or_, select
from sqlalchemy.orm import Session

from pheu.auth.roles import Principal
from pheu.handoff.queue import DEFAULT_SLOT, QueueTask, Ranked, rank
from pheu.services.leads import visible
from pheu.services.tasks import OPEN, handoff_config, viewable_user
from pheu.store import Lead, Task, User
from pheu.store.base import UTCDateTime


@dataclass(frozen=True, slots=True)
class QueueRow:
    task_id: int
    kind: str
    title: str
    due_at: datetime
    first_contact: bool
    lead_id: int
    lead_name: str
    phone: str | None
    email: str | None
    score: int
    temperature: str | None
    stage: str
    ranked: Ranked


@dataclass(frozen=True, slots=True)
class Queue:
    user: User
    rows: list[QueueRow]
    total: int
    overdue: int
    done_today: int
    day_end: datetime


def end_of_day(now: datetime, timezone_name: str) -> datetime:
    """Midnight at the end of ``now``'s local day, as an aware datetime."""
    zone = ZoneInfo(timezone_name)
    local = now.astimezone(zone)
    return datetime.combine(local.date() + timedelta(days=1), time(), tzinfo=zone)


def _slot(session: Session, now: datetime) -> Any:
    """``handoff.queue.slot_index`` of ``Task.due_at`` in this database's dialect (used for upcoming tasks only,
    where the difference is never negative, so integer division is the floor)."""
    seconds = int(DEFAULT_SLOT.total_seconds())
    if session.get_bind().dialect.name == "postgresql":
        epoch = cast(func.floor(func.extract("epoch", Task.due_at)), BigInteger)
    else:
        epoch = cast(func.strftime("%s", Task.due_at), Integer)
    return (epoch - int(now.timestamp())) // seconds


def sql_order(session: Session, now: datetime) -> list[Any]:
    """``handoff.queue.sort_key`` as ORDER BY terms, so the database returns only the page asked for."""
    late = Task.due_at <= now
    slot = _slot(session, now)
    return [
        case((late, 0), else_=1),
        case((late, 0), else_=slot),
        Lead.score.desc(),
        func.coalesce(Lead.assigned_at, Task.created_at),
        Task.id,
    ]


def today(
    session: Session,
    principal: Principal,
    now: datetime,
    *,
    user_id: int | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> Queue:
    """The user's queue (the principal's own by default); ``limit``/``offset`` page through the ordered rows,
    the counts cover the whole queue. The database sorts (by ``sql_order``) and returns only the page, so a
    rep with thousands of open tasks costs one indexed scan and a sort, not thousands of Python objects."""
    user = viewable_user(session, principal, user_id)
    config = handoff_config(session)
    day_end = end_of_day(now, config.timezone)
    # A first contact is always today's work, even when its deadline falls after midnight (a hot lead that
    # came in at 23:58): speed-to-lead must not wait for tomorrow's queue.
    mine = (
        Task.owner_id == user.id,
        Task.status == OPEN,
        or_(Task.due_at < day_end, Task.first_contact.is_(True)),
    )
    waiting_since = func.coalesce(Lead.assigned_at, Task.created_at, type_=UTCDateTime)
    page = visible(
        select(
            Task.id,
            Task.due_at,
            Lead.score,
            waiting_since,
            Task.first_contact,
            Task.kind,
            Task.title,
            Lead.id,
            Lead.full_name,
            Lead.email,
            Lead.phone,
            Lead.temperature,
            Lead.stage,
        )
        .join(Lead, Lead.id == Task.lead_id)
        .where(*mine),
        principal,
    ).order_by(*sql_order(session, now))
    if limit is not None:
        page = page.limit(limit)
    if offset:
        page = page.offset(offset)
    rows = []
    for position, r in enumerate(session.execute(page), start=offset + 1):
        item = rank(QueueTask(r[0], r[1], int(r[2] or 0), r[3], bool(r[4])), position, now)
        rows.append(
            QueueRow(
                task_id=r[0],
                kind=r[5],
                title=r[6],
                due_at=r[1],
                first_contact=bool(r[4]),
                lead_id=r[7],
                lead_name=r[8] or r[9] or r[10] or f"#{r[7]}",
                phone=r[10],
                email=r[9],
                score=int(r[2] or 0),
                temperature=r[11],
                stage=r[12],
                ranked=item,
            )
        )
    counts = visible(
        select(func.count(), func.coalesce(func.sum(case((Task.due_at <= now, 1), else_=0)), 0))
        .select_from(Task)
        .join(Lead, Lead.id == Task.lead_id)
        .where(*mine),
        principal,
    )
    total, overdue = session.execute(counts).one()
    day_start = day_end - timedelta(days=1)
    done_today = session.scalar(
        select(func.count())
        .select_from(Task)
        .where(Task.owner_id == user.id, Task.status == "done", Task.completed_at >= day_start)
    )
    return Queue(user, rows, int(total), int(overdue), int(done_today or 0), day_end)
