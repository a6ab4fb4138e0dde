"""Routes of /api/v1. Each parses input, calls one service, and shapes the answer."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from sqlalchemy import text

from pheu.api.deps import ApiContext, require
from pheu.auth.roles import Scope
from pheu.db import unit_of_work
from pheu.lifecycle import LeadKind, Stage
from pheu.services import events, leads, stages
from pheu.services.schemas import (
    ConsentOut,
    EventIn,
    EventOut,
    LeadIn,
    LeadOut,
    LeadPatch,
    LeadQuery,
    SortKey,
    StageChangeOut,
    StageMoveIn,
    UserRef,
)
from pheu.store import Event, Lead, StageChange

router = APIRouter(prefix="/api/v1")

ReadLeads = Annotated[ApiContext, Depends(require(Scope.LEADS_READ))]
WriteLeads = Annotated[ApiContext, Depends(require(Scope.LEADS_WRITE))]
ReadEvents = Annotated[ApiContext, Depends(require(Scope.EVENTS_READ))]
WriteEvents = Annotated[ApiContext, Depends(require(Scope.EVENTS_WRITE))]


class LeadList(BaseModel):
    items: list[LeadOut]
    next_cursor: str | None


class EventList(BaseModel):
    items: list[EventOut]
    next_cursor: str | None


class Health(BaseModel):
    status: str
    database: str
    time: datetime


def lead_out(lead: Lead) -> LeadOut:
    return LeadOut(
        id=lead.id,
        kind=lead.kind,
        stage=lead.stage,
        full_name=lead.full_name,
        email=lead.email,
        phone=lead.phone,
        job_title=lead.job_title,
        company=lead.company,
        industry=lead.industry,
        company_size=lead.company_size,
        country=lead.country,
        province=lead.province,
        city=lead.city,
        age_range=lead.age_range,
        gender=lead.gender,
        income_range=lead.income_range,
        marital_status=lead.marital_status,
        interests=list(lead.interests or []),
        channel=lead.channel.code if lead.channel else None,
        campaign_id=lead.campaign_id,
        campaign=lead.campaign.name if lead.campaign else None,
        utm_source=lead.utm_source,
        utm_medium=lead.utm_medium,
        utm_campaign=lead.utm_campaign,
        utm_term=lead.utm_term,
        utm_content=lead.utm_content,
        landing_page=lead.landing_page,
        referrer=lead.referrer,
        lead_magnet=lead.lead_magnet,
        owner=UserRef(id=lead.owner.id, name=lead.owner.name) if lead.owner else None,
        score=lead.score,
        lost_reason=lead.lost_reason,
        consents=[
            ConsentOut(purpose=c.purpose, granted=c.granted, source=c.source, at=c.at) for c in lead.consents
        ],
        created_at=lead.created_at,
        updated_at=lead.updated_at,
        stage_changed_at=lead.stage_changed_at,
    )


def event_out(event: Event) -> EventOut:
    return EventOut(
        id=event.id,
        lead_id=event.lead_id,
        type=event.type,
        occurred_at=event.occurred_at,
        properties=event.properties,
        source=event.source,
        external_id=event.external_id,
    )


def change_out(change: StageChange) -> StageChangeOut:
    return StageChangeOut(
        id=change.id,
        lead_id=change.lead_id,
        from_stage=change.from_stage,
        to_stage=change.to_stage,
        at=change.at,
        actor_type=change.actor_type,
        actor=change.actor_label,
        reason=change.reason,
    )


@router.get("/health", tags=["system"])
def health(request: Request) -> Health:
    """Liveness and database reachability, for load balancers and monitors (no key needed)."""
    with unit_of_work(request.app.state.db_url) as session:
        session.execute(text("SELECT 1"))
        dialect = session.get_bind().dialect.name
    return Health(status="ok", database=dialect, time=datetime.now(UTC))


def lead_query(
    stage: Annotated[list[Stage] | None, Query(description="One or more stages")] = None,
    channel: Annotated[list[str] | None, Query(description="Channel codes, e.g. facebook_ads")] = None,
    campaign_id: int | None = None,
    owner_id: int | None = None,
    unassigned: bool = False,
    kind: LeadKind | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    reached: Annotated[
        Stage | None, Query(description="Reached this funnel stage or a later one (as the reports count)")
    ] = None,
    reached_from: Annotated[
        datetime | None, Query(description="With reached: first reached it at or after")
    ] = None,
    reached_to: Annotated[datetime | None, Query(description="With reached: first reached it before")] = None,
    bought_list: Annotated[
        bool | None, Query(description="From a bought list or low-quality channel (true) or not (false)")
    ] = None,
    team_id: Annotated[int | None, Query(description="Owned by a member of this team")] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Name, email, phone or company; tones optional")
    ] = None,
    sort: SortKey = "-created_at",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> LeadQuery:
    values: dict[str, Any] = {
        "stage": stage,
        "channel": channel,
        "campaign_id": campaign_id,
        "owner_id": owner_id,
        "unassigned": unassigned,
        "kind": kind,
        "created_from": created_from,
        "created_to": created_to,
        "reached": reached,
        "reached_from": reached_from,
        "reached_to": reached_to,
        "bought_list": bought_list,
        "team_id": team_id,
        "q": q,
        "sort": sort,
        "limit": limit,
        "cursor": cursor,
    }
    for name in ("created_from", "created_to", "reached_from", "reached_to"):
        value = values[name]
        if value is not None and value.tzinfo is None:
            values[name] = value.replace(tzinfo=UTC)
    try:
        return LeadQuery(**values)
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("query", *e["loc"])} for e in exc.errors()]) from exc


@router.get("/leads", tags=["leads"])
def list_leads(ctx: ReadLeads, query: Annotated[LeadQuery, Depends(lead_query)]) -> LeadList:
    """Leads matching the filters, in the chosen order, one page at a time (pass ``next_cursor`` back)."""
    with ctx.uow() as session:
        page = leads.list_leads(session, ctx.principal, query)
        return LeadList(items=[lead_out(x) for x in page.items], next_cursor=page.next_cursor)


@router.post("/leads", status_code=201, tags=["leads"])
def create_lead(ctx: WriteLeads, body: LeadIn, response: Response) -> LeadOut:
    with ctx.uow() as session:
        lead = leads.create_lead(session, ctx.principal, body, ctx.now)
        session.flush()
        session.refresh(lead)
        response.headers["Location"] = f"/api/v1/leads/{lead.id}"
        return lead_out(lead)


@router.get("/leads/{lead_id}", tags=["leads"])
def get_lead(ctx: ReadLeads, lead_id: int) -> LeadOut:
    with ctx.uow() as session:
        return lead_out(leads.get_lead(session, ctx.principal, lead_id))


@router.patch("/leads/{lead_id}", tags=["leads"])
def update_lead(ctx: WriteLeads, lead_id: int, body: LeadPatch) -> LeadOut:
    """Change only the fields sent; every change is written to the audit log."""
    with ctx.uow() as session:
        lead = leads.update_lead(session, ctx.principal, lead_id, body, ctx.now)
        session.flush()
        session.refresh(lead)
        return lead_out(lead)


@router.post("/leads/{lead_id}/stage", status_code=201, tags=["stages"])
def move_stage(ctx: WriteLeads, lead_id: int, body: StageMoveIn) -> StageChangeOut:
    """Move a lead to another stage; an illegal move answers 422 with the moves that are allowed."""
    with ctx.uow() as session:
        return change_out(
            stages.move_stage(session, ctx.principal, lead_id, body.stage, reason=body.reason, now=ctx.now)
        )


@router.get("/leads/{lead_id}/stages", tags=["stages"])
def stage_history(ctx: ReadLeads, lead_id: int) -> list[StageChangeOut]:
    with ctx.uow() as session:
        return [change_out(c) for c in stages.history(session, ctx.principal, lead_id)]


@router.post("/leads/{lead_id}/events", status_code=201, tags=["events"])
def add_event(ctx: WriteEvents, lead_id: int, body: EventIn, response: Response) -> EventOut:
    """Record a touch. Re-sending the same ``source`` + ``external_id`` answers 200 with the first copy."""
    with ctx.uow() as session:
        event, created = events.add_event(session, ctx.principal, lead_id, body, ctx.now)
        if not created:
            response.status_code = 200
        return event_out(event)


@router.get("/leads/{lead_id}/events", tags=["events"])
def list_events(
    ctx: ReadEvents,
    lead_id: int,
    type: Annotated[list[str] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> EventList:
    with ctx.uow() as session:
        page = events.list_events(session, ctx.principal, lead_id, types=type, limit=limit, cursor=cursor)
        return EventList(items=[event_out(e) for e in page.items], next_cursor=page.next_cursor)
