"""Errors on pages: a translated error page in the layout, a toast for HTMX, a login redirect for 401.

Routes raise the services' ``ServiceError``s freely: ``PageRoute`` turns them into HTTP errors carrying the
error code, and ``html_error`` (called by the app's HTTP error handler for every non-API path) renders them.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Final

from fastapi import FastAPI, HTTPException, Request
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import RedirectResponse, Response

from pheu.i18n import N_, gettext
from pheu.lifecycle import IllegalMove
from pheu.services.errors import ServiceError
from pheu.web import labels
from pheu.web.auth import login_url, request_locale, session_viewer
from pheu.web.templating import render, toast_headers

log = logging.getLogger("pheu.web")

_PAGES: Final[dict[int, tuple[str, str]]] = {
    400: (N_("Bad request"), N_("The request could not be understood. Check the address and try again.")),
    403: (N_("Not allowed"), N_("You are not allowed to see this page or to do this.")),
    404: (
        N_("Page not found"),
        N_("We could not find this page. It may have been removed, or you may not have access to it."),
    ),
    405: (N_("Not allowed"), N_("This address does not accept that kind of request.")),
    409: (N_("Conflict"), N_("This clashes with data that already exists.")),
    422: (N_("Invalid input"), N_("Some of the information sent is not valid.")),
    500: (
        N_("Something went wrong"),
        N_("Something went wrong on our side; nothing was changed. Try again."),
    ),
}

MESSAGES: Final[dict[str, str]] = {
    "csrf": N_("This form has expired. Reload the page and try again."),
    "not_found": N_(
        "We could not find this page. It may have been removed, or you may not have access to it."
    ),
    "forbidden": N_("You are not allowed to see this page or to do this."),
    "unauthorized": N_("Please log in to continue."),
    "invalid": N_("Some of the information sent is not valid."),
    "conflict": N_("This clashes with data that already exists."),
    "illegal_move:move_not_allowed": N_(
        "A lead in %(current)s cannot move to %(target)s. From %(current)s it can move to: %(allowed)s."
    ),
    "illegal_move:reason_required": N_("Moving a lead to %(target)s needs a reason."),
    "illegal_move:same_stage": N_("The lead is already in %(current)s."),
    "illegal_move:recruitment_not_sales": N_("A job applicant cannot enter the sales stage %(target)s."),
    "illegal_move:sales_not_recruitment": N_("A sales lead cannot enter the recruitment stage %(target)s."),
}


class _Params(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "…"


def _stage_names(locale: str, codes: str) -> str:
    names = [gettext(locale, labels.STAGES[c]) for c in codes.split(", ") if c in labels.STAGES]
    return ", ".join(names) if names else gettext(locale, N_("none"))


def message_for(locale: str, code: str, params: dict[str, str] | None = None) -> str | None:
    """The translated message for an error code, with stage codes in ``params`` shown by name."""
    msgid = MESSAGES.get(code)
    if msgid is None:
        return None
    shown = _Params()
    for key, value in (params or {}).items():
        shown[key] = _stage_names(locale, value) if key in {"current", "target", "allowed"} else value
    return gettext(locale, msgid) % shown


def service_error_message(locale: str, exc: ServiceError) -> str:
    """What to tell the person about a refused request, in their language."""
    localized = getattr(exc, "localized", None)  # errors carrying both languages' details (BANT gaps)
    if callable(localized):
        return str(localized(locale))
    params = exc.__cause__.params if isinstance(exc.__cause__, IllegalMove) else None
    message = message_for(locale, exc.code, params)
    if message is not None:
        return message
    return gettext(locale, _PAGES.get(exc.status, _PAGES[400])[1])


class PageRoute(APIRoute):
    """A route whose ``ServiceError``s become HTTP errors (NotFound → 404 page) instead of API problems."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            try:
                return await handler(request)
            except ServiceError as exc:
                raise HTTPException(status_code=exc.status, detail=exc.code) from exc

        return run


def _viewer_or_none(request: Request) -> None:
    try:
        session_viewer(request)
    except Exception:  # the error page must render even when the database is what failed
        log.warning("could not load the viewer for an error page", exc_info=True)
        request.state.viewer = None


async def html_error(request: Request, exc: StarletteHTTPException) -> Response:
    """The page (or, for HTMX, the toast) answering an HTTP error on a non-API path."""
    if exc.status_code == 401:
        url = login_url(request)
        if request.headers.get("HX-Request") == "true":
            return Response(status_code=204, headers={"HX-Redirect": url})
        return RedirectResponse(url, status_code=303)
    await run_in_threadpool(_viewer_or_none, request)
    locale = request_locale(request)
    title, text = _PAGES.get(exc.status_code, _PAGES[500] if exc.status_code >= 500 else _PAGES[400])
    detail = message_for(locale, exc.detail) if isinstance(exc.detail, str) else None
    message = detail or gettext(locale, text)
    headers = dict(exc.headers or {})
    if request.headers.get("HX-Request") == "true":
        headers.update(toast_headers("danger", message))
        return Response(message, status_code=exc.status_code, headers=headers, media_type="text/plain")
    context = {"status": exc.status_code, "title": gettext(locale, title), "message": message}
    return render(request, "error.html", context, status_code=exc.status_code, headers=headers)


def install(app: FastAPI) -> None:
    """Answer an unexpected error on a page with the error page; API paths keep their problem details."""
    api_handler = app.exception_handlers.get(Exception)

    async def unexpected(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith("/api/") and api_handler is not None:
            answer = api_handler(request, exc)
            return await answer if inspect.isawaitable(answer) else answer
        log.exception("unhandled error on %s", request.url.path)
        return await html_error(request, StarletteHTTPException(status_code=500))

    app.add_exception_handler(Exception, unexpected)
