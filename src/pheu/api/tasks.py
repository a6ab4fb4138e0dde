"""Task, queue, call, calendar and conversion routes of /api/v1. Each parses input, calls one service, shapes
the answer.

Reading needs ``leads:read`` and writing ``leads:write``; what a key sees follows its user's role (a rep their
own leads' tasks, a manager their team's). The iCalendar feed takes no key: its secret is in the URL
(``POST /api/v1/calendar/feed`` issues one, ``DELETE`` revokes it).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel
from sqlalchemy import select

from pheu.api.deps import ApiContext, require
from pheu.api.v1 import lead_out
from pheu.auth.roles import Scope
from pheu.db import unit_of_work
from pheu.services import calendar_feed, calls, conversion, lost_reasons, queue, tasks
from pheu.services.schemas import LeadOut
from pheu.services.task_schemas import (
    CalendarDay,
    CallIn,
    LostIn,
    LostReasonIn,
    LostReasonOut,
    TaskIn,
    TaskOut,
    TaskPatch,
    WonIn,
)
from pheu.services.tasks import task_out
from pheu.store import LostReason, Task

router = APIRouter(prefix="/api/v1")

ReadLeads = Annotated[ApiContext, Depends(require(Scope.LEADS_READ))]
WriteLeads = Annotated[ApiContext, Depends(require(Scope.LEADS_WRITE))]
Admin = Annotated[ApiContext, Depends(require(Scope.ADMIN))]


class QueueItemOut(BaseModel):
    position: int
    overdue: bool
    reasons: list[dict[str, object]]
    task: TaskOut
    lead_id: int
    lead_name: str
    phone: str | None
    score: int
    temperature: str | None


class QueueOut(BaseModel):
    user_id: int
    total: int
    overdue: int
    done_today: int
    items: list[QueueItemOut]


class CallOut(BaseModel):
    event_id: int
    outcome: str
    closed_task: TaskOut | None
    next_task: TaskOut | None
    next_step: str
    first_contact_at: datetime | None
    flags: list[str]


class CalendarOut(BaseModel):
    user_id: int
    start: date
    days: list[CalendarDay]


class FeedOut(BaseModel):
    url: str


def reason_out(reason: LostReason) -> LostReasonOut:
    return LostReasonOut(
        code=reason.code,
        label_vi=reason.label_vi,
        label_en=reason.label_en,
        active=reason.active,
        position=reason.position,
    )


@router.get("/tasks", tags=["tasks"])
def list_tasks(
    ctx: ReadLeads,
    owner_id: int | None = None,
    lead_id: int | None = None,
    status: Annotated[list[str] | None, Query(description="open, done, cancelled")] = None,
    due_from: datetime | None = None,
    due_to: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[TaskOut]:
    """Tasks the key's user may see, by due time."""
    with ctx.uow() as session:
        found = tasks.list_tasks(
            session, ctx.principal, owner_id=owner_id, lead_id=lead_id, status=status or (),
            start=due_from, end=due_to, limit=limit,
        )  # fmt: skip
        return [task_out(t) for t in found]


@router.post("/tasks", status_code=201, tags=["tasks"])
def create_task(ctx: WriteLeads, body: TaskIn, response: Response) -> TaskOut:
    with ctx.uow() as session:
        task = tasks.create_task(session, ctx.principal, body, ctx.now)
        response.headers["Location"] = f"/api/v1/tasks/{task.id}"
        return task_out(task)


@router.get("/tasks/{task_id}", tags=["tasks"])
def get_task(ctx: ReadLeads, task_id: int) -> TaskOut:
    with ctx.uow() as session:
        return task_out(tasks.get_task(session, ctx.principal, task_id))


@router.patch("/tasks/{task_id}", tags=["tasks"])
def update_task(ctx: WriteLeads, task_id: int, body: TaskPatch) -> TaskOut:
    with ctx.uow() as session:
        return task_out(tasks.update_task(session, ctx.principal, task_id, body, ctx.now))


@router.post("/tasks/{task_id}/complete", tags=["tasks"])
def complete_task(ctx: WriteLeads, task_id: int) -> TaskOut:
    with ctx.uow() as session:
        return task_out(tasks.complete_task(session, ctx.principal, task_id, ctx.now))


@router.post("/tasks/{task_id}/cancel", tags=["tasks"])
def cancel_task(ctx: WriteLeads, task_id: int) -> TaskOut:
    with ctx.uow() as session:
        return task_out(tasks.cancel_task(session, ctx.principal, task_id, ctx.now))


@router.get("/queue", tags=["tasks"])
def my_queue(
    ctx: ReadLeads,
    user_id: Annotated[
        int | None, Query(description="A rep of your team (managers); yourself by default")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> QueueOut:
    """Today's open tasks in the order to work them: overdue first, then deadline, score and waiting time."""
    with ctx.uow() as session:
        q = queue.today(session, ctx.principal, ctx.now, user_id=user_id, limit=limit, offset=offset)
        ids = [row.task_id for row in q.rows]
        by_id = {t.id: t for t in session.scalars(select(Task).where(Task.id.in_(ids)))}
        items = []
        for row in q.rows:
            task = by_id[row.task_id]
            items.append(
                QueueItemOut(
                    position=row.ranked.position,
                    overdue=row.ranked.overdue,
                    reasons=[{"code": r.code, **r.params} for r in row.ranked.reasons],
                    task=task_out(task),
                    lead_id=row.lead_id,
                    lead_name=row.lead_name,
                    phone=row.phone,
                    score=row.score,
                    temperature=row.temperature,
                )
            )
        return QueueOut(
            user_id=q.user.id, total=q.total, overdue=q.overdue, done_today=q.done_today, items=items
        )


@router.post("/leads/{lead_id}/calls", status_code=201, tags=["tasks"])
def log_call(ctx: WriteLeads, lead_id: int, body: CallIn) -> CallOut:
    """Log a call's outcome: records a ``call`` event, closes the task and schedules the next step."""
    with ctx.uow() as session:
        r = calls.log_call(
            session, ctx.principal, lead_id, body.outcome, ctx.now, task_id=body.task_id,
            call_back_at=body.call_back_at, notes=body.notes,
        )  # fmt: skip
        return CallOut(
            event_id=r.event.id, outcome=body.outcome.value,
            closed_task=task_out(r.closed_task) if r.closed_task else None,
            next_task=task_out(r.next_task) if r.next_task else None, next_step=r.step.title,
            first_contact_at=r.lead.first_contact_at, flags=list(r.lead.flags or []),
        )  # fmt: skip


@router.get("/calendar", tags=["tasks"])
def calendar(
    ctx: ReadLeads,
    user_id: int | None = None,
    start: date | None = None,
    days: Annotated[int, Query(ge=1, le=31)] = 7,
) -> CalendarOut:
    """A rep's tasks per local day (Asia/Ho_Chi_Minh unless the settings say otherwise)."""
    with ctx.uow() as session:
        zone = ZoneInfo(tasks.handoff_config(session).timezone)
        first = start or ctx.now.astimezone(zone).date()
        begin = datetime.combine(first, time(), tzinfo=zone)
        user, found = tasks.calendar(session, ctx.principal, user_id, begin, begin + timedelta(days=days))
        per_day: dict[date, list[TaskOut]] = {first + timedelta(days=i): [] for i in range(days)}
        for task, _lead in found:
            per_day[task.due_at.astimezone(zone).date()].append(task_out(task))
        return CalendarOut(
            user_id=user.id, start=first, days=[CalendarDay(day=d, tasks=t) for d, t in per_day.items()]
        )


@router.post("/calendar/feed", status_code=201, tags=["tasks"])
def issue_feed(ctx: ReadLeads, request: Request) -> FeedOut:
    """A new secret feed URL for the key's user (shown once; the previous URL stops working)."""
    with ctx.uow() as session:
        token = calendar_feed.issue_token(session, ctx.principal, ctx.now)
    return FeedOut(url=str(request.url_for("calendar_feed", token=token)))


@router.delete("/calendar/feed", status_code=204, tags=["tasks"])
def revoke_feed(ctx: ReadLeads) -> Response:
    with ctx.uow() as session:
        calendar_feed.revoke(session, ctx.principal, ctx.now)
    return Response(status_code=204)


@router.get("/calendar/feeds/{token}.ics", name="calendar_feed", tags=["tasks"])
def feed(request: Request, token: str) -> Response:
    """The iCalendar feed a calendar app subscribes to; an unknown or revoked token answers 404."""
    now = datetime.now(UTC)
    base = str(request.base_url).rstrip("/")
    with unit_of_work(request.app.state.db_url) as session:
        body = calendar_feed.feed(session, token, now, host=request.url.hostname or "pheu", base_url=base)
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={
            "Cache-Control": "private, max-age=300",
            "Content-Disposition": 'inline; filename="pheu.ics"',
        },
    )


@router.post("/leads/{lead_id}/won", tags=["conversion"])
def won(ctx: WriteLeads, lead_id: int, body: WonIn) -> LeadOut:
    """Opportunity → Customer with the deal's value."""
    with ctx.uow() as session:
        return lead_out(
            conversion.mark_won(session, ctx.principal, lead_id, body.amount_minor, body.currency, ctx.now)
        )


@router.post("/leads/{lead_id}/lost", tags=["conversion"])
def lost(ctx: WriteLeads, lead_id: int, body: LostIn) -> LeadOut:
    """Any open sales stage → Lost, with a reason code from ``GET /api/v1/lost-reasons``."""
    with ctx.uow() as session:
        return lead_out(
            conversion.mark_lost(session, ctx.principal, lead_id, body.reason, ctx.now, body.note)
        )


@router.post("/leads/{lead_id}/recycle", tags=["conversion"])
def recycle(ctx: WriteLeads, lead_id: int) -> LeadOut:
    """A lost lead, or an SQL / Opportunity untouched for 30 days, back to MQL for nurturing."""
    with ctx.uow() as session:
        return lead_out(conversion.recycle(session, ctx.principal, lead_id, ctx.now))


@router.get("/lost-reasons", tags=["conversion"])
def list_lost_reasons(ctx: ReadLeads, include_inactive: bool = False) -> list[LostReasonOut]:
    with ctx.uow() as session:
        return [reason_out(r) for r in lost_reasons.list_reasons(session, active_only=not include_inactive)]


@router.post("/lost-reasons", status_code=201, tags=["conversion"])
def create_lost_reason(ctx: Admin, body: LostReasonIn) -> LostReasonOut:
    with ctx.uow() as session:
        return reason_out(lost_reasons.save_reason(session, ctx.principal, body, ctx.now, create=True))


@router.put("/lost-reasons/{code}", tags=["conversion"])
def update_lost_reason(ctx: Admin, code: str, body: LostReasonIn) -> LostReasonOut:
    with ctx.uow() as session:
        data = body.model_copy(update={"code": code})
        return reason_out(lost_reasons.save_reason(session, ctx.principal, data, ctx.now, create=False))
