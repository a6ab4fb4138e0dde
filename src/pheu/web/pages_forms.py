"""The form builder: the list of forms with their submissions, and one page to create or edit a form and
copy the snippets that embed it. Admin and marketing only (the service refuses everyone else)."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from pheu.capture.forms import CONSENT_PURPOSES, FORM_FIELDS, KINDS, LEAD_MAGNETS, FieldSpec
from pheu.db import unit_of_work
from pheu.i18n import N_, gettext
from pheu.services import forms
from pheu.services.forms import FormDraft, FormInvalid
from pheu.store import Form
from pheu.web import queries
from pheu.web.auth import CurrentViewer, request_locale
from pheu.web.csrf import csrf_protect
from pheu.web.errors import PageRoute
from pheu.web.public_forms import FIELD_LABELS
from pheu.web.templating import flash, render, tr

router = APIRouter(route_class=PageRoute, dependencies=[Depends(csrf_protect)], include_in_schema=False)

PROBLEMS: Final[dict[str, str]] = {
    "name:required": N_("Give the form a name."),
    "slug:pattern": N_("Use 1–80 lower-case letters, digits and hyphens, like uu-dai-tet-2027."),
    "slug:taken": N_("Another form already uses this address."),
    "fields:no_contact": N_("Include an email or a phone field, or no one can be contacted."),
    "fields:too_long": N_("A label can be at most 200 characters long."),
    "consent_text:required": N_("Write the consent text people agree to for these purposes."),
    "consent_purposes:required": N_("Choose what people consent to, or leave the consent text empty."),
    "redirect_url:scheme": N_("Use a web address starting with http:// or https://."),
    "too_long": N_("This is too long."),
    "unknown": N_("Choose one of the options."),
}
DEFAULT_CONSENT: Final = N_(
    "I agree that the organiser may use my details to send me information and offers. "
    "I can withdraw this consent at any time."
)


async def _form_data(request: Request) -> FormData:
    return await request.form()


Posted = Annotated[FormData, Depends(_form_data)]


def _text(data: FormData, key: str) -> str:
    value = data.get(key)
    return value if isinstance(value, str) else ""


def draft_from(data: FormData) -> FormDraft:
    """The draft a builder post describes. Each offered field posts ``f_<name>_on``, ``_label``,
    ``_required`` and ``_order``; the chosen ones are kept in their order."""
    chosen: list[tuple[float, int, FieldSpec]] = []
    for index, name in enumerate(FORM_FIELDS):
        if not _text(data, f"f_{name}_on"):
            continue
        try:
            order = float(_text(data, f"f_{name}_order") or index)
        except ValueError:
            order = float(index)
        spec = FieldSpec(name, _text(data, f"f_{name}_label"), bool(_text(data, f"f_{name}_required")))
        chosen.append((order, index, spec))
    campaign = _text(data, "campaign_id")
    return FormDraft(
        name=_text(data, "name"),
        slug=_text(data, "slug"),
        kind=_text(data, "kind") or "sales",
        lead_magnet=_text(data, "lead_magnet"),
        fields=tuple(spec for _, _, spec in sorted(chosen, key=lambda c: (c[0], c[1]))),
        title=_text(data, "title"),
        description=_text(data, "description"),
        submit_label=_text(data, "submit_label"),
        consent_text=_text(data, "consent_text"),
        consent_purposes=tuple(v for v in data.getlist("consent_purposes") if isinstance(v, str)),
        thank_you_message=_text(data, "thank_you_message"),
        redirect_url=_text(data, "redirect_url"),
        channel=_text(data, "channel"),
        campaign_id=int(campaign) if campaign.isdigit() else None,
        active=bool(_text(data, "active")),
    )


def draft_of(form: Form) -> FormDraft:
    spec = forms.spec_of(form)
    return FormDraft(
        name=form.name, slug=form.slug, kind=form.kind, lead_magnet=form.lead_magnet, fields=spec.fields,
        title=form.title, description=form.description, submit_label=form.submit_label,
        consent_text=form.consent_text, consent_purposes=spec.consent_purposes,
        thank_you_message=form.thank_you_message, redirect_url=form.redirect_url, channel=form.channel,
        campaign_id=form.campaign_id, active=form.active,
    )  # fmt: skip


def new_draft(locale: str, channel_codes: set[str]) -> FormDraft:
    """A sensible start: name, email and phone, a newsletter, unticked consent to marketing emails, and the
    landing-page channel when the shop has one."""
    fields = (
        FieldSpec("full_name", "", True),
        FieldSpec("email", "", True),
        FieldSpec("phone", "", False),
    )
    return FormDraft(name="", fields=fields, consent_text=gettext(locale, DEFAULT_CONSENT),
                     consent_purposes=("email_marketing",),
                     channel="landing_page" if "landing_page" in channel_codes else None)  # fmt: skip


def field_rows(draft: FormDraft, locale: str) -> list[dict[str, Any]]:
    """Every offered field for the builder table: the chosen ones first, in their order, then the rest."""
    chosen = {f.name: f for f in draft.fields}
    names = [f.name for f in draft.fields] + [n for n in FORM_FIELDS if n not in chosen]
    return [
        {
            "name": name,
            "caption": gettext(locale, FIELD_LABELS[name]),
            "on": name in chosen,
            "label": chosen[name].label if name in chosen else "",
            "required": chosen[name].required if name in chosen else False,
        }
        for name in names
        if name in FIELD_LABELS
    ]


def snippets(base_url: str, form: Form) -> dict[str, str]:
    """What a marketer pastes into their site: the page link, an iframe, or the script that renders the
    form in the host page. ``base_url`` is this server as the browser reached it."""
    link = f"{base_url}/f/{form.slug}"
    title = html.escape(form.title or form.name)
    return {
        "link": link,
        "iframe": f'<iframe src="{link}?embed=1" title="{title}" '
        'style="width:100%;max-width:36rem;border:0" height="720" loading="lazy"></iframe>',
        "script": f'<script src="{base_url}/static/embed.js" data-form="{form.slug}" async></script>',
    }


def problem_messages(locale: str, problems: list[forms.FormProblem]) -> dict[str, str]:
    shown: dict[str, str] = {}
    for p in problems:
        msgid = PROBLEMS.get(f"{p.field}:{p.code}") or PROBLEMS.get(p.code) or PROBLEMS["unknown"]
        shown.setdefault(p.field, gettext(locale, msgid))
    return shown


def _editor(
    request: Request,
    session: Session,
    draft: FormDraft,
    form: Form | None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    locale = request_locale(request)
    base = str(request.base_url).rstrip("/")
    context = {
        "section": "forms",
        "form": form,
        "draft": draft,
        "rows": field_rows(draft, locale),
        "errors": errors or {},
        "kinds": KINDS,
        "magnets": LEAD_MAGNETS,
        "purposes": CONSENT_PURPOSES,
        "channels": queries.channels(session),
        "campaigns": queries.campaigns(session),
        "snippets": snippets(base, form) if form else None,
    }
    return render(request, "forms/edit.html", context, status_code=status)


@router.get("/forms")
def form_list(request: Request, viewer: CurrentViewer) -> Response:
    with unit_of_work(request.app.state.db_url) as session:
        items = forms.list_forms(session, viewer.principal)
        channels = {c.code: c for c in queries.channels(session)}
        return render(request, "forms/list.html", {"section": "forms", "forms": items, "channels": channels})


@router.get("/forms/new")
def new_form(request: Request, viewer: CurrentViewer) -> Response:
    forms.require_manager(viewer.principal)
    with unit_of_work(request.app.state.db_url) as session:
        codes = {c.code for c in queries.channels(session)}
        return _editor(request, session, new_draft(request_locale(request), codes), None)


@router.post("/forms/new")
def create_form(request: Request, viewer: CurrentViewer, data: Posted) -> Response:
    draft = draft_from(data)
    try:
        with unit_of_work(request.app.state.db_url) as session:
            form_id = forms.create_form(session, viewer.principal, draft, _now()).id
    except FormInvalid as exc:
        return _invalid(request, draft, None, exc)
    flash(request, "success", tr(request, N_("Form created. Share its link or embed it on your site.")))
    return RedirectResponse(f"/forms/{form_id}", status_code=303)


@router.get("/forms/{form_id:int}")
def edit_form(request: Request, form_id: int, viewer: CurrentViewer) -> Response:
    with unit_of_work(request.app.state.db_url) as session:
        form = forms.get_form(session, viewer.principal, form_id)
        return _editor(request, session, draft_of(form), form)


@router.post("/forms/{form_id:int}")
def update_form(request: Request, form_id: int, viewer: CurrentViewer, data: Posted) -> Response:
    draft = draft_from(data)
    try:
        with unit_of_work(request.app.state.db_url) as session:
            forms.update_form(session, viewer.principal, form_id, draft, _now())
    except FormInvalid as exc:
        with unit_of_work(request.app.state.db_url) as session:
            form = forms.get_form(session, viewer.principal, form_id)
            return _invalid(request, draft, form, exc, session)
    flash(request, "success", tr(request, N_("Form saved.")))
    return RedirectResponse(f"/forms/{form_id}", status_code=303)


def _invalid(
    request: Request, draft: FormDraft, form: Form | None, exc: FormInvalid, session: Session | None = None
) -> Response:
    errors = problem_messages(request_locale(request), exc.problems)
    if session is not None:
        return _editor(request, session, draft, form, errors, status=422)
    with unit_of_work(request.app.state.db_url) as fresh:
        return _editor(request, fresh, draft, form, errors, status=422)


def _now() -> datetime:
    return datetime.now(UTC)
