"""Bulk routes of /api/v1: many leads or many events in one request, each item answered on its own.

A batch never fails as a whole because of one bad item (``pheu.services.batch`` checks and answers each
item). Both routes honour an ``Idempotency-Key`` header, so a client that lost the answer can retry without
writing twice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from pheu.api.deps import ApiContext, require
from pheu.auth import apikeys
from pheu.auth.roles import Scope
from pheu.services import idempotency
from pheu.services.batch import capture_leads, record_events

router = APIRouter(prefix="/api/v1")

MAX_ITEMS = 1000
WriteLeads = Annotated[ApiContext, Depends(require(Scope.LEADS_WRITE))]
WriteEvents = Annotated[ApiContext, Depends(require(Scope.EVENTS_WRITE))]
IdempotencyKey = Annotated[
    str | None,
    Header(description="Any unique string (a UUID); a retry with the same key and body replays the answer."),
]


class LeadBatch(BaseModel):
    items: list[Any] = Field(
        min_length=1,
        max_length=MAX_ITEMS,
        description="Lead objects: the lead fields as text, plus optional source, external_id and consents.",
    )


class EventBatch(BaseModel):
    items: list[Any] = Field(min_length=1, max_length=MAX_ITEMS)


class LeadResult(BaseModel):
    index: int
    status: Literal["created", "merged", "rejected", "duplicate_delivery"]
    lead_id: int | None
    problems: list[dict[str, Any]]
    rejected_id: int | None


class LeadBatchResult(BaseModel):
    results: list[LeadResult]
    summary: dict[str, int]


class EventResult(BaseModel):
    index: int
    status: Literal["created", "duplicate", "not_found", "invalid"]
    lead_id: int | None
    event_id: int | None
    problems: list[dict[str, Any]]


class EventBatchResult(BaseModel):
    results: list[EventResult]
    summary: dict[str, int]


@router.post("/leads/batch", tags=["leads"], response_model=LeadBatchResult)
def leads_batch(
    ctx: WriteLeads, body: LeadBatch, request: Request, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """Capture up to 1,000 leads: each is created, merged into the person it names (same email or mobile),
    or rejected with its reasons (and kept to be fixed under /rejected)."""
    return _once(
        ctx,
        request,
        body,
        idempotency_key,
        lambda s: (200, capture_leads(s, ctx.principal, body.items, ctx.now)),
    )


@router.post("/events/batch", tags=["events"], response_model=EventBatchResult)
def events_batch(
    ctx: WriteEvents, body: EventBatch, request: Request, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """Record up to 1,000 touches, each naming its lead by ``lead_id``, ``email`` or ``phone``. A lead the key
    may not see answers ``not_found``; a repeated ``source`` + ``external_id`` answers ``duplicate``."""
    return _once(
        ctx,
        request,
        body,
        idempotency_key,
        lambda s: (200, record_events(s, ctx.principal, body.items, ctx.now)),
    )


def _once(
    ctx: ApiContext,
    request: Request,
    body: BaseModel,
    key: str | None,
    work: Callable[[Session], tuple[int, dict[str, Any]]],
) -> JSONResponse:
    """Run ``work`` once per idempotency key, scoped to the caller's API key and the route; a replay answers
    what the first run answered, marked ``Idempotent-Replayed``."""
    token = request.headers.get("Authorization", "").partition(" ")[2]
    credential = f"k{apikeys.split_prefix(token) or '-'}"
    answer = idempotency.run_once(
        ctx.uow,
        scope=idempotency.scope_for(ctx.principal.user_id, credential, request.url.path),
        key=key,
        request_hash=idempotency.fingerprint(body.model_dump(mode="json")),
        now=ctx.now,
        work=work,
    )
    headers = {"Idempotent-Replayed": "true"} if answer.replayed else None
    return JSONResponse(answer.body, status_code=answer.status_code, headers=headers)
