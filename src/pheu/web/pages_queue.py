"""The call queue page: today's tasks in the order to work them, each row logging a call in two clicks.

Clicking an outcome posts the row's form (HTMX); the row is replaced by what happened and the next step the
outcome scheduled. "Call back at…" opens a time field first. Managers pick a rep of their team.
"""

from __future__ import annotations

from typing import Any, Final

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from pheu.db import unit_of_work
from pheu.handoff.outcomes import CallOutcome
from pheu.i18n import N_
from pheu.services import calls, queue, tasks
from pheu.services.errors import ServiceError
from pheu.web import labels_tasks
from pheu.web.auth import CurrentViewer
from pheu.web.csrf import csrf_protect
from pheu.web.errors import PageRoute
from pheu.web.pages_tasks import now, parse_local, refusal
from pheu.web.templating import flash, is_htmx, render, toast_headers, tr

router = APIRouter(route_class=PageRoute, dependencies=[Depends(csrf_protect)], include_in_schema=False)
PAGE_ROWS: Final = 50


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _labels() -> dict[str, Any]:
    return {"task_labels": labels_tasks, "outcome_buttons": labels_tasks.OUTCOME_BUTTONS}


@router.get("/queue")
def queue_page(request: Request, viewer: CurrentViewer) -> Response:
    rep = _int(request.query_params.get("rep"))
    offset = _int(request.query_params.get("offset")) or 0
    with unit_of_work(request.app.state.db_url) as session:
        q = queue.today(session, viewer.principal, now(), user_id=rep, limit=PAGE_ROWS, offset=offset)
        context: dict[str, Any] = {
            "queue": q,
            "offset": offset,
            "next_offset": offset + PAGE_ROWS if offset + PAGE_ROWS < q.total else None,
            "rep_param": f"&rep={q.user.id}" if rep is not None else "",
            "section": "queue",
            **_labels(),
        }
        if is_htmx(request) and offset:
            return render(request, "queue/_rows.html", context)
        context["reps"] = tasks.viewable_users(session, viewer.principal)
        return render(request, "queue/queue.html", context)


@router.post("/queue/tasks/{task_id:int}/call")
async def log_call(request: Request, task_id: int, viewer: CurrentViewer) -> Response:
    """One outcome button of a row; answers the row showing the outcome and the next step."""
    form = await request.form()
    raw = str(form.get("outcome", ""))
    error: str | None = None
    result = None
    try:
        with unit_of_work(request.app.state.db_url) as session:
            task = tasks.get_task(session, viewer.principal, task_id)
            lead_id = task.lead_id
            if raw not in {o.value for o in CallOutcome}:
                raise ServiceError("Choose what the call gave.", code="invalid")
            timezone = tasks.handoff_config(session).timezone
            r = calls.log_call(
                session, viewer.principal, lead_id, CallOutcome(raw), now(), task_id=task_id,
                call_back_at=parse_local(str(form.get("call_back_at", "")), timezone),
            )  # fmt: skip
            result = {
                "outcome": raw,
                "step": r.step.title,
                "next_kind": r.next_task.kind if r.next_task else None,
                "next_due": r.next_task.due_at if r.next_task else None,
                "lead_name": r.lead.full_name or r.lead.email or r.lead.phone,
                "lead_id": lead_id,
            }
    except ServiceError as exc:
        if exc.status == 404:
            raise
        error = refusal(request, exc)
    toast = ("success", tr(request, N_("Call logged."))) if error is None else ("danger", error)
    if not is_htmx(request):
        flash(request, *toast)
        return RedirectResponse("/queue", status_code=303)
    if error is not None:
        return _row_again(request, viewer, task_id, error, toast)
    context = {"task_id": task_id, "result": result, **_labels()}
    return render(request, "queue/_logged.html", context, headers=toast_headers(*toast))


@router.post("/queue/tasks/{task_id:int}/done")
def mark_done(request: Request, task_id: int, viewer: CurrentViewer) -> Response:
    """Done for a meeting or email task of the queue."""
    with unit_of_work(request.app.state.db_url) as session:
        task = tasks.complete_task(session, viewer.principal, task_id, now())
        result = {"outcome": None, "step": None, "next_kind": None, "next_due": None, "lead_id": task.lead_id}
    toast = ("success", tr(request, N_("Task done.")))
    if not is_htmx(request):
        flash(request, *toast)
        return RedirectResponse("/queue", status_code=303)
    context = {"task_id": task_id, "result": result, **_labels()}
    return render(request, "queue/_logged.html", context, headers=toast_headers(*toast))


def _row_again(request: Request, viewer: Any, task_id: int, error: str, toast: tuple[str, str]) -> Response:
    """The row as it was, with the error under it (a call-back without a time, say)."""
    with unit_of_work(request.app.state.db_url) as session:
        task = tasks.get_task(session, viewer.principal, task_id)
        q = queue.today(session, viewer.principal, now(), user_id=task.owner_id)
        row = next((r for r in q.rows if r.task_id == task_id), None)
        if row is None:
            return Response(error, status_code=422, headers=toast_headers(*toast))
        context = {"row": row, "error": error, **_labels()}
        return render(request, "queue/_row.html", context, headers=toast_headers(*toast))
