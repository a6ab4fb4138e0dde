"""The pages people use, server-rendered with Jinja2 and HTMX: login, language, and the routers for leads
and the board. Every unsafe request passes the CSRF check first."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from pheu.db import unit_of_work
from pheu.i18n import DEFAULT_LOCALE, N_, normalize_locale
from pheu.services import users
from pheu.services.errors import Unauthorized
from pheu.web import pages_board, pages_leads, queries
from pheu.web.auth import log_in, log_out, safe_next, session_viewer
from pheu.web.csrf import csrf_protect
from pheu.web.errors import PageRoute
from pheu.web.templating import flash, render, set_lang_cookie, tr

router = APIRouter(route_class=PageRoute, dependencies=[Depends(csrf_protect)], include_in_schema=False)
FormText = Annotated[str, Form()]


@router.get("/")
def home() -> Response:
    return RedirectResponse("/leads", status_code=303)


@router.get("/login")
def login_page(request: Request, next: str = "") -> Response:
    if session_viewer(request) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "login.html", {"next": safe_next(next), "email": "", "error": None})


@router.post("/login")
def login(request: Request, email: FormText = "", password: FormText = "", next: FormText = "") -> Response:
    session_viewer(request)
    try:
        with unit_of_work(request.app.state.db_url) as session:
            user_id = users.authenticate(session, email, password, datetime.now(UTC)).id
    except Unauthorized:
        error = tr(request, N_("Wrong email or password."))
        context = {"next": safe_next(next), "email": email, "error": error}
        return render(request, "login.html", context, status_code=400)
    log_in(request, user_id)
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request) -> Response:
    session_viewer(request)
    log_out(request)
    flash(request, "success", tr(request, N_("You have logged out.")))
    return RedirectResponse("/login", status_code=303)


@router.post("/locale")
def switch_locale(request: Request, lang: FormText = "", next: FormText = "") -> Response:
    """Switch the interface language; a logged-in person keeps the choice on their account."""
    locale = normalize_locale(lang) or DEFAULT_LOCALE
    viewer = session_viewer(request)
    if viewer is not None:
        with unit_of_work(request.app.state.db_url) as session:
            queries.save_locale(session, viewer.principal.user_id, locale)
    response = RedirectResponse(safe_next(next), status_code=303)
    set_lang_cookie(response, locale)
    return response


router.include_router(pages_leads.router)
router.include_router(pages_board.router)
