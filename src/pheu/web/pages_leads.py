"""Lead pages: the filtered list, one lead's profile and timeline, and moving a lead to another stage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from pheu.db import unit_of_work
from pheu.i18n import N_
from pheu.lifecycle import LeadKind
from pheu.services import events, leads, stages
from pheu.services.errors import Invalid
from pheu.services.schemas import StageMoveIn
from pheu.store import Campaign, Channel, Lead, User
from pheu.web import queries
from pheu.web.auth import CurrentViewer, Viewer, request_locale
from pheu.web.errors import PageRoute, service_error_message
from pheu.web.filters import PAGE_SIZE, LeadFilters
from pheu.web.pages_board import board_context
from pheu.web.pages_handoff_team import reassign_context
from pheu.web.pages_scoring_lead import lead_cards
from pheu.web.pages_tasks import task_context
from pheu.web.templating import flash, is_htmx, render, toast_headers, tr

router = APIRouter(route_class=PageRoute)
FormText = Annotated[str, Form()]
RESULTS_TARGET = "lead-results"


@dataclass(frozen=True, slots=True)
class FilterOptions:
    channels: list[Channel]
    campaigns: list[Campaign]
    owners: list[User] | None  # None: this viewer sees only their own leads, so no owner filter


def _options(session: Session, viewer: Viewer) -> FilterOptions:
    owners = None if viewer.sees_only_own_leads else queries.lead_owners(session)
    return FilterOptions(queries.channels(session), queries.campaigns(session), owners)


@router.get("/leads")
def lead_list(request: Request, viewer: CurrentViewer) -> Response:
    filters = LeadFilters.parse(request.query_params, owner_filter=not viewer.sees_only_own_leads)
    query = filters.query(PAGE_SIZE)
    partial = is_htmx(request) and request.headers.get("HX-Target") == RESULTS_TARGET
    with unit_of_work(request.app.state.db_url) as session:
        page = leads.list_leads(session, viewer.principal, query)
        total = leads.count_leads(session, viewer.principal, query)
        context: dict[str, Any] = {"filters": filters, "page": page, "total": total, "section": "leads"}
        if partial:
            # The address bar gets the canonical URL, not the raw form with its empty fields.
            canonical = {"HX-Push-Url": filters.url(cursor=filters.cursor)}
            return render(request, "leads/_results.html", context, headers=canonical)
        context["options"] = _options(session, viewer)
        return render(request, "leads/list.html", context)


@router.get("/leads/{lead_id:int}")
def lead_page(request: Request, lead_id: int, viewer: CurrentViewer) -> Response:
    with unit_of_work(request.app.state.db_url) as session:
        lead = leads.get_lead(session, viewer.principal, lead_id)
        timeline = events.timeline(session, viewer.principal, lead_id)
        context = {
            "lead": lead,
            "timeline": timeline,
            "preselect": request.query_params.get("move", ""),
            "section": "leads",
            **lead_cards(session, viewer, lead, _now()),
            **task_context(session, viewer, lead_id, request_locale(request)),
            **reassign_context(session, viewer, lead),
        }
        return render(request, "leads/detail.html", context)


def _parse_move(stage: str, reason: str) -> StageMoveIn | str:
    """The move asked for, or the msgid of what is wrong with the form."""
    if not stage:
        return N_("Choose the stage to move the lead to.")
    try:
        return StageMoveIn(stage=stage, reason=reason)
    except ValidationError as exc:
        if any(e["loc"] == ("reason",) for e in exc.errors()):
            return N_("The reason can be at most 1,000 characters long.")
        return N_("Choose the stage to move the lead to.")


@router.post("/leads/{lead_id:int}/stage")
def move_stage(
    request: Request,
    lead_id: int,
    viewer: CurrentViewer,
    stage: FormText = "",
    reason: FormText = "",
    board: FormText = "",
) -> Response:
    """Move a lead; answers the refreshed stage card and timeline (or the board) for HTMX, else redirects."""
    move = _parse_move(stage, reason)
    error = tr(request, move) if isinstance(move, str) else None
    if isinstance(move, StageMoveIn):
        try:
            with unit_of_work(request.app.state.db_url) as session:
                stages.move_stage(
                    session, viewer.principal, lead_id, move.stage, reason=move.reason, now=_now()
                )
        except Invalid as exc:
            error = service_error_message(request_locale(request), exc)
    toast = ("success", tr(request, N_("Lead moved."))) if error is None else ("danger", error)
    if not is_htmx(request):
        flash(request, *toast)
        return RedirectResponse(f"/leads/{lead_id}", status_code=303)
    if board in {k.value for k in LeadKind}:
        return _board_after_move(request, viewer, LeadKind(board), toast)
    return _stage_after_move(request, viewer, lead_id, error, stage, reason, toast)


def _stage_after_move(
    request: Request,
    viewer: Viewer,
    lead_id: int,
    error: str | None,
    stage: str,
    reason: str,
    toast: tuple[str, str],
) -> Response:
    with unit_of_work(request.app.state.db_url) as session:
        lead: Lead = leads.get_lead(session, viewer.principal, lead_id)
        context: dict[str, Any] = {"lead": lead, "error": error, "moved": error is None}
        if error is None:
            context["timeline"] = events.timeline(session, viewer.principal, lead_id)
        else:
            context.update(preselect=stage, reason=reason)
        return render(request, "leads/_moved.html", context, headers=toast_headers(*toast))


def _board_after_move(request: Request, viewer: Viewer, kind: LeadKind, toast: tuple[str, str]) -> Response:
    with unit_of_work(request.app.state.db_url) as session:
        context = board_context(session, viewer, kind)
        return render(request, "board/_board.html", context, headers=toast_headers(*toast))


def _now() -> datetime:
    return datetime.now(UTC)
