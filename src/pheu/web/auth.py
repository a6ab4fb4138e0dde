"""Who is looking at a page: the session login, the current viewer, and the language they read.

The session cookie is signed, not encrypted, and holds only the user id and the CSRF token; the user row is
read on every request so a deactivated account is locked out at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Final
from urllib.parse import quote, urlsplit

from fastapi import Depends, HTTPException, Request

from pheu.auth.roles import Principal, Role, can_reassign, sees_only_own_leads
from pheu.config import get_settings
from pheu.db import unit_of_work
from pheu.i18n import DEFAULT_LOCALE, normalize_locale
from pheu.services import users
from pheu.web import csrf
from pheu.web.queries import active_user

USER_KEY: Final = "user_id"
LANG_COOKIE: Final = "lang"
HOME: Final = "/leads"


@dataclass(frozen=True, slots=True)
class Viewer:
    principal: Principal
    email: str
    saved_locale: str

    @property
    def name(self) -> str:
        return self.principal.name

    @property
    def role(self) -> Role:
        return self.principal.role

    @property
    def sees_only_own_leads(self) -> bool:
        return sees_only_own_leads(self.role)

    @property
    def can_reassign(self) -> bool:
        return can_reassign(self.role)


def load_viewer(db_url: str, user_id: int) -> Viewer | None:
    with unit_of_work(db_url) as session:
        user = active_user(session, user_id)
        if user is None:
            return None
        return Viewer(principal=users.principal_for(user), email=user.email, saved_locale=user.locale)


def session_viewer(request: Request) -> Viewer | None:
    """The logged-in viewer, or ``None``; also fixes ``request.state.locale`` for the templates."""
    cached = getattr(request.state, "viewer", None)
    if isinstance(cached, Viewer):
        return cached
    user_id = request.session.get(USER_KEY)
    viewer = load_viewer(request.app.state.db_url, user_id) if isinstance(user_id, int) else None
    if viewer is None and user_id is not None:
        request.session.clear()
    request.state.viewer = viewer
    request.state.locale = resolve_locale(request, viewer)
    return viewer


def current_viewer(request: Request) -> Viewer:
    """A page dependency: the viewer, or a 401 that the error handler turns into a login redirect."""
    viewer = session_viewer(request)
    if viewer is None:
        raise HTTPException(status_code=401, detail="unauthorized")
    return viewer


def resolve_locale(request: Request, viewer: Viewer | None) -> str:
    """``?lang=`` on this request, else the viewer's saved language, else the ``lang`` cookie, else the
    configured default (Vietnamese)."""
    for candidate in (
        request.query_params.get("lang"),
        viewer.saved_locale if viewer else None,
        request.cookies.get(LANG_COOKIE),
        get_settings().default_locale,
    ):
        code = normalize_locale(candidate)
        if code:
            return code
    return DEFAULT_LOCALE


def request_locale(request: Request) -> str:
    locale = getattr(request.state, "locale", None)
    if isinstance(locale, str):
        return locale
    locale = resolve_locale(request, None)
    request.state.locale = locale
    return locale


def log_in(request: Request, user_id: int) -> None:
    """Start a fresh session for ``user_id``: nothing from before login survives, the CSRF token included."""
    request.session.clear()
    request.session[USER_KEY] = user_id
    csrf.new_token(request)
    request.state.viewer = None


def log_out(request: Request) -> None:
    request.session.clear()


def safe_next(value: str | None, default: str = HOME) -> str:
    """A path on this site to go back to after login; anything else (another host, a scheme) → ``default``."""
    if not value:
        return default
    value = value.strip()
    if not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    return value


def login_url(request: Request) -> str:
    """The login page, with the page the person was after (for HTMX, the page they are on) as ``next``."""
    current = request.headers.get("HX-Current-URL")
    if current:
        parts = urlsplit(current)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
    else:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return "/login?next=" + quote(safe_next(target), safe="/")


CurrentViewer = Annotated[Viewer, Depends(current_viewer)]
