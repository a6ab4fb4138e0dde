"""Routes of /api/v1/webhooks: where Facebook, TikTok and Zalo deliver ad leads.

No API key here: each platform proves itself by signing the body with a secret we share with it. The work is
in ``pheu.capture.webhooks``; these routes read the raw bytes (the signature covers them exactly as sent),
hand them over, and answer. ``app.state.facebook_fetcher``, when set, replaces the Graph API reader built
from the settings (tests serve recorded Graph answers through it).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from pheu.api.problems import problem
from pheu.capture import webhooks
from pheu.capture.ads.fetching import LeadFetcher
from pheu.config import get_settings

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])


class WebhookAck(BaseModel):
    """Sent with 200 whenever the body is stored, even if it gave no lead: the platform must not resend
    it. ``status`` is ``processed``, ``failed`` (kept for ``pheu webhooks retry``) or ``skipped``."""

    payload_id: int
    status: str


def _refused(request: Request, exc: webhooks.WebhookRefused) -> Response:
    return problem(exc.status, exc.title, exc.message, code=exc.code, instance=request.url.path)


@router.get("/facebook", response_class=PlainTextResponse, responses={403: {}, 503: {}})
def facebook_handshake(
    request: Request,
    mode: Annotated[str | None, Query(alias="hub.mode")] = None,
    verify_token: Annotated[str | None, Query(alias="hub.verify_token")] = None,
    challenge: Annotated[str | None, Query(alias="hub.challenge")] = None,
) -> Response:
    """Meta's subscription check: echoes ``hub.challenge`` as plain text when the verify token is ours."""
    params = {
        name: value
        for name, value in (
            ("hub.mode", mode),
            ("hub.verify_token", verify_token),
            ("hub.challenge", challenge),
        )
        if value is not None
    }
    try:
        answer = webhooks.check_subscription(params, get_settings())
    except webhooks.WebhookRefused as exc:
        return _refused(request, exc)
    return PlainTextResponse(answer)


async def _receive(request: Request, provider: webhooks.Provider) -> Response | WebhookAck:
    settings = get_settings()
    fetcher: LeadFetcher | None = None
    if provider == "facebook":
        fetcher = getattr(request.app.state, "facebook_fetcher", None) or webhooks.graph_fetcher(settings)
    body = await request.body()
    try:
        result = await run_in_threadpool(
            webhooks.receive,
            request.app.state.db_url,
            provider,
            body,
            request.headers,
            settings,
            datetime.now(UTC),
            fetcher,
        )
    except webhooks.WebhookRefused as exc:
        return _refused(request, exc)
    return WebhookAck(payload_id=result.payload_id, status=result.status)


_REFUSALS: dict[int | str, dict[str, str]] = {
    401: {"description": "Bad signature; nothing stored"},
    503: {"description": "Webhook not configured"},
}


@router.post("/facebook", response_model=WebhookAck, responses=_REFUSALS)
async def facebook_leads(request: Request) -> Response | WebhookAck:
    """A Lead Ads delivery signed in ``X-Hub-Signature-256``; each lead is then read from the Graph API."""
    return await _receive(request, "facebook")


@router.post("/tiktok", response_model=WebhookAck, responses=_REFUSALS)
async def tiktok_leads(request: Request) -> Response | WebhookAck:
    """A TikTok Lead Generation delivery signed in ``X-Open-Signature``."""
    return await _receive(request, "tiktok")


@router.post("/zalo", response_model=WebhookAck, responses=_REFUSALS)
async def zalo_leads(request: Request) -> Response | WebhookAck:
    """A Zalo OA event signed in ``X-ZEvent-Signature``; shared contact details and lead forms land."""
    return await _receive(request, "zalo")
