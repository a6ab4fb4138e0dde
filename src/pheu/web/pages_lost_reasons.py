"""The admin page for the managed list of lost reasons: add a reason, rename it in both languages, order it,
switch it off. Reasons are never deleted: old lost leads keep their code."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError
from starlette.responses import RedirectResponse, Response

from pheu.auth.roles import can_manage_users
from pheu.db import unit_of_work
from pheu.i18n import N_
from pheu.services import lost_reasons
from pheu.services.errors import Forbidden, ServiceError
from pheu.services.task_schemas import LostReasonIn
from pheu.web.auth import CurrentViewer, Viewer
from pheu.web.csrf import csrf_protect
from pheu.web.errors import PageRoute
from pheu.web.pages_tasks import now, refusal
from pheu.web.templating import flash, render, tr

router = APIRouter(route_class=PageRoute, dependencies=[Depends(csrf_protect)], include_in_schema=False)
PATH = "/settings/lost-reasons"


def _admin(viewer: Viewer) -> None:
    if not can_manage_users(viewer.role):
        raise Forbidden("Only an admin can change the lost reasons.")


@router.get(PATH)
def reasons_page(request: Request, viewer: CurrentViewer) -> Response:
    _admin(viewer)
    with unit_of_work(request.app.state.db_url) as session:
        context: dict[str, Any] = {"reasons": lost_reasons.list_reasons(session, active_only=False)}
        return render(request, "tasks/lost_reasons.html", context)


async def _save(request: Request, viewer: Viewer, code: str | None) -> Response:
    _admin(viewer)
    form = await request.form()
    position = str(form.get("position", "0")).strip()
    try:
        data = LostReasonIn(
            code=code or str(form.get("code", "")).strip(),
            label_vi=str(form.get("label_vi", "")),
            label_en=str(form.get("label_en", "")),
            active=form.get("active") == "on",
            position=int(position) if position.lstrip("-").isdigit() else 0,
        )
    except ValidationError:
        flash(
            request,
            "danger",
            tr(request, N_("Give the reason a code (lower-case letters, digits, _) and both names.")),
        )
        return RedirectResponse(PATH, status_code=303)
    try:
        with unit_of_work(request.app.state.db_url) as session:
            lost_reasons.save_reason(session, viewer.principal, data, now(), create=code is None)
    except ServiceError as exc:
        if exc.status in {403, 404}:
            raise
        flash(request, "danger", refusal(request, exc))
        return RedirectResponse(PATH, status_code=303)
    flash(request, "success", tr(request, N_("Lost reason saved.")))
    return RedirectResponse(PATH, status_code=303)


@router.post(PATH)
async def add_reason(request: Request, viewer: CurrentViewer) -> Response:
    return await _save(request, viewer, None)


@router.post(PATH + "/{code:str}")
async def edit_reason(request: Request, code: str, viewer: CurrentViewer) -> Response:
    return await _save(request, viewer, code)
