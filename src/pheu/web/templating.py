"""The Jinja2 environment the pages render with: autoescaping on, ``_()`` bound to the request's language,
filters for dates, numbers and labels, and the context every page shares (viewer, CSRF token, flashes)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from fastapi import Request
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from pheu.i18n import DEFAULT_LOCALE, LOCALE_NAMES, LOCALES, gettext, ngettext, normalize_locale
from pheu.lifecycle import REASON_REQUIRED, LeadKind, Stage, allowed_moves, stages_for
from pheu.store import Channel
from pheu.web import csrf, format, labels, reason_text
from pheu.web.auth import LANG_COOKIE, request_locale

TEMPLATES_DIR: Final = Path(__file__).parent / "templates"
FLASH_KEY: Final = "flash"
LANG_COOKIE_MAX_AGE: Final = 60 * 60 * 24 * 365
# Pages hold personal data: never cached (a shared computer's back button included), never framed.
PAGE_HEADERS: Final = {
    "Cache-Control": "no-store",
    "Vary": "HX-Request",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def _locale(ctx: Context) -> str:
    value = ctx.get("locale")
    return value if isinstance(value, str) else DEFAULT_LOCALE


@pass_context
def _gettext(ctx: Context, msgid: str, **params: object) -> str:
    return gettext(_locale(ctx), msgid, **params)


@pass_context
def _reason_message(ctx: Context, reason: Mapping[str, Any], raw: Mapping[str, Any] | None = None) -> str:
    return reason_text.reason_message(_locale(ctx), reason, raw)


@pass_context
def _reason_accepted(ctx: Context, reason: Mapping[str, Any]) -> str:
    return reason_text.reason_accepted(_locale(ctx), reason)


@pass_context
def _ngettext(ctx: Context, singular: str, plural: str, n: int, **params: object) -> str:
    return ngettext(_locale(ctx), singular, plural, n, **params)


def _label(table: Mapping[str, str]) -> Any:
    @pass_context
    def translate(ctx: Context, code: str | None) -> str:
        if not code:
            return ""
        msgid = table.get(code)
        return gettext(_locale(ctx), msgid) if msgid else code

    return translate


@pass_context
def _channel_label(ctx: Context, channel: Channel | None) -> str:
    if channel is None:
        return ""
    msgid = labels.CHANNELS.get(channel.code)
    return gettext(_locale(ctx), msgid) if msgid else channel.name


@pass_context
def _event_label(ctx: Context, event_type: str) -> str:
    known = labels.EVENT_TYPES.get(event_type)
    return gettext(_locale(ctx), known[0]) if known else event_type.replace("_", " ").capitalize()


def _event_icon(event_type: str) -> str:
    known = labels.EVENT_TYPES.get(event_type)
    return f"bi-{known[1] if known else 'activity'}"


@pass_context
def _datetime(ctx: Context, value: Any) -> str:
    return format.format_datetime(value, _locale(ctx))


@pass_context
def _number(ctx: Context, value: int | float) -> str:
    return format.format_number(value, _locale(ctx))


def shown_properties(properties: Mapping[str, Any] | None, limit: int = 4) -> list[tuple[str, str]]:
    """An event's properties worth a line on the timeline: known keys first, never internal ids."""
    items = [(k, v) for k, v in (properties or {}).items() if not k.endswith("_id") and v not in (None, "")]
    items.sort(key=lambda kv: (kv[0] not in labels.EVENT_PROPERTIES, kv[0]))
    return [(k, str(v)) for k, v in items[:limit]]


def move_targets(kind: str, stage: str) -> list[str]:
    """The stages a lead may move to next, in pipeline order."""
    lead_kind = LeadKind(kind)
    allowed = allowed_moves(lead_kind, Stage(stage))
    return [s.value for s in stages_for(lead_kind) if s in allowed]


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html", "xml"], default_for_string=True, default=True),
        trim_blocks=True,
        lstrip_blocks=True,
        # Templates ship with the package and do not change while the app runs; checking each one's file
        # time on every render cost a system call per page (3 % of a form submission's CPU).
        auto_reload=False,
    )
    env.globals.update(
        _=_gettext,
        ngettext=_ngettext,
        LOCALES=LOCALES,
        LOCALE_NAMES=LOCALE_NAMES,
        move_targets=move_targets,
        reason_message=_reason_message,
        reason_accepted=_reason_accepted,
        REASON_REQUIRED=frozenset(s.value for s in REASON_REQUIRED),
    )
    env.filters.update(
        datetime=_datetime,
        isotime=format.iso_datetime,
        number=_number,
        stage_label=_label(labels.STAGES),
        kind_label=_label(labels.KINDS),
        role_label=_label(labels.ROLES),
        actor_label=_label(labels.ACTOR_TYPES),
        magnet_label=_label(labels.LEAD_MAGNETS),
        purpose_label=_label(labels.CONSENT_PURPOSES),
        gender_label=_label(labels.GENDERS),
        sort_label=_label(labels.SORTS),
        property_label=_label(labels.EVENT_PROPERTIES),
        shown_properties=shown_properties,
        channel_label=_channel_label,
        event_label=_event_label,
        event_icon=_event_icon,
        stage_class=format.stage_class,
        score_class=format.score_class,
        initials=format.initials,
        phone=format.format_phone,
        safe_href=format.safe_href,
    )
    return env


def _shared_context(request: Request) -> dict[str, Any]:
    def take_flashes() -> list[dict[str, str]]:
        return list(request.session.pop(FLASH_KEY, []))

    return {
        "locale": request_locale(request),
        "viewer": getattr(request.state, "viewer", None),
        "csrf_token": csrf.token_for(request),
        "take_flashes": take_flashes,
    }


templates: Final = Jinja2Templates(env=_environment(), context_processors=[_shared_context])


def is_htmx(request: Request) -> bool:
    """An HTMX request that wants a fragment (a history restore wants the whole page)."""
    headers = request.headers
    return headers.get("HX-Request") == "true" and headers.get("HX-History-Restore-Request") != "true"


def toast_headers(level: str, message: str) -> dict[str, str]:
    """Headers that make HTMX show a toast. JSON escapes non-ASCII, so Vietnamese survives a latin-1 header."""
    return {"HX-Trigger": json.dumps({"pheu:toast": {"level": level, "message": message}})}


def flash(request: Request, level: str, message: str) -> None:
    """A toast shown on the next full page (after a redirect), for forms posted without HTMX."""
    request.session[FLASH_KEY] = [*request.session.get(FLASH_KEY, []), {"level": level, "message": message}]


def tr(request: Request, msgid: str, **params: object) -> str:
    """``msgid`` in the request's language, for text built outside a template (toasts, flashes)."""
    return gettext(request_locale(request), msgid, **params)


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Render a template; a ``?lang=`` on the request is remembered in the ``lang`` cookie."""
    response = templates.TemplateResponse(
        request, name, context or {}, status_code=status_code, headers=headers
    )
    for header, value in PAGE_HEADERS.items():
        response.headers.setdefault(header, value)
    chosen = normalize_locale(request.query_params.get("lang"))
    if chosen:
        set_lang_cookie(response, chosen)
    return response


def set_lang_cookie(response: Response, locale: str) -> None:
    response.set_cookie(LANG_COOKIE, locale, max_age=LANG_COOKIE_MAX_AGE, samesite="lax", httponly=True)
