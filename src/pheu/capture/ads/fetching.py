"""When a webhook only says *that* a lead exists: the reference it carries, and the call that reads the lead.

Facebook's lead webhook carries ids, never the person's answers, so capture is two steps: ``parse_webhook``
turns the body into ``LeadRef`` values (cheap, pure, done while the platform waits for our 200), and a
``LeadFetcher`` reads each lead later, outside the request. Keeping the HTTP call behind a one-method
protocol lets tests replay recorded responses and lets a worker retry a fetch without re-parsing anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

# Takes a full URL, returns the response body. The real one speaks HTTPS; tests return recorded bytes.
Opener = Callable[[str], bytes]


@dataclass(frozen=True, slots=True)
class LeadRef:
    """A lead the platform announced but did not send: enough to fetch it and to dedupe the announcement.

    ``provider`` is the lead's ``source`` ("facebook"); ``lead_id`` is the platform's id, which becomes the
    lead's ``external_id``. ``created_at`` is when the person submitted, in UTC, if the webhook said.
    """

    provider: str
    lead_id: str
    form_id: str | None = None
    ad_id: str | None = None
    page_id: str | None = None
    created_at: datetime | None = None


class FetchError(RuntimeError):
    """The platform refused or failed to give us a lead. ``message`` is the platform's own words (shown to
    the person fixing the connection); ``code`` and ``kind`` are its error code and type when it sent them.
    ``retryable`` is ``True`` for network trouble and throttling, where trying later can succeed."""

    def __init__(
        self,
        provider: str,
        message: str,
        *,
        code: int | None = None,
        kind: str | None = None,
        retryable: bool = False,
    ) -> None:
        self.provider = provider
        self.message = message
        self.code = code
        self.kind = kind
        self.retryable = retryable
        detail = ", ".join(part for part in (kind, None if code is None else f"code {code}") if part)
        super().__init__(f"{provider}: {message}" + (f" ({detail})" if detail else ""))


class LeadFetcher(Protocol):
    """Reads one lead by the id a webhook announced; returns the platform's JSON object as decoded."""

    def fetch(self, lead_id: str) -> dict[str, Any]: ...
