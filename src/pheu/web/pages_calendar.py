"""The calendar page: a rep's tasks by day or week (managers pick a rep of their team), and the private
iCalendar feed link to subscribe to from Google Calendar, Outlook or a phone."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from pheu.db import unit_of_work
from pheu.i18n import N_
from pheu.services import calendar_feed, tasks
from pheu.web import labels_tasks
from pheu.web.auth import CurrentViewer
from pheu.web.csrf import csrf_protect
from pheu.web.errors import PageRoute
from pheu.web.pages_tasks import now
from pheu.web.templating import flash, render, tr

router = APIRouter(route_class=PageRoute, dependencies=[Depends(csrf_protect)], include_in_schema=False)


def _day(value: str | None, default: date) -> date:
    try:
        return date.fromisoformat(value) if value else default
    except ValueError:
        return default


@router.get("/calendar")
def calendar_page(request: Request, viewer: CurrentViewer) -> Response:
    params = request.query_params
    view = "day" if params.get("view") == "day" else "week"
    rep = params.get("rep")
    with unit_of_work(request.app.state.db_url) as session:
        zone = ZoneInfo(tasks.handoff_config(session).timezone)
        today = now().astimezone(zone).date()
        chosen = _day(params.get("date"), today)
        first = chosen if view == "day" else chosen - timedelta(days=chosen.weekday())
        length = 1 if view == "day" else 7
        begin = datetime.combine(first, time(), tzinfo=zone)
        user, found = tasks.calendar(
            session, viewer.principal, int(rep) if rep and rep.isdigit() else None, begin,
            begin + timedelta(days=length),
        )  # fmt: skip
        days: dict[date, list[Any]] = {first + timedelta(days=i): [] for i in range(length)}
        for task, lead in found:
            days[task.due_at.astimezone(zone).date()].append((task, lead))
        step = timedelta(days=length)
        context: dict[str, Any] = {
            "user": user,
            "view": view,
            "days": days,
            "today": today,
            "first": first,
            "prev_day": (first - step).isoformat(),
            "next_day": (first + step).isoformat(),
            "rep_param": f"&rep={user.id}" if rep else "",
            "reps": tasks.viewable_users(session, viewer.principal),
            "own": user.id == viewer.principal.user_id,
            "has_feed": calendar_feed.has_feed(session, viewer.principal),
            "feed_url": request.session.pop("calendar_feed_url", None),
            "task_labels": labels_tasks,
            "section": "calendar",
        }
        return render(request, "calendar/calendar.html", context)


@router.post("/calendar/feed")
def issue_feed(request: Request, viewer: CurrentViewer) -> Response:
    """A new private feed URL, shown once on the next page (the previous URL stops working)."""
    with unit_of_work(request.app.state.db_url) as session:
        token = calendar_feed.issue_token(session, viewer.principal, now())
    request.session["calendar_feed_url"] = str(request.url_for("calendar_feed", token=token))
    flash(
        request,
        "success",
        tr(request, N_("Your calendar link is ready. Copy it now: it is shown only once.")),
    )
    return RedirectResponse("/calendar", status_code=303)


@router.post("/calendar/feed/revoke")
def revoke_feed(request: Request, viewer: CurrentViewer) -> Response:
    with unit_of_work(request.app.state.db_url) as session:
        calendar_feed.revoke(session, viewer.principal, now())
    flash(request, "success", tr(request, N_("The calendar link was switched off.")))
    return RedirectResponse("/calendar", status_code=303)
