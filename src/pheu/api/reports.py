"""Routes of /api/v1 for measurement: the report (what ``pheu report --json`` prints) and campaign costs.

Reading a report needs the ``leads:read`` scope and a user allowed reports (not a sales rep: 403). Costs are
marketing's budget: reading them needs ``leads:read``, writing them the ``admin`` scope, and either way the
key's user must be an administrator or a marketer.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from pheu.api.deps import ApiContext, require
from pheu.auth.roles import Scope
from pheu.services import costs, reports
from pheu.services.errors import Invalid
from pheu.store import CampaignCost

router = APIRouter(prefix="/api/v1")

ReadReports = Annotated[ApiContext, Depends(require(Scope.LEADS_READ))]
WriteCosts = Annotated[ApiContext, Depends(require(Scope.ADMIN))]


class CostIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    campaign_id: int
    day: date = Field(description="Local calendar day (PHEU_TIMEZONE) the money was spent on")
    amount_minor: int = Field(ge=0, description="Integer minor units of the currency; VND has none")
    currency: str | None = Field(
        default=None, min_length=3, max_length=3, description="ISO 4217; the campaign's own when left out"
    )


class CostOut(BaseModel):
    id: int
    campaign_id: int
    day: date
    amount_minor: int
    currency: str


class CostList(BaseModel):
    items: list[CostOut]


def cost_out(cost: CampaignCost) -> CostOut:
    return CostOut(
        id=cost.id,
        campaign_id=cost.campaign_id,
        day=cost.day,
        amount_minor=cost.amount_minor,
        currency=cost.currency,
    )


@router.get("/reports/summary", tags=["reports"])
def report_summary(
    ctx: ReadReports,
    from_: Annotated[
        date | None, Query(alias="from", description="First day (default: 30 days to `to`)")
    ] = None,
    to: Annotated[date | None, Query(description="Last day, included (default: today)")] = None,
    channel: Annotated[list[str] | None, Query(description="Channel codes, any of them")] = None,
    campaign_id: int | None = None,
    owner_id: int | None = None,
    team_id: int | None = None,
) -> dict[str, Any]:
    """Funnel, rates, times between stages, spend and cost per level, channel quality, and the previous
    period — the JSON of `pheu report --json`. Definitions: README, "Reports and metric definitions"."""
    reports.require_report_reader(ctx.principal)
    zone = reports.report_zone()
    try:
        period = reports.default_period(ctx.now, zone, first_day=from_, last_day=to)
    except ValueError as exc:
        raise Invalid(str(exc), field="from") from exc
    filters = reports.ReportFilters(
        period, channels=tuple(channel or ()), campaign_id=campaign_id, owner_id=owner_id, team_id=team_id
    )
    with ctx.uow() as session:
        return reports.build_report(session, filters, ctx.now, zone=zone, concurrent=True).to_dict()


@router.get("/costs", tags=["costs"])
def list_costs(
    ctx: ReadReports,
    campaign_id: int | None = None,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: date | None = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> CostList:
    """Recorded spend per campaign and day, newest day first."""
    with ctx.uow() as session:
        found = costs.list_costs(
            session, ctx.principal, campaign_id=campaign_id, first_day=from_, last_day=to, limit=limit
        )
        return CostList(items=[cost_out(c) for c in found])


@router.post("/costs", status_code=201, tags=["costs"])
def set_cost(ctx: WriteCosts, body: CostIn, response: Response) -> CostOut:
    """Record a campaign's spend on a day. A day already recorded is replaced (answers 200), so sending the
    same day again never counts it twice."""
    with ctx.uow() as session:
        cost, created = costs.set_cost(
            session,
            ctx.principal,
            campaign_id=body.campaign_id,
            day=body.day,
            amount_minor=body.amount_minor,
            currency=body.currency,
            now=ctx.now,
        )
        if not created:
            response.status_code = 200
        return cost_out(cost)


@router.delete("/costs/{cost_id}", status_code=204, tags=["costs"])
def delete_cost(ctx: WriteCosts, cost_id: int) -> Response:
    with ctx.uow() as session:
        costs.delete_cost(session, ctx.principal, cost_id, ctx.now)
    return Response(status_code=204)
