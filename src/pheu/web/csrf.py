"""Cross-site request forgery protection for the pages.

The session (a signed cookie) holds a random token; every form posts it as ``csrf_token`` and every HTMX
request sends it as the ``X-CSRF-Token`` header. A state-changing request whose token is missing or wrong is
refused with 403 before its route runs. The JSON API is not covered: it authenticates with a bearer key,
which a browser never sends on its own.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Final

from fastapi import HTTPException, Request

SESSION_KEY: Final = "csrf"
FORM_FIELD: Final = "csrf_token"
HEADER: Final = "X-CSRF-Token"
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})


def new_token(request: Request) -> str:
    token = secrets.token_urlsafe(32)
    request.session[SESSION_KEY] = token
    return token


def token_for(request: Request) -> str:
    """The session's token, created on first use (the login form needs one before anyone logs in)."""
    token = request.session.get(SESSION_KEY)
    if isinstance(token, str) and token:
        return token
    return new_token(request)


async def csrf_protect(request: Request) -> None:
    """A router dependency: refuse an unsafe request that does not carry the session's token."""
    if request.method in SAFE_METHODS:
        return
    expected = request.session.get(SESSION_KEY)
    sent = request.headers.get(HEADER)
    if not sent:
        form = await request.form()
        value = form.get(FORM_FIELD)
        sent = value if isinstance(value, str) else None
    if not isinstance(expected, str) or not sent or not hmac.compare_digest(expected, sent):
        raise HTTPException(status_code=403, detail="csrf")
