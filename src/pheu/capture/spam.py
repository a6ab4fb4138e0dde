"""Keeping bots out of public forms without a third-party service (no CAPTCHA, nothing fetched, nothing
about the visitor sent elsewhere).

Three checks, cheapest first in what they cost a real person (nothing):

- **Honeypot**: an input named to tempt bots (``website``) that people never see (hidden with CSS, skipped
  by the keyboard and by screen readers). Any text in it marks a bot.
- **Time to submit**: the page carries a signed token (itsdangerous, keyed with the app's secret) holding
  the form's slug, the time it was issued and a random nonce. A submit less than ``MIN_SECONDS`` after the
  page was served is a script; one older than ``MAX_AGE`` is stale (a person is asked to send it again).
  The nonce doubles as the submission's idempotency key, so a double click or a replayed token lands once.
- **Rate limit**: at most ``RATE_LIMIT`` submissions per ``RATE_WINDOW`` per client IP per form, in a
  sliding window.

The rate limiter is pluggable (``RateLimiter``). The default, ``SlidingWindowLimiter``, keeps its windows in
this process's memory: right for the embedded single-process default, but a deployment running several
web processes must plug in a shared store (Redis, or a table) or each process allows the limit on its own.

Everything except the limiter is pure: the secret, the time and the values come in as arguments.
"""

from __future__ import annotations

import functools
import secrets
import threading
from collections import OrderedDict, deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Final, Protocol

from itsdangerous import BadData, URLSafeSerializer

HONEYPOT_FIELD: Final = "website"
TOKEN_FIELD: Final = "form_token"  # noqa: S105 - a field name, not a secret
MIN_SECONDS: Final = 2.0
MAX_AGE: Final = timedelta(days=1)
RATE_LIMIT: Final = 10
RATE_WINDOW: Final = timedelta(minutes=1)
_SALT: Final = "pheu.forms.token"


class Verdict(StrEnum):
    """What screening decided. Only ``OK`` lets a submission through; ``EXPIRED`` and ``RATE_LIMITED`` are
    told to the person honestly, the rest are answered as if they had succeeded (so a bot learns nothing)."""

    OK = "ok"
    HONEYPOT = "honeypot"
    NO_TOKEN = "no_token"  # noqa: S105
    BAD_TOKEN = "bad_token"  # noqa: S105
    TOO_FAST = "too_fast"
    EXPIRED = "expired"
    RATE_LIMITED = "rate_limited"

    @property
    def silent(self) -> bool:
        """Refused, but answered like a success."""
        return self in {Verdict.HONEYPOT, Verdict.NO_TOKEN, Verdict.BAD_TOKEN, Verdict.TOO_FAST}


@dataclass(frozen=True, slots=True)
class FormToken:
    slug: str
    issued_at: datetime
    nonce: str


@functools.lru_cache(maxsize=8)
def _serializer(secret: str) -> URLSafeSerializer:
    """One per secret: building it derives the signing key, which every submission would otherwise redo."""
    return URLSafeSerializer(secret, salt=_SALT)


def issue_token(secret: str, slug: str, issued_at: datetime, nonce: str | None = None) -> str:
    """A token for one rendering of form ``slug``; ``issued_at`` must be timezone-aware."""
    payload = {"f": slug, "t": round(issued_at.timestamp() * 1000), "n": nonce or secrets.token_urlsafe(12)}
    return str(_serializer(secret).dumps(payload))


def read_token(secret: str, token: str, slug: str) -> FormToken | None:
    """The token's contents, or ``None`` when it is forged, damaged or was issued for another form."""
    try:
        payload = _serializer(secret).loads(token)
    except BadData:
        return None
    if not isinstance(payload, dict) or payload.get("f") != slug:
        return None
    issued, nonce = payload.get("t"), payload.get("n")
    if not isinstance(issued, int) or not isinstance(nonce, str):
        return None
    return FormToken(slug, datetime.fromtimestamp(issued / 1000, UTC), nonce)


def timing(token: FormToken, now: datetime) -> Verdict:
    age = now - token.issued_at
    if age < timedelta(seconds=MIN_SECONDS):
        return Verdict.TOO_FAST
    if age > MAX_AGE:
        return Verdict.EXPIRED
    return Verdict.OK


def screen(
    values: Mapping[str, str], secret: str, slug: str, now: datetime
) -> tuple[Verdict, FormToken | None]:
    """Honeypot and time-to-submit for one submission; the token is returned when it could be read."""
    if (values.get(HONEYPOT_FIELD) or "").strip():
        return Verdict.HONEYPOT, None
    raw = values.get(TOKEN_FIELD)
    if not raw:
        return Verdict.NO_TOKEN, None
    token = read_token(secret, raw, slug)
    if token is None:
        return Verdict.BAD_TOKEN, None
    return timing(token, now), token


def rate_key(slug: str, client_ip: str | None) -> str:
    return f"{slug}|{client_ip or 'unknown'}"


class RateLimiter(Protocol):
    def allow(self, key: str, now: datetime) -> bool:
        """Count one attempt for ``key`` at ``now``; ``False`` when it goes over the limit."""
        ...


class SlidingWindowLimiter:
    """In-process sliding window: the times of the last ``limit`` allowed attempts per key.

    Thread-safe; holds at most ``max_keys`` keys, forgetting the least recently used, so a flood of spoofed
    addresses cannot grow memory without bound. Not shared between processes (see the module docstring).
    """

    def __init__(
        self, limit: int = RATE_LIMIT, window: timedelta = RATE_WINDOW, max_keys: int = 10_000
    ) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._hits: OrderedDict[str, deque[datetime]] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, key: str, now: datetime) -> bool:
        with self._lock:
            hits = self._hits.pop(key, None) or deque()
            while hits and now - hits[0] >= self.window:
                hits.popleft()
            allowed = len(hits) < self.limit
            if allowed:
                hits.append(now)
            self._hits[key] = hits
            while len(self._hits) > self.max_keys:
                self._hits.popitem(last=False)
            return allowed
