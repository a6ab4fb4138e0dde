"""The public face of a form: the hosted landing page ``/f/{slug}``, its submit endpoint (form-encoded or
JSON), and the JSON definition the embed script renders from.

No login and no session CSRF here: these pages are meant to be posted to from other sites. Spam is kept out
by ``pheu.capture.spam`` instead. Other origins may read the JSON answers (CORS ``*``, never with
credentials), and the page may be framed, unlike every other page of Phễu. Pages render without touching the
session, so a visitor gets no cookie from us.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from pheu.capture import spam
from pheu.capture.forms import (
    ALL_PURPOSES,
    CONSENT_FIELD,
    ORIGIN_FIELDS,
    Posted,
    page_origin,
    posted_from_form,
    posted_from_json,
)
from pheu.config import get_settings
from pheu.db import unit_of_work
from pheu.i18n import LOCALES, N_, gettext
from pheu.services import form_writer, forms
from pheu.services.errors import NotFound
from pheu.store import Form
from pheu.web import labels
from pheu.web.auth import resolve_locale
from pheu.web.templating import templates

router = APIRouter(include_in_schema=False)

CORS: Final = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type",
    "Access-Control-Max-Age": "86400",
}
# A landing page may be shown inside any site's iframe; it holds no one's data but what is being typed.
PUBLIC_HEADERS: Final = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "frame-ancestors *",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
PROBLEM: Final = "application/problem+json"

FIELD_LABELS: Final[dict[str, str]] = {
    "full_name": N_("Full name"),
    "email": N_("Email"),
    "phone": N_("Phone"),
    "company": N_("Company"),
    "job_title": N_("Job title"),
    "industry": N_("Industry"),
    "company_size": N_("Company size"),
    "province": N_("Province"),
    "city": N_("City / district"),
    "age_range": N_("Age range"),
    "gender": N_("Gender"),
    "interests": N_("Interests"),
    "notes": N_("Message"),
}
ERRORS: Final[dict[str, str]] = {
    "required": N_("Please fill in this field."),
    "invalid:email": N_("Enter a valid email address, like ten@congty.vn."),
    "invalid:phone": N_("Enter a valid phone number, like 0901 234 567."),
    "no_contact": N_("Enter an email address or a phone number so we can reach you."),
    "expired": N_("This page was open for a long time. Check your details and send them again."),
    "rate_limited": N_("Too many submissions from your network. Wait a minute and try again."),
}
DEFAULT_THANKS: Final = N_("Thank you! We have received your details and will be in touch soon.")
DEFAULT_SUBMIT: Final = N_("Send")
OFFLINE: Final = N_("Could not send the form. Check your connection and try again.")
_STATE_LOCK: Final = threading.Lock()


def clock(request: Request) -> datetime:
    """Now, in UTC; tests set ``app.state.clock`` to a callable to move time without sleeping."""
    override: Callable[[], datetime] | None = getattr(request.app.state, "clock", None)
    return override() if override is not None else datetime.now(UTC)


def limiter(request: Request) -> spam.RateLimiter:
    """The app's rate limiter; ``app.state.form_rate_limiter`` may be set to a shared one before serving."""
    state = request.app.state
    with _STATE_LOCK:
        found: spam.RateLimiter | None = getattr(state, "form_rate_limiter", None)
        if found is None:
            found = spam.SlidingWindowLimiter()
            state.form_rate_limiter = found
        return found


def _is_json(request: Request) -> bool:
    return request.headers.get("content-type", "").split(";")[0].strip().lower() == "application/json"


async def read_posted(request: Request) -> Posted | None:
    """What was posted, or ``None`` for a JSON body that is not an object."""
    referer = request.headers.get("referer")
    if _is_json(request):
        try:
            body = await request.json()
        except ValueError:
            return None
        return posted_from_json(body, referer)
    if _is_urlencoded(request):
        # What browsers send for a form without files. The standard library's parser is a plain split,
        # about a tenth of a submission's CPU cheaper than the streaming multipart parser; it decodes
        # the same way (the bytes as Latin-1, then each %XX sequence as UTF-8).
        body = await request.body()
        try:  # as many fields at most as the multipart parser allows, so a flood of fields is refused
            fields = parse_qsl(body.decode("latin-1"), keep_blank_values=True, max_num_fields=MAX_FIELDS)
        except ValueError:
            return None
        return posted_from_form(fields, referer)
    data = await request.form()
    return posted_from_form(data.multi_items(), referer)


MAX_FIELDS: Final = 1000  # Starlette's own limit for a parsed form


def _is_urlencoded(request: Request) -> bool:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return kind == "application/x-www-form-urlencoded"


def field_rows(
    form: Form, locale: str, values: Mapping[str, str], errors: Mapping[str, str]
) -> list[dict[str, Any]]:
    """The inputs of a form as the page and the embed script show them: labels fall back to the field's
    name in the visitor's language, and an error code becomes a sentence."""
    rows = []
    for spec in forms.spec_of(form).fields:
        code = errors.get(spec.name)
        rows.append(
            {
                "name": spec.name,
                "label": spec.label or gettext(locale, FIELD_LABELS.get(spec.name, spec.name)),
                "type": spec.type,
                "required": spec.required,
                "value": values.get(spec.name, ""),
                "error": error_text(locale, code, spec.name) if code else None,
            }
        )
    return rows


def error_text(locale: str, code: str, field: str = "") -> str:
    msgid = ERRORS.get(f"{code}:{field}") or ERRORS.get(code) or ERRORS["no_contact"]
    return gettext(locale, msgid)


def consent_purposes(form: Form, locale: str) -> list[dict[str, str]]:
    return [
        {"code": p, "label": gettext(locale, labels.CONSENT_PURPOSES.get(p, p))}
        for p in form.consent_purposes
    ]


def _page(
    name: str, context: dict[str, Any], status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    html = templates.env.get_template(name).render(context)
    return HTMLResponse(html, status_code=status, headers={**PUBLIC_HEADERS, **(headers or {})})


def _form_page(
    request: Request,
    form: Form,
    *,
    token: str,
    values: Mapping[str, str] | None = None,
    consents: frozenset[str] = frozenset(),
    errors: Mapping[str, str] | None = None,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    locale = resolve_locale(request, None)
    embedded = request.query_params.get("embed") == "1"
    values = values or {}
    errors = errors or {}
    keep = {
        k: v
        for k, v in (("embed", "1" if embedded else ""), ("lang", request.query_params.get("lang", "")))
        if v
    }
    context = {
        "locale": locale,
        "form": form,
        "rows": field_rows(form, locale, values, errors),
        "purposes": consent_purposes(form, locale),
        "ticked": consents,
        "all_ticked": ALL_PURPOSES in consents,
        "consent_field": CONSENT_FIELD,
        "form_error": error_text(locale, errors[""]) if "" in errors else None,
        "origin": _origin(request, values, embedded),
        "lang_links": {code: "?" + urlencode({**request.query_params, "lang": code}) for code in LOCALES},
        "token": token,
        "token_field": spam.TOKEN_FIELD,
        "honeypot": spam.HONEYPOT_FIELD,
        "action": f"/f/{form.slug}" + (f"?{urlencode(keep)}" if keep else ""),
        "embedded": embedded,
        "submit_label": form.submit_label or gettext(locale, DEFAULT_SUBMIT),
    }
    return _page("forms/public.html", context, status, headers)


def _origin(request: Request, posted: Mapping[str, str], embedded: bool) -> dict[str, str]:
    """Where the visitor came from, carried in hidden inputs: from what they posted when the page is shown
    again, else from this request's address and ``Referer``."""
    if posted:
        return {k: posted[k] for k in ORIGIN_FIELDS if posted.get(k)}
    referer = request.headers.get("referer")
    return page_origin(request.query_params, referer, str(request.url), embedded=embedded)


def _unavailable(request: Request, as_json: bool) -> Response:
    locale = resolve_locale(request, None)
    if as_json:
        return _problem(404, "form_not_found", gettext(locale, N_("This form is not available.")), request)
    return _page("forms/unavailable.html", {"locale": locale}, 404)


def _problem(status: int, code: str, detail: str, request: Request, **extra: Any) -> JSONResponse:
    body = {"type": f"https://pheu.dev/problems/{code.replace('_', '-')}", "title": detail, "status": status,
            "detail": detail, "instance": request.url.path, "code": code, **extra}  # fmt: skip
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=CORS)


@router.get("/f/{slug}")
def landing_page(request: Request, slug: str) -> Response:
    try:
        with unit_of_work(request.app.state.db_url) as session:
            form = forms.public_form(session, slug)
    except NotFound:
        return _unavailable(request, as_json=False)
    token = spam.issue_token(get_settings().secret_key, slug, clock(request))
    return _form_page(request, form, token=token)


@router.get("/f/{slug}/schema")
def form_schema(request: Request, slug: str) -> Response:
    """The form's definition for the embed script, with a fresh time-to-submit token."""
    try:
        with unit_of_work(request.app.state.db_url) as session:
            form = forms.public_form(session, slug)
    except NotFound:
        return _unavailable(request, as_json=True)
    locale = resolve_locale(request, None)
    body = {
        "slug": form.slug,
        "title": form.title or form.name,
        "description": form.description,
        "fields": [
            {k: r[k] for k in ("name", "label", "type", "required")} for r in field_rows(form, locale, {}, {})
        ],
        "consent": {"text": form.consent_text, "purposes": consent_purposes(form, locale)}
        if form.consent_purposes
        else None,
        "submit_label": form.submit_label or gettext(locale, DEFAULT_SUBMIT),
        "submit_url": f"/f/{form.slug}",
        "token_field": spam.TOKEN_FIELD,
        "token": spam.issue_token(get_settings().secret_key, slug, clock(request)),
        "honeypot": spam.HONEYPOT_FIELD,
        "messages": {"required": error_text(locale, "required"), "offline": gettext(locale, OFFLINE)},
    }
    return JSONResponse(body, headers={**CORS, "Cache-Control": "no-store"})


@router.options("/f/{slug}")
@router.options("/f/{slug}/schema")
def preflight(slug: str) -> Response:
    """Browsers ask before a cross-site JSON post; any origin may, because the form is public."""
    return Response(status_code=204, headers=CORS)


@router.post("/f/{slug}")
async def submit(request: Request, slug: str) -> Response:
    """Async, so a submission costs no threadpool hop: screening is cheap and pure, the form comes from a
    short-lived cache, and storing is queued to the app's ``SubmissionWriter`` (answered once committed:
    landed, or stored for the lander under ``pheu serve``). The body is read here rather than through a
    dependency: FastAPI's solving of one was a tenth of a submission's CPU."""
    posted = await read_posted(request)
    as_json = _is_json(request)
    locale = resolve_locale(request, None)
    if posted is None:
        return _problem(
            400, "bad_json", gettext(locale, N_("Send a JSON object of field names and values.")), request
        )
    guard = forms.Guard(
        get_settings().secret_key, limiter(request), request.client.host if request.client else None
    )
    now = clock(request)
    cache, writer = _submit_path(request)
    try:
        form = cache.cached(slug)
        if form is None:
            form = await run_in_threadpool(cache.get, slug)
        result = forms.screen(form, posted, guard, now)
        if not isinstance(result, forms.Submitted):
            result = await asyncio.wrap_future(writer.land(slug, result, now, form))
    except NotFound:
        return _unavailable(request, as_json)
    if result.status in {"accepted", "spam"}:
        return _thanks(request, result.form, as_json, locale)
    return _refused(request, result, posted, as_json, locale, now)


def _submit_path(request: Request) -> tuple[form_writer.ActiveForms, form_writer.SubmissionWriter]:
    """The app's form cache and submission writer, made on first use."""
    state = request.app.state
    with _STATE_LOCK:
        if getattr(state, "form_writer", None) is None:
            state.active_forms = form_writer.ActiveForms(state.db_url)
            queued = getattr(state, "form_landing", "inline") == "queued"
            state.form_writer = form_writer.SubmissionWriter(state.db_url, queued=queued)
        return state.active_forms, state.form_writer


def _thanks(request: Request, form: Form, as_json: bool, locale: str) -> Response:
    """The same answer whether the person was new, known, or a bot: none of them learns which."""
    message = form.thank_you_message or gettext(locale, DEFAULT_THANKS)
    if as_json:
        return JSONResponse(
            {"status": "ok", "message": message, "redirect_url": form.redirect_url}, headers=CORS
        )
    embedded = request.query_params.get("embed") == "1"
    if form.redirect_url and not embedded:
        return RedirectResponse(form.redirect_url, status_code=303, headers=PUBLIC_HEADERS)
    key = (form.id, form.updated_at, locale, embedded)
    html = _THANKS.get(key)
    if html is None:
        context = {"locale": locale, "form": form, "message": message, "embedded": embedded}
        html = templates.env.get_template("forms/thanks.html").render(context)
        if len(_THANKS) >= 256:  # more forms × languages than a business has: start over
            _THANKS.clear()
        _THANKS[key] = html
    return HTMLResponse(html, headers=PUBLIC_HEADERS)


# The thank-you page of each form version, language and framing: it shows nothing of the submission, and
# rendering it was a tenth of the CPU of answering one.
_THANKS: dict[tuple[int, datetime, str, bool], str] = {}


def _refused(
    request: Request, result: forms.Submitted, posted: Posted, as_json: bool, locale: str, now: datetime
) -> Response:
    """An honest refusal: the fields at fault (422), a stale page (422, with a fresh token) or too many
    submissions from one address (429)."""
    status = 429 if result.status == "rate_limited" else 422
    errors = result.errors or {"": result.status}
    headers = {"Retry-After": str(int(spam.RATE_WINDOW.total_seconds()))} if status == 429 else {}
    token = posted.values.get(spam.TOKEN_FIELD, "")
    if result.status == "expired":
        token = spam.issue_token(get_settings().secret_key, result.form.slug, now)
    if as_json:
        shown = [
            {"location": "body", "field": f, "code": c, "message": error_text(locale, c, f)}
            for f, c in errors.items()
        ]
        detail = gettext(locale, N_("Some of the information sent is not valid."))
        extra: dict[str, Any] = {"errors": shown}
        if result.status == "expired":
            extra[spam.TOKEN_FIELD] = token
        response = _problem(status, f"form_{result.status}", detail, request, **extra)
        response.headers.update(headers)
        return response
    return _form_page(
        request, result.form, token=token, values=posted.values, consents=posted.consents, errors=errors,
        status=status, headers=headers,
    )  # fmt: skip
