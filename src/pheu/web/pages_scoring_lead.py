"""Scoring on a lead's page and the team's BANT bar: "why this score", the lead's BANT form, converting an
SQL that meets the bar into an Opportunity, and ``/scoring/bant``.

What a person may do is decided by the services: a sales rep reaches only their own leads (another rep's lead
answers 404 here as on the lead page), and only admins and sales managers set the criteria (others get 403).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, Final

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from pheu.db import unit_of_work
from pheu.i18n import N_
from pheu.lifecycle import LeadKind, Stage
from pheu.score.bant import Authority, Level, Money, TimingWindow
from pheu.services import leads, scoring_bant
from pheu.services.errors import Invalid
from pheu.services.scoring_bant import CRITERIA_EDITORS, BantPatch, CriteriaIn, OpportunityIn
from pheu.services.scoring_lead import explain
from pheu.store import Lead
from pheu.web.auth import CurrentViewer, Viewer, request_locale
from pheu.web.csrf import csrf_protect
from pheu.web.errors import PageRoute, service_error_message
from pheu.web.templating import flash, is_htmx, render, toast_headers, tr

router = APIRouter(route_class=PageRoute, dependencies=[Depends(csrf_protect)], include_in_schema=False)

LEVELS: Final = {Level.LOW.value: N_("Low"), Level.MEDIUM.value: N_("Medium"), Level.HIGH.value: N_("High")}
AUTHORITIES: Final = {
    Authority.DECISION_MAKER.value: N_("Decision maker"),
    Authority.INFLUENCER.value: N_("Influencer"),
    Authority.NONE.value: N_("No say in the purchase"),
}
WINDOWS: Final = {
    TimingWindow.MONTH.value: N_("Within a month"),
    TimingWindow.QUARTER.value: N_("Within 3 months"),
    TimingWindow.HALF_YEAR.value: N_("Within 6 months"),
    TimingWindow.YEAR.value: N_("Within 12 months"),
    TimingWindow.LATER.value: N_("Later than 12 months"),
}
TEMPERATURES: Final = {"cold": N_("Cold"), "warm": N_("Warm"), "hot": N_("Hot")}
# What to say about a field the form could not take, by field.
FIELD_ERRORS: Final = {
    "budget_amount_minor": N_("Enter the budget as a whole amount, for example 50000000."),
    "opportunity_amount_minor": N_("Enter the amount as a whole number above zero, for example 120000000."),
    "amount_minor": N_("Enter the amount as a whole number above zero, for example 120000000."),
    "min_budget_minor": N_("Enter the budget as a whole amount, for example 50000000."),
    "timing_date": N_("Enter a date, for example 2027-01-31."),
    "expected_close_date": N_("Enter a date from today on, for example 2027-01-31."),
    "need": N_("At most 4,000 characters."),
    "notes": N_("At most 4,000 characters."),
    "reason": N_("The reason can be at most 1,000 characters long."),
}
CHOICE_ERROR: Final = N_("Choose one of the options.")
BANT_INPUTS: Final = (
    "budget_amount_minor", "budget_level", "authority", "need", "need_level", "timing_window", "timing_date",
    "notes",
)  # fmt: skip
AMOUNT_INPUTS: Final = frozenset(
    {"budget_amount_minor", "opportunity_amount_minor", "amount_minor", "min_budget_minor"}
)


def _now() -> datetime:
    return datetime.now(UTC)


def whole_amount(text: str) -> int | str | None:
    """An amount as people type it ("50.000.000", "50,000,000", "50 000 000") in whole units; the text
    itself when it is not one, for the model's check to refuse with the field named."""
    cleaned = "".join(ch for ch in text if ch not in " .,_\u00a0")
    if not cleaned:
        return None
    return int(cleaned) if cleaned.isdigit() else text


def form_values(form: FormData, names: tuple[str, ...]) -> dict[str, Any]:
    """The posted fields as the services' models take them: empty → ``None``, amounts as whole numbers."""
    values: dict[str, Any] = {}
    for name in names:
        raw = str(form.get(name, "")).strip()
        values[name] = whole_amount(raw) if name in AMOUNT_INPUTS else (raw or None)
    return values


def field_errors(request: Request, exc: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for error in exc.errors():
        name = str(error["loc"][0]) if error["loc"] else ""
        errors.setdefault(name, tr(request, FIELD_ERRORS.get(name, CHOICE_ERROR)))
    return errors


def lead_cards(session: Session, viewer: Viewer, lead: Lead, now: datetime) -> dict[str, Any]:
    """What the lead page's "why this score" and BANT cards show, for a lead the viewer may see."""
    context: dict[str, Any] = {
        "why": explain(session, viewer.principal, lead.id, now),
        "TEMPERATURES": TEMPERATURES,
        "bant": None,
    }
    if lead.kind == LeadKind.SALES.value:
        view = scoring_bant.view(session, viewer.principal, lead.id, now)
        context.update(
            bant=view,
            bant_values=_stored_values(view),
            bant_errors={},
            deal_errors={},
            can_convert=lead.stage == Stage.SQL.value and view.met,
            LEVELS=LEVELS,
            AUTHORITIES=AUTHORITIES,
            WINDOWS=WINDOWS,
            money=_money,
        )
    return context


def _money(amount: int | None, currency: str | None, locale: str) -> str:
    return "" if amount is None else Money(amount, currency or "VND").text(locale)


def _stored_values(view: scoring_bant.BantView) -> dict[str, Any]:
    record = view.record
    if record is None:
        return {}
    values = {name: getattr(record, name) for name in (*BANT_INPUTS, "budget_currency")}
    values["opportunity_amount_minor"] = record.opportunity_amount_minor
    values["expected_close_date"] = record.expected_close_date
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items() if v is not None}


def _cards(
    request: Request,
    viewer: Viewer,
    lead_id: int,
    over: dict[str, Any],
    toast: tuple[str, str] | None = None,
) -> Response:
    """The BANT card (with what was typed and what was wrong) and, out of band, the score card."""
    with unit_of_work(request.app.state.db_url) as session:
        lead = leads.get_lead(session, viewer.principal, lead_id)
        context = {"lead": lead, **lead_cards(session, viewer, lead, _now()), **over}
        headers = toast_headers(*toast) if toast else None
        return render(request, "scoring/_lead_cards.html", context, headers=headers)


@router.post("/leads/{lead_id:int}/bant")
async def save_bant(request: Request, lead_id: int, viewer: CurrentViewer) -> Response:
    """Record Budget, Authority, Need and Timing: every field of the form replaces the stored one."""
    form = await request.form()
    values = form_values(form, BANT_INPUTS)
    values["budget_currency"] = (
        str(form.get("budget_currency") or "VND") if values["budget_amount_minor"] else None
    )
    values["need"] = values["need"] or ""
    errors: dict[str, str] = {}
    try:
        patch = BantPatch.model_validate(values)
        with unit_of_work(request.app.state.db_url) as session:
            scoring_bant.update(session, viewer.principal, lead_id, patch, _now())
    except ValidationError as exc:
        errors = field_errors(request, exc)
    except Invalid as exc:
        errors = {exc.field or "": service_error_message(request_locale(request), exc)}
    if not errors:
        toast = ("success", tr(request, N_("BANT saved.")))
        if not is_htmx(request):
            flash(request, *toast)
            return RedirectResponse(f"/leads/{lead_id}#bant-card", status_code=303)
        return _cards(request, viewer, lead_id, {}, toast)
    if not is_htmx(request):
        flash(
            request,
            "danger",
            tr(request, N_("BANT was not saved: %(problem)s"), problem=next(iter(errors.values()))),
        )
        return RedirectResponse(f"/leads/{lead_id}#bant-card", status_code=303)
    shown = {k: str(form.get(k, "")) for k in (*BANT_INPUTS, "budget_currency")}
    return _cards(request, viewer, lead_id, {"bant_values": shown, "bant_errors": errors})


@router.post("/leads/{lead_id:int}/opportunity")
async def convert(request: Request, lead_id: int, viewer: CurrentViewer) -> Response:
    """Turn an SQL that meets the team's BANT bar into an Opportunity, with the deal's amount and close date."""
    form = await request.form()
    values = form_values(form, ("amount_minor", "expected_close_date", "reason"))
    values["reason"] = values["reason"] or ""
    errors: dict[str, str] = {}
    try:
        deal = OpportunityIn.model_validate(values)
        with unit_of_work(request.app.state.db_url) as session:
            scoring_bant.move_to_opportunity(session, viewer.principal, lead_id, deal, _now())
    except ValidationError as exc:
        errors = field_errors(request, exc)
    except Invalid as exc:
        field = "expected_close_date" if exc.field == "expected_close_date" else ""
        errors = {field: service_error_message(request_locale(request), exc)}
        if exc.code == "opportunity_not_ready":
            errors = {"": tr(request, N_("This lead does not meet the team's BANT criteria yet."))}
    if not errors:
        flash(request, "success", tr(request, N_("The lead is now an Opportunity.")))
        if is_htmx(request):
            return Response(status_code=204, headers={"HX-Redirect": f"/leads/{lead_id}"})
        return RedirectResponse(f"/leads/{lead_id}", status_code=303)
    if not is_htmx(request):
        flash(request, "danger", next(iter(errors.values())))
        return RedirectResponse(f"/leads/{lead_id}#bant-card", status_code=303)
    shown = {"opportunity_amount_minor": str(form.get("amount_minor", "")),
             "expected_close_date": str(form.get("expected_close_date", "")), "reason": str(form.get("reason", ""))}  # fmt: skip
    with unit_of_work(request.app.state.db_url) as session:
        lead = leads.get_lead(session, viewer.principal, lead_id)
        stored = _stored_values(scoring_bant.view(session, viewer.principal, lead.id, _now()))
    return _cards(request, viewer, lead_id, {"bant_values": {**stored, **shown}, "deal_errors": errors})


def _criteria_context(session: Session, viewer: Viewer, **over: Any) -> dict[str, Any]:
    current = scoring_bant.criteria(session)
    values = {
        "min_budget_minor": current.min_budget.amount if current.min_budget else None,
        "min_budget_level": current.min_budget_level.value if current.min_budget_level else None,
        "authority": sorted(a.value for a in current.authority),
        "min_need_level": current.min_need_level.value if current.min_need_level else None,
        "timing_within": current.timing_within.value if current.timing_within else None,
    }
    return {
        "section": "scoring",
        "criteria": current,
        "values": values,
        "errors": {},
        "can_edit_criteria": viewer.role in CRITERIA_EDITORS,
        "LEVELS": LEVELS,
        "AUTHORITIES": AUTHORITIES,
        "WINDOWS": WINDOWS,
        **over,
    }


@router.get("/scoring/bant")
def criteria_page(request: Request, viewer: CurrentViewer) -> Response:
    with unit_of_work(request.app.state.db_url) as session:
        return render(request, "scoring/bant.html", _criteria_context(session, viewer))


@router.post("/scoring/bant")
async def save_criteria(request: Request, viewer: CurrentViewer) -> Response:
    """Set the team's bar for an Opportunity (admins and sales managers; the service refuses others)."""
    form = await request.form()
    values = form_values(form, ("min_budget_minor", "min_budget_level", "min_need_level", "timing_within"))
    values["authority"] = [str(v) for v in form.getlist("authority")]
    try:
        data = CriteriaIn.model_validate(values)
    except ValidationError as exc:
        with unit_of_work(request.app.state.db_url) as session:
            context = _criteria_context(session, viewer, values=values, errors=field_errors(request, exc))
            return render(request, "scoring/bant.html", context, status_code=422)
    with unit_of_work(request.app.state.db_url) as session:
        scoring_bant.set_criteria(session, viewer.principal, data, _now())
    flash(request, "success", tr(request, N_("The team's BANT criteria were saved.")))
    return RedirectResponse("/scoring/bant", status_code=303)
