"""Task and conversion actions from the lead page: add a task, log a call, complete or cancel a task, and mark
the lead won, lost or recycled. Each answers the refreshed card for HTMX (with a toast) or redirects back.

Also the helpers the queue and calendar pages share: reading a local date-time field and saying why a service
refused something in the person's language.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from pheu.db import unit_of_work
from pheu.handoff.outcomes import CallOutcome
from pheu.i18n import N_, gettext
from pheu.services import calls, conversion, leads, lost_reasons, tasks
from pheu.services.errors import ServiceError
from pheu.services.task_schemas import TaskIn
from pheu.web import labels_tasks
from pheu.web.auth import CurrentViewer, Viewer, request_locale
from pheu.web.csrf import csrf_protect
from pheu.web.errors import PageRoute, service_error_message
from pheu.web.templating import flash, is_htmx, render, toast_headers, tr

router = APIRouter(route_class=PageRoute, dependencies=[Depends(csrf_protect)], include_in_schema=False)


def now() -> datetime:
    return datetime.now(UTC)


def parse_local(value: str, timezone: str) -> datetime | None:
    """A ``datetime-local`` field (``2026-11-26T14:30``) read in the team's time zone; None when empty or
    malformed (the service then says what is missing)."""
    try:
        local = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return local.replace(tzinfo=ZoneInfo(timezone)) if local.tzinfo is None else local


def parse_amount(value: str) -> int | None:
    """``15.000.000``, ``15,000,000`` or ``15000000`` (VND, no minor unit) to an int; None when not a number."""
    digits = value.strip().replace(".", "").replace(",", "").replace(" ", "").replace("₫", "")
    return int(digits) if digits.isdigit() else None


def refusal(request: Request, exc: ServiceError) -> str:
    """Why a service refused, in the person's language."""
    msgid = labels_tasks.REFUSALS.get(exc.code)
    if msgid is not None:
        return tr(request, msgid)
    return service_error_message(request_locale(request), exc)


def task_context(session: Session, viewer: Viewer, lead_id: int, locale: str) -> dict[str, Any]:
    """What the lead page's tasks and conversion cards need."""
    lead = leads.get_lead(session, viewer.principal, lead_id)
    return {
        "lead": lead,
        "tasks": tasks.lead_tasks(session, viewer.principal, lead_id),
        "lost_reasons": [(r.code, lost_reasons.label(r, locale)) for r in lost_reasons.list_reasons(session)],
        "task_labels": labels_tasks,
        "outcome_buttons": labels_tasks.OUTCOME_BUTTONS,
        "timezone": tasks.handoff_config(session).timezone,
    }


def _after(
    request: Request,
    viewer: Viewer,
    lead_id: int,
    action: Callable[[Session, str], object],
    success: str,
    template: str,
) -> Response:
    """Run ``action`` in a unit of work, then answer the refreshed card (HTMX) or redirect to the lead."""
    error: str | None = None
    try:
        with unit_of_work(request.app.state.db_url) as session:
            action(session, tasks.handoff_config(session).timezone)
    except ServiceError as exc:
        if exc.status == 404:
            raise
        error = refusal(request, exc)
    toast = ("success", tr(request, success)) if error is None else ("danger", error)
    if not is_htmx(request):
        flash(request, *toast)
        return RedirectResponse(f"/leads/{lead_id}", status_code=303)
    locale = request_locale(request)
    with unit_of_work(request.app.state.db_url) as session:
        context = task_context(session, viewer, lead_id, locale)
        context["error"] = error
        headers = toast_headers(*toast)
        if error is None and template == "leads/_conversion.html":
            headers["HX-Refresh"] = "true"  # the stage, owner and timeline all changed: show the whole page
        return render(request, template, context, headers=headers)


@router.post("/leads/{lead_id:int}/tasks")
async def add_task(request: Request, lead_id: int, viewer: CurrentViewer) -> Response:
    form = await request.form()

    def action(session: Session, timezone: str) -> object:
        due = parse_local(str(form.get("due_at", "")), timezone)
        if due is None:
            raise ServiceError("Say when the task is due.", code="due_required")
        try:
            body = TaskIn(
                lead_id=lead_id, kind=str(form.get("kind", "call")), title=str(form.get("title", "")),
                notes=str(form.get("notes", "")) or None, due_at=due,
            )  # fmt: skip
        except ValidationError as exc:
            raise ServiceError("Check the task's fields.", code="invalid") from exc
        return tasks.create_task(session, viewer.principal, body, now())

    return _after(request, viewer, lead_id, action, N_("Task added."), "leads/_tasks.html")


@router.post("/leads/{lead_id:int}/calls")
async def log_call(request: Request, lead_id: int, viewer: CurrentViewer) -> Response:
    form = await request.form()
    raw = str(form.get("outcome", ""))
    task_id = str(form.get("task_id", ""))

    def action(session: Session, timezone: str) -> object:
        if raw not in CallOutcome.__members__.values():
            raise ServiceError("Choose what the call gave.", code="invalid")
        return calls.log_call(
            session, viewer.principal, lead_id, CallOutcome(raw), now(),
            task_id=int(task_id) if task_id.isdigit() else None,
            call_back_at=parse_local(str(form.get("call_back_at", "")), timezone),
            notes=str(form.get("notes", "")) or None,
        )  # fmt: skip

    return _after(request, viewer, lead_id, action, N_("Call logged."), "leads/_tasks.html")


@router.post("/leads/{lead_id:int}/tasks/{task_id:int}/{verb:str}")
def close_task(request: Request, lead_id: int, task_id: int, verb: str, viewer: CurrentViewer) -> Response:
    if verb not in {"complete", "cancel"}:
        raise ServiceError("Unknown action.", code="invalid")
    close = tasks.complete_task if verb == "complete" else tasks.cancel_task
    msgid = N_("Task done.") if verb == "complete" else N_("Task cancelled.")
    return _after(
        request,
        viewer,
        lead_id,
        lambda s, _tz: close(s, viewer.principal, task_id, now()),
        msgid,
        "leads/_tasks.html",
    )


@router.post("/leads/{lead_id:int}/won")
async def won(request: Request, lead_id: int, viewer: CurrentViewer) -> Response:
    form = await request.form()
    amount = parse_amount(str(form.get("amount", "")))
    currency = str(form.get("currency", "VND"))

    def action(session: Session, _tz: str) -> object:
        return conversion.mark_won(session, viewer.principal, lead_id, amount, currency, now())

    return _after(
        request, viewer, lead_id, action, N_("Won! The lead is now a customer."), "leads/_conversion.html"
    )


@router.post("/leads/{lead_id:int}/lost")
async def lost(request: Request, lead_id: int, viewer: CurrentViewer) -> Response:
    form = await request.form()
    reason, note = str(form.get("reason", "")), str(form.get("note", ""))

    def action(session: Session, _tz: str) -> object:
        return conversion.mark_lost(session, viewer.principal, lead_id, reason, now(), note or None)

    return _after(request, viewer, lead_id, action, N_("The lead was marked lost."), "leads/_conversion.html")


@router.post("/leads/{lead_id:int}/recycle")
def recycle(request: Request, lead_id: int, viewer: CurrentViewer) -> Response:
    return _after(
        request,
        viewer,
        lead_id,
        lambda s, _tz: conversion.recycle(s, viewer.principal, lead_id, now()),
        N_("The lead went back to nurturing."),
        "leads/_conversion.html",
    )


def outcome_label(locale: str, code: str | None) -> str:
    msgid = labels_tasks.OUTCOMES.get(code or "")
    return gettext(locale, msgid) if msgid else (code or "")
