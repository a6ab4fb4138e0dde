"""Ads lead webhooks: take a signed delivery from Facebook, TikTok or Zalo, keep it, then turn it into leads.

The order matters, because a platform delivers each lead a few times at most and then gives up:

1. The signature is checked on the bytes as received; a bad one is refused (401) and nothing is stored,
   so no one without the secret can fill our database.
2. The body is stored as an ``InboundPayload`` ("pending") and committed *before* anything reads it. From
   here on the delivery cannot be lost: if the process dies, ``process_pending`` finds it later.
3. Processing (parse; for Facebook, read each lead from Graph; ``capture_many``) runs in its own
   transaction. A body we cannot read or a lead Graph refuses marks the payload "failed" with the reason,
   and the platform still gets 200 - answering an error would only make it send the same body again.

Processing is safe to run twice, concurrently too: the transaction that lands the leads starts by flipping
the payload to "processed" with a conditional UPDATE, so a second runner finds nothing to claim, and a
redelivered lead is a ``duplicate_delivery`` in ``capture_many`` (the lead id is the natural key).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Literal, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pheu.capture import form_queue
from pheu.capture.ads import facebook, tiktok, zalo
from pheu.capture.ads.fetching import FetchError, LeadFetcher, LeadRef
from pheu.capture.intake import CaptureContext, Outcome, capture_many
from pheu.capture.record import IncomingLead
from pheu.config import Settings
from pheu.db import unit_of_work
from pheu.lifecycle import ActorType
from pheu.services.errors import ServiceError
from pheu.store import InboundPayload

Provider = Literal["facebook", "tiktok", "zalo"]
EVENT_TYPE: Final = "ad_lead_submit"
MAX_ATTEMPTS: Final = 10
CHANNELS: Final[dict[Provider, str]] = {
    "facebook": facebook.CHANNEL,
    "tiktok": tiktok.CHANNEL,
    "zalo": zalo.CHANNEL,
}
SIGNATURE_HEADERS: Final[dict[Provider, str]] = {
    "facebook": facebook.SIGNATURE_HEADER,
    "tiktok": tiktok.SIGNATURE_HEADER,
    "zalo": zalo.SIGNATURE_HEADER,
}
# What we keep of a request's headers: enough to re-check or debug a delivery, never cookies or keys.
KEPT_HEADERS: Final = (
    "content-type",
    "user-agent",
    facebook.SIGNATURE_HEADER.lower(),
    "x-hub-signature",
    tiktok.SIGNATURE_HEADER.lower(),
    zalo.SIGNATURE_HEADER.lower(),
    "x-request-id",
    "x-forwarded-for",
)
_ERROR_CHARS: Final = 4000
log = logging.getLogger("pheu.capture.webhooks")


class WebhookRefused(ServiceError):
    """A delivery or handshake we answer with an error; ``title`` is the problem-details title."""

    title = "Webhook refused"


class NotConfigured(WebhookRefused):
    """The provider's secret is not set: we cannot tell a genuine delivery from a forged one, so none is
    accepted. 503 tells the platform (and whoever tests the setup) to come back once it is configured."""

    status = 503
    code = "webhook_not_configured"
    title = "Webhook not configured"


class BadSignature(WebhookRefused):
    status = 401
    code = "bad_signature"
    title = "Bad signature"


class HandshakeRefused(WebhookRefused):
    status = 403
    code = "handshake_refused"
    title = "Not allowed"


class Unprocessable(Exception):
    """Why a stored payload gave no leads, in words for the person fixing it."""


@dataclass(frozen=True, slots=True)
class ProcessResult:
    """What one processing of one payload did. ``skipped`` means another runner had already processed it."""

    payload_id: int
    status: Literal["processed", "failed", "skipped"]
    error: str | None = None
    created: int = 0
    merged: int = 0
    rejected: int = 0
    duplicates: int = 0


@dataclass(slots=True)
class RetrySummary:
    processed: int = 0
    failed: int = 0
    leads_created: int = 0
    duplicates: int = 0
    results: list[ProcessResult] = field(default_factory=list)

    def as_json(self) -> dict[str, int]:
        return {
            "processed": self.processed,
            "failed": self.failed,
            "leads_created": self.leads_created,
            "duplicates": self.duplicates,
        }


@dataclass(frozen=True, slots=True)
class PayloadSummary:
    id: int
    provider: str
    received_at: datetime
    status: str
    attempts: int
    error: str | None
    processed_at: datetime | None


def check_subscription(params: Mapping[str, str], settings: Settings) -> str:
    """The challenge to echo for Facebook's subscription handshake. Raises ``NotConfigured`` without a
    verify token and ``HandshakeRefused`` when the request is not a subscribe with our token."""
    if not settings.facebook_verify_token:
        raise NotConfigured("Set PHEU_FACEBOOK_VERIFY_TOKEN to the token typed in the Meta app dashboard.")
    challenge = facebook.verify_subscription(params, settings.facebook_verify_token)
    if challenge is None:
        raise HandshakeRefused("hub.mode must be 'subscribe' and hub.verify_token must be ours.")
    return challenge


def verify(provider: Provider, raw_body: bytes, headers: Mapping[str, str], settings: Settings) -> None:
    """Raise ``NotConfigured`` or ``BadSignature`` unless ``raw_body`` is signed by ``provider``.
    ``headers`` may use any letter case."""
    header = {k.lower(): v for k, v in headers.items()}.get(SIGNATURE_HEADERS[provider].lower())
    if provider == "facebook":
        _require(("PHEU_FACEBOOK_APP_SECRET", settings.facebook_app_secret))
        genuine = facebook.verify_signature(raw_body, header, settings.facebook_app_secret)
    elif provider == "tiktok":
        _require(("PHEU_TIKTOK_APP_SECRET", settings.tiktok_app_secret))
        genuine = tiktok.verify_signature(raw_body, header, settings.tiktok_app_secret)
    else:
        _require(
            ("PHEU_ZALO_APP_ID", settings.zalo_app_id),
            ("PHEU_ZALO_OA_SECRET_KEY", settings.zalo_oa_secret_key),
        )
        genuine = zalo.verify_signature(
            raw_body, header, app_id=settings.zalo_app_id, oa_secret_key=settings.zalo_oa_secret_key
        )
    if not genuine:
        raise BadSignature(f"{SIGNATURE_HEADERS[provider]} does not sign this body with our secret.")


def _require(*settings: tuple[str, str]) -> None:
    missing = [name for name, value in settings if not value]
    if missing:
        raise NotConfigured(f"Set {' and '.join(missing)} to accept these webhooks.")


def receive(
    url: str,
    provider: Provider,
    raw_body: bytes,
    headers: Mapping[str, str],
    settings: Settings,
    now: datetime,
    fetcher: LeadFetcher | None = None,
) -> ProcessResult:
    """Verify, store, then process one delivery (see the module docstring). Raises ``WebhookRefused``, or
    a database error while storing (the platform then sends again); once the body is stored every problem
    ends as a "failed" payload kept for ``process_pending``.
    ``now`` is an aware UTC time; ``fetcher`` reads Facebook leads (``None``: Facebook payloads fail until
    a Page access token is set, and are retried then)."""
    verify(provider, raw_body, headers, settings)
    payload_id = store(url, provider, raw_body, headers, now)
    return process(url, payload_id, now, fetcher)


def store(url: str, provider: Provider, raw_body: bytes, headers: Mapping[str, str], now: datetime) -> int:
    """Keep a verified body in its own committed transaction and return its id.

    The body is kept as text: bytes that are not UTF-8 (and NUL, which PostgreSQL text refuses) become
    U+FFFD, which no valid JSON delivery contains, so a genuine body is kept byte for byte.
    """
    kept = {k.lower(): v for k, v in headers.items() if k.lower() in KEPT_HEADERS}
    body = raw_body.decode("utf-8", errors="replace").replace("\x00", "\ufffd")
    with unit_of_work(url) as session:
        payload = InboundPayload(
            provider=provider, received_at=now, headers=kept, body=body, status="pending", attempts=0
        )
        session.add(payload)
        session.flush()
        return payload.id


def process(url: str, payload_id: int, now: datetime, fetcher: LeadFetcher | None) -> ProcessResult:
    """Turn a stored payload into leads, or mark it "failed" with the reason. Never raises for a bad
    body, a refused fetch or a database error: the payload stays for the next ``process_pending``."""
    try:
        provider, body, status = _load(url, payload_id)
        if status == "processed":
            return ProcessResult(payload_id, "skipped")
        records = read_records(provider, body, fetcher)
        outcomes = _land(url, payload_id, provider, records, now)
    except Unprocessable as exc:
        return _fail(url, payload_id, str(exc))
    except IntegrityError:
        return _fail(
            url,
            payload_id,
            "another delivery of the same lead was landing at the same moment; "
            "retrying will record this one as a duplicate",
        )
    except Exception as exc:  # a stored payload must outlive any bug or outage: record it, retry later
        log.exception("processing inbound payload %s failed", payload_id)
        return _fail(url, payload_id, f"unexpected {type(exc).__name__}: {exc}")
    if outcomes is None:
        return ProcessResult(payload_id, "skipped")
    return _result(payload_id, outcomes)


def _load(url: str, payload_id: int) -> tuple[Provider, str, str]:
    with unit_of_work(url) as session:
        row = session.get(InboundPayload, payload_id)
        if row is None:
            raise LookupError(f"inbound payload {payload_id} does not exist")
        return cast(Provider, row.provider), row.body, row.status


def read_records(provider: Provider, body: str, fetcher: LeadFetcher | None) -> list[IncomingLead]:
    """The leads a stored body carries (Facebook's are read through ``fetcher``). Raises ``Unprocessable``
    naming what was wrong: not JSON, the JSON path of a misshapen value, or the platform's refusal."""
    try:
        payload = json.loads(body)
    except ValueError as exc:
        raise Unprocessable(f"the body is not valid JSON: {exc}") from exc
    try:
        if provider == "facebook":
            return _facebook_leads(facebook.parse_webhook(payload), fetcher)
        if provider == "tiktok":
            return tiktok.parse_webhook(payload)
        return zalo.parse_webhook(payload)
    except (ValueError, FetchError) as exc:  # PayloadError is a ValueError
        raise Unprocessable(str(exc)) from exc


def _facebook_leads(refs: Sequence[LeadRef], fetcher: LeadFetcher | None) -> list[IncomingLead]:
    """Every announced lead is read before any is landed, so a payload lands whole or is retried whole."""
    if not refs:
        return []
    if fetcher is None:
        raise Unprocessable(
            "PHEU_FACEBOOK_PAGE_ACCESS_TOKEN is not set, so the leads cannot be read from the Graph API; "
            "set it and run 'pheu webhooks retry'"
        )
    leads: list[IncomingLead] = []
    for ref in refs:
        try:
            leads.append(facebook.parse_lead(fetcher.fetch(ref.lead_id), ref=ref))
        except (ValueError, FetchError) as exc:
            raise Unprocessable(f"lead {ref.lead_id}: {exc}") from exc
    return leads


def _land(
    url: str, payload_id: int, provider: Provider, records: Sequence[IncomingLead], now: datetime
) -> list[Outcome] | None:
    """Claim the payload and land its leads in one transaction; ``None`` when another runner has it.

    The claim is the first statement, so on PostgreSQL a concurrent runner waits on the row and then sees
    "processed", and on SQLite it waits for the write lock. Any error rolls the claim back with the leads.
    """
    with unit_of_work(url) as session:
        if not _claim(session, payload_id, now):
            return None
        if not records:
            return []
        ctx = CaptureContext(
            event_type=EVENT_TYPE,
            actor_type=ActorType.SYSTEM,
            actor_label=f"webhook: {provider}",
            default_channel=CHANNELS[provider],
        )
        return capture_many(session, records, ctx, now)


def _claim(session: Session, payload_id: int, now: datetime) -> bool:
    result = session.execute(
        update(InboundPayload)
        .where(InboundPayload.id == payload_id, InboundPayload.status != "processed")
        .values(status="processed", processed_at=now, error=None, attempts=InboundPayload.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], result).rowcount == 1


def _fail(url: str, payload_id: int, error: str) -> ProcessResult:
    """Record why processing failed. If even that fails (the database is down), the payload is still there,
    "pending" or "failed" as before, and the next retry tries again."""
    error = error[:_ERROR_CHARS]
    try:
        with unit_of_work(url) as session:
            session.execute(
                update(InboundPayload)
                .where(InboundPayload.id == payload_id, InboundPayload.status != "processed")
                .values(status="failed", error=error, attempts=InboundPayload.attempts + 1)
                .execution_options(synchronize_session=False)
            )
    except Exception:
        log.exception("could not record the failure of inbound payload %s", payload_id)
    return ProcessResult(payload_id, "failed", error=error)


def _result(payload_id: int, outcomes: Sequence[Outcome]) -> ProcessResult:
    statuses = [o.status for o in outcomes]
    return ProcessResult(
        payload_id,
        "processed",
        created=statuses.count("created"),
        merged=statuses.count("merged"),
        rejected=statuses.count("rejected"),
        duplicates=statuses.count("duplicate_delivery"),
    )


def process_pending(
    url: str,
    now: datetime,
    fetcher: LeadFetcher | None,
    *,
    max_attempts: int = MAX_ATTEMPTS,
    limit: int | None = None,
) -> RetrySummary:
    """Process again every "pending" and "failed" payload tried fewer than ``max_attempts`` times, oldest
    first. Safe to run at any time, alongside the web app and other retries: a payload already processed
    is skipped and a lead already landed counts as a duplicate."""
    query = (
        select(InboundPayload.id)
        .where(
            InboundPayload.status.in_(("pending", "failed")),
            InboundPayload.attempts < max_attempts,
            InboundPayload.provider != form_queue.PROVIDER,  # queued form submissions: ``form_lander``
        )
        .order_by(InboundPayload.received_at, InboundPayload.id)
        .limit(limit)
    )
    with unit_of_work(url) as session:
        ids = list(session.scalars(query))
    summary = RetrySummary()
    for payload_id in ids:
        result = process(url, payload_id, now, fetcher)
        summary.results.append(result)
        if result.status == "processed":
            summary.processed += 1
            summary.leads_created += result.created
            summary.duplicates += result.duplicates
        elif result.status == "failed":
            summary.failed += 1
    return summary


def recent_payloads(url: str, *, limit: int = 50, status: str | None = None) -> list[PayloadSummary]:
    """The newest payloads first, optionally only those with ``status`` (pending, processed, failed). Queued
    form submissions share the table but are not webhooks: they are left out."""
    query = (
        select(InboundPayload)
        .where(InboundPayload.provider != form_queue.PROVIDER)
        .order_by(InboundPayload.received_at.desc(), InboundPayload.id.desc())
    )
    if status:
        query = query.where(InboundPayload.status == status)
    with unit_of_work(url) as session:
        return [
            PayloadSummary(
                id=p.id,
                provider=p.provider,
                received_at=p.received_at,
                status=p.status,
                attempts=p.attempts,
                error=p.error,
                processed_at=p.processed_at,
            )
            for p in session.scalars(query.limit(limit))
        ]


def graph_fetcher(settings: Settings) -> LeadFetcher | None:
    """The Graph API reader the settings describe, or ``None`` while no Page access token is set."""
    if not settings.facebook_page_access_token:
        return None
    return facebook.GraphApiFetcher(
        settings.facebook_page_access_token,
        settings.facebook_graph_version,
        app_secret=settings.facebook_app_secret or None,
    )
