"""The manager's pages and everyone's notices: the team view (/team), overdue first contacts, the
notifications list with the navbar badge, and "Reassign" on the lead page."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from pheu.auth.roles import Role
from pheu.db import unit_of_work
from pheu.i18n import N_
from pheu.services import assignment, notifications, reassign, speed_to_lead, team_view
from pheu.services.errors import Invalid
from pheu.store import Lead, Team, User
from pheu.web.auth import CurrentViewer, Viewer
from pheu.web.csrf import csrf_protect
from pheu.web.errors import PageRoute
from pheu.web.handoff_labels import install_filters
from pheu.web.templating import flash, render, tr

install_filters()
router = APIRouter(route_class=PageRoute, dependencies=[Depends(csrf_protect)], include_in_schema=False)


def _now() -> datetime:
    return datetime.now(UTC)


@router.get("/team")
def team_page(request: Request, viewer: CurrentViewer) -> Response:
    days = request.query_params.get("days", "30")
    days_n = min(max(int(days), 1), 365) if days.isdigit() else 30
    team = request.query_params.get("team", "")
    team_id = int(team) if team.isdigit() else None
    with unit_of_work(request.app.state.db_url) as session:
        rows = team_view.team_view(session, viewer.principal, _now(), days=days_n, team_id=team_id)
        teams = (
            list(session.scalars(select(Team).order_by(Team.name)))
            if viewer.role is not Role.SALES_MANAGER
            else []
        )
    totals = {
        "open_leads": sum(r.open_leads for r in rows),
        "open_tasks": sum(r.open_tasks for r in rows),
        "overdue": sum(r.overdue for r in rows),
    }
    context = {
        "rows": rows,
        "totals": totals,
        "days": days_n,
        "teams": teams,
        "team_id": team_id,
        "section": "handoff",
        "tab": "team",
    }
    return render(request, "handoff/team.html", context)


@router.get("/handoff/overdue")
def overdue_page(request: Request, viewer: CurrentViewer) -> Response:
    with unit_of_work(request.app.state.db_url) as session:
        items = speed_to_lead.overdue(session, viewer.principal, _now())
    return render(request, "handoff/overdue.html", {"items": items, "section": "handoff", "tab": "overdue"})


@router.get("/notifications")
def notifications_page(request: Request, viewer: CurrentViewer) -> Response:
    with unit_of_work(request.app.state.db_url) as session:
        items = notifications.recent(session, viewer.principal, limit=100)
    return render(request, "handoff/notifications.html", {"items": items, "section": "notifications"})


@router.get("/notifications/badge")
def notifications_badge(request: Request, viewer: CurrentViewer) -> Response:
    """The navbar's unread count, loaded by HTMX so pages do not pay for it."""
    with unit_of_work(request.app.state.db_url) as session:
        count = notifications.unread_count(session, viewer.principal.user_id)
    return render(request, "handoff/_badge.html", {"unread": count})


@router.post("/notifications/read")
async def read_notifications(request: Request, viewer: CurrentViewer) -> Response:
    form = await request.form()
    ids = [int(v) for v in form.getlist("id") if isinstance(v, str) and v.isdigit()]
    with unit_of_work(request.app.state.db_url) as session:
        notifications.mark_read(session, viewer.principal, ids or None, _now())
    target = str(form.get("next", ""))
    if target.startswith("/leads/"):
        return RedirectResponse(target, status_code=303)
    return RedirectResponse("/notifications", status_code=303)


@router.post("/leads/{lead_id:int}/reassign")
async def reassign_lead(request: Request, lead_id: int, viewer: CurrentViewer) -> Response:
    form = await request.form()
    user = str(form.get("user_id", ""))
    try:
        with unit_of_work(request.app.state.db_url) as session:
            reassign.reassign(
                session,
                viewer.principal,
                lead_id,
                int(user) if user.isdigit() else 0,
                _now(),
                str(form.get("note", "")),
            )
    except Invalid:
        flash(request, "danger", tr(request, N_("Choose another rep of your team.")))
        return RedirectResponse(f"/leads/{lead_id}", status_code=303)
    flash(request, "success", tr(request, N_("The lead was reassigned and the rep notified.")))
    return RedirectResponse(f"/leads/{lead_id}", status_code=303)


def reassign_context(session: Session, viewer: Viewer, lead: Lead) -> dict[str, Any]:
    """What the lead page's hand-off card needs: the assignment history and, for managers, who to give it to."""
    history = assignment.latest_assignments(session, lead.id, limit=5)
    ids = {a.user_id for a in history} | {a.previous_user_id for a in history}
    names = (
        dict(session.execute(select(User.id, User.name).where(User.id.in_([i for i in ids if i]))).all())
        if ids
        else {}
    )
    reps = (
        reassign.assignable_reps(session, viewer.principal)
        if viewer.role in {Role.ADMIN, Role.SALES_MANAGER} and lead.kind == "sales"
        else []
    )
    return {
        "handoff_history": history,
        "handoff_names": names,
        "reassign_reps": [r for r in reps if r.id != lead.owner_id],
    }
