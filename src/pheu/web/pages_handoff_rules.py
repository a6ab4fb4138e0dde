"""Assignment rules pages: the ordered list, a form to add or edit a rule (conditions, team, strategy),
delete and move up / down. Admins and sales managers only (the services refuse everyone else)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from pheu.db import unit_of_work
from pheu.handoff.regions import PROVINCES
from pheu.i18n import N_
from pheu.services import assignment_rules, handoff_settings
from pheu.services.assignment_rules import RuleIn
from pheu.services.errors import Invalid
from pheu.store import Channel, Team
from pheu.web.auth import CurrentViewer
from pheu.web.csrf import csrf_protect
from pheu.web.errors import PageRoute
from pheu.web.handoff_labels import install_filters
from pheu.web.templating import flash, render, tr

install_filters()
router = APIRouter(route_class=PageRoute, dependencies=[Depends(csrf_protect)], include_in_schema=False)

LIST_INPUTS: Final = ("provinces", "channels", "industries", "languages")
CHECK_INPUTS: Final = ("regions", "temperatures")
# What to tell the person when a field is refused, by the service's field name (prefix).
FIELD_ERRORS: Final[dict[str, str]] = {
    "name": N_("Give the rule a name (at most 120 characters)."),
    "team_id": N_("Choose a team."),
    "strategy": N_("Choose how the team shares its leads."),
    "conditions.min_score": N_("Scores are whole numbers, and the lowest must not be above the highest."),
    "conditions.max_score": N_("Scores are whole numbers, and the lowest must not be above the highest."),
    "conditions": N_("A condition has a value that is not accepted."),
}


def _now() -> datetime:
    return datetime.now(UTC)


def field_error(exc: Invalid) -> str:
    field = exc.field or ""
    return FIELD_ERRORS.get(field) or FIELD_ERRORS.get(field.split(".")[0]) or FIELD_ERRORS["conditions"]


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]


def rule_from_form(form: FormData) -> RuleIn:
    conditions: dict[str, Any] = {key: _split(str(form.get(key, ""))) for key in LIST_INPUTS}
    conditions.update({key: [str(v) for v in form.getlist(key)] for key in CHECK_INPUTS})
    conditions["min_score"] = str(form.get("min_score", "")).strip() or None
    conditions["max_score"] = str(form.get("max_score", "")).strip() or None
    team = str(form.get("team_id", ""))
    return RuleIn(
        name=str(form.get("name", "")),
        team_id=int(team) if team.isdigit() else 0,
        strategy=str(form.get("strategy", "")),
        conditions=conditions,
        active=form.get("active") == "on",
    )


def _form_context(session: Any, viewer: CurrentViewer, **extra: Any) -> dict[str, Any]:
    handoff_settings.require_manager(viewer.principal)
    return {
        "teams": list(session.scalars(select(Team).order_by(Team.name))),
        "channels": list(session.scalars(select(Channel).order_by(Channel.name))),
        "provinces": PROVINCES,
        "section": "handoff",
        "tab": "rules",
        **extra,
    }


@router.get("/handoff/rules")
def rules_page(request: Request, viewer: CurrentViewer) -> Response:
    with unit_of_work(request.app.state.db_url) as session:
        context = _form_context(
            session, viewer, rules=assignment_rules.list_rules(session), values=None, error=None
        )
        context["team_names"] = {t.id: t.name for t in context["teams"]}
        return render(request, "handoff/rules.html", context)


@router.post("/handoff/rules")
async def create_rule(request: Request, viewer: CurrentViewer) -> Response:
    form = await request.form()
    data = rule_from_form(form)
    try:
        with unit_of_work(request.app.state.db_url) as session:
            assignment_rules.create_rule(session, viewer.principal, data, _now())
    except Invalid as exc:
        with unit_of_work(request.app.state.db_url) as session:
            context = _form_context(
                session,
                viewer,
                rules=assignment_rules.list_rules(session),
                values=form,
                error=field_error(exc),
                error_field=exc.field,
            )
            context["team_names"] = {t.id: t.name for t in context["teams"]}
            return render(request, "handoff/rules.html", context, status_code=422)
    flash(request, "success", tr(request, N_("The rule was added at the end of the list.")))
    return RedirectResponse("/handoff/rules", status_code=303)


@router.get("/handoff/rules/{rule_id:int}")
def edit_page(request: Request, rule_id: int, viewer: CurrentViewer) -> Response:
    with unit_of_work(request.app.state.db_url) as session:
        context = _form_context(
            session, viewer, rule=assignment_rules.get_rule(session, rule_id), values=None, error=None
        )
        return render(request, "handoff/rule_edit.html", context)


@router.post("/handoff/rules/{rule_id:int}")
async def update_rule(request: Request, rule_id: int, viewer: CurrentViewer) -> Response:
    form = await request.form()
    data = rule_from_form(form)
    try:
        with unit_of_work(request.app.state.db_url) as session:
            assignment_rules.update_rule(session, viewer.principal, rule_id, data, _now())
    except Invalid as exc:
        with unit_of_work(request.app.state.db_url) as session:
            rule = assignment_rules.get_rule(session, rule_id)
            context = _form_context(
                session, viewer, rule=rule, values=form, error=field_error(exc), error_field=exc.field
            )
            return render(request, "handoff/rule_edit.html", context, status_code=422)
    flash(request, "success", tr(request, N_("The rule was saved.")))
    return RedirectResponse("/handoff/rules", status_code=303)


@router.post("/handoff/rules/{rule_id:int}/delete")
def delete_rule(request: Request, rule_id: int, viewer: CurrentViewer) -> Response:
    with unit_of_work(request.app.state.db_url) as session:
        assignment_rules.delete_rule(session, viewer.principal, rule_id, _now())
    flash(request, "success", tr(request, N_("The rule was deleted. Past assignments keep their history.")))
    return RedirectResponse("/handoff/rules", status_code=303)


@router.post("/handoff/rules/{rule_id:int}/move")
async def move_rule(request: Request, rule_id: int, viewer: CurrentViewer) -> Response:
    form = await request.form()
    step = -1 if form.get("direction") == "up" else 1
    with unit_of_work(request.app.state.db_url) as session:
        assignment_rules.move(session, viewer.principal, rule_id, step, _now())
    return RedirectResponse("/handoff/rules", status_code=303)
