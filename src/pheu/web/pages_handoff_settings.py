"""Speed-to-lead settings and reps' availability pages: deadlines per temperature, default working hours,
the hand-off stage; each rep's capacity, absence, languages and days off. Admins and sales managers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from pheu.db import unit_of_work
from pheu.handoff.hours import DAYS
from pheu.i18n import N_
from pheu.services import availability, handoff_settings
from pheu.services.availability import AvailabilityIn
from pheu.services.errors import Invalid
from pheu.services.team_view import reps_in_view
from pheu.web.auth import CurrentViewer
from pheu.web.csrf import csrf_protect
from pheu.web.errors import PageRoute
from pheu.web.templating import flash, render, tr

router = APIRouter(route_class=PageRoute, dependencies=[Depends(csrf_protect)], include_in_schema=False)

DAY_NAMES: Final[dict[str, str]] = {
    "mon": N_("Monday"),
    "tue": N_("Tuesday"),
    "wed": N_("Wednesday"),
    "thu": N_("Thursday"),
    "fri": N_("Friday"),
    "sat": N_("Saturday"),
    "sun": N_("Sunday"),
}
SETTINGS_ERRORS: Final[dict[str, str]] = {
    "deadline_minutes": N_("Deadlines are whole numbers of minutes, at least 1 and at most 14 days."),
    "escalate_after_minutes": N_("The escalation delay is a whole number of minutes (0 = at once)."),
    "working_hours": N_(
        "Write working hours as 08:00-12:00, 13:00-17:30; each interval must end after it starts."
    ),
    "timezone": N_("Use a time zone name such as Asia/Ho_Chi_Minh."),
    "handoff_stage": N_("Choose MQL or SQL."),
    "capacity": N_("Capacity is a whole number from 1 to 100."),
    "away_until": N_("The absence must end after it starts."),
    "away_from": N_("Enter dates as YYYY-MM-DD."),
    "languages": N_("Use language codes such as vi, en."),
    "day": N_("That day is already a day off, or is not a date."),
}


def _now() -> datetime:
    return datetime.now(UTC)


def error_text(request: Request, exc: Invalid) -> str:
    key = (exc.field or "").split(".")[0]
    return tr(request, SETTINGS_ERRORS.get(key, N_("Please check the highlighted values.")))


def hours_text(spans: list[list[str]] | None) -> str:
    return ", ".join(f"{a}-{b}" for a, b in spans or [])


def parse_hours_text(text: str) -> list[list[str]]:
    """ "08:00-12:00, 13:00-17:30" to [["08:00", "12:00"], …]; the core validates the times."""
    spans: list[list[str]] = []
    for part in text.replace(";", ",").split(","):
        if part.strip():
            start, _, end = part.strip().partition("-")
            spans.append([start.strip(), end.strip()])
    return spans


def hours_from_form(form: FormData, prefix: str) -> dict[str, Any]:
    return {day: parse_hours_text(str(form.get(f"{prefix}{day}", ""))) for day in DAYS}


def settings_from_form(form: FormData) -> dict[str, Any]:
    return {
        "deadline_minutes": {t: str(form.get(f"deadline_{t}", "")).strip() for t in ("hot", "warm", "cold")},
        "escalate_after_minutes": str(form.get("escalate_after_minutes", "0")).strip() or "0",
        "working_time": form.get("working_time") == "on",
        "working_hours": hours_from_form(form, "hours_"),
        "timezone": str(form.get("timezone", "")).strip(),
        "handoff_stage": str(form.get("handoff_stage", "")),
    }


@router.get("/handoff/settings")
def settings_page(request: Request, viewer: CurrentViewer) -> Response:
    handoff_settings.require_manager(viewer.principal)
    with unit_of_work(request.app.state.db_url) as session:
        config = handoff_settings.load(session).as_json()
    return render(request, "handoff/settings.html", _settings_context(config, None))


def _settings_context(config: dict[str, Any], error: str | None) -> dict[str, Any]:
    hours = {day: hours_text(config["working_hours"].get(day)) for day in DAYS}
    return {
        "config": config,
        "hours": hours,
        "days": DAY_NAMES,
        "error": error,
        "section": "handoff",
        "tab": "settings",
    }


@router.post("/handoff/settings")
async def save_settings(request: Request, viewer: CurrentViewer) -> Response:
    form = await request.form()
    data = settings_from_form(form)
    try:
        with unit_of_work(request.app.state.db_url) as session:
            handoff_settings.save(session, viewer.principal, data, _now())
    except Invalid as exc:
        shown = {**data, "working_hours": {d: data["working_hours"][d] for d in DAYS}}
        context = _settings_context(shown, error_text(request, exc))
        context["hours"] = {day: str(form.get(f"hours_{day}", "")) for day in DAYS}
        return render(request, "handoff/settings.html", context, status_code=422)
    flash(
        request,
        "success",
        tr(request, N_("Settings saved. New deadlines apply to leads assigned from now on.")),
    )
    return RedirectResponse("/handoff/settings", status_code=303)


@router.get("/handoff/reps")
def reps_page(request: Request, viewer: CurrentViewer) -> Response:
    handoff_settings.require_manager(viewer.principal)
    with unit_of_work(request.app.state.db_url) as session:
        config = handoff_settings.load(session)
        today = _now().astimezone(ZoneInfo(config.timezone)).date()
        reps = reps_in_view(session, viewer.principal)
        off = availability.days_off(session, [u.id for u in reps], today)
        context = {
            "reps": reps,
            "days_off": off,
            "today": today,
            "tz": config.timezone,
            "days": DAY_NAMES,
            "hours_text": hours_text,
            "today_tz": ZoneInfo(config.timezone),
            "one_day": timedelta(days=1),
            "section": "handoff",
            "tab": "reps",
        }
        return render(request, "handoff/reps.html", context)


def _local_date(value: str, tz: str, field: str) -> datetime | None:
    if not value.strip():
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise Invalid("Enter dates as YYYY-MM-DD.", field=field) from None
    return datetime.combine(day, datetime.min.time(), ZoneInfo(tz)).astimezone(UTC)


@router.post("/handoff/reps/{user_id:int}")
async def save_rep(request: Request, user_id: int, viewer: CurrentViewer) -> Response:
    """Away from/until are whole local days: away from the start of the first to the end of the last."""
    form = await request.form()
    try:
        with unit_of_work(request.app.state.db_url) as session:
            tz = handoff_settings.load(session).timezone
            until = _local_date(str(form.get("away_until", "")), tz, "away_until")
            capacity = str(form.get("capacity", "1")).strip()
            own_hours = form.get("own_hours") == "on"
            data = AvailabilityIn(
                capacity=int(capacity) if capacity.isdigit() else 0,
                away_from=_local_date(str(form.get("away_from", "")), tz, "away_from"),
                away_until=until + timedelta(days=1) if until else None,
                languages=[
                    x for x in str(form.get("languages", "")).replace(";", ",").split(",") if x.strip()
                ],
                working_hours=hours_from_form(form, f"hours_{user_id}_") if own_hours else None,
            )
            availability.update_availability(session, viewer.principal, user_id, data, _now())
    except Invalid as exc:
        flash(request, "danger", error_text(request, exc))
        return RedirectResponse(f"/handoff/reps#rep-{user_id}", status_code=303)
    flash(request, "success", tr(request, N_("Availability saved.")))
    return RedirectResponse(f"/handoff/reps#rep-{user_id}", status_code=303)


@router.post("/handoff/reps/{user_id:int}/days-off")
async def add_day_off(request: Request, user_id: int, viewer: CurrentViewer) -> Response:
    form = await request.form()
    try:
        day = date.fromisoformat(str(form.get("day", "")).strip())
        with unit_of_work(request.app.state.db_url) as session:
            availability.add_day_off(
                session, viewer.principal, user_id, day, str(form.get("reason", "")), _now()
            )
    except (ValueError, Invalid):
        flash(request, "danger", tr(request, SETTINGS_ERRORS["day"]))
        return RedirectResponse(f"/handoff/reps#rep-{user_id}", status_code=303)
    flash(request, "success", tr(request, N_("Day off added.")))
    return RedirectResponse(f"/handoff/reps#rep-{user_id}", status_code=303)


@router.post("/handoff/reps/{user_id:int}/days-off/{day}/delete")
def remove_day_off(request: Request, user_id: int, day: date, viewer: CurrentViewer) -> Response:
    with unit_of_work(request.app.state.db_url) as session:
        availability.remove_day_off(session, viewer.principal, user_id, day, _now())
    flash(request, "success", tr(request, N_("Day off removed.")))
    return RedirectResponse(f"/handoff/reps#rep-{user_id}", status_code=303)
