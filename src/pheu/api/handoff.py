"""Hand-off routes of /api/v1: assignment rules (CRUD and order), speed-to-lead settings, reassigning a
lead, the overdue list, notifications and the team view. Each parses input, calls one service, shapes the
answer.

Reading needs ``leads:read``, writing ``leads:write``; rules, settings and reassignment are for admins and
sales managers, the team view for managers (the services refuse others with 403).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from pheu.api.deps import ApiContext, require
from pheu.auth.roles import Scope
from pheu.services import (
    assignment,
    assignment_rules,
    handoff_settings,
    notifications,
    reassign,
    speed_to_lead,
    team_view,
)
from pheu.services.assignment_rules import RuleIn
from pheu.services.leads import get_lead

router = APIRouter(prefix="/api/v1", tags=["hand-off"])

ReadLeads = Annotated[ApiContext, Depends(require(Scope.LEADS_READ))]
WriteLeads = Annotated[ApiContext, Depends(require(Scope.LEADS_WRITE))]


class RuleBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120)
    team_id: int
    strategy: str = Field("round_robin", description="round_robin, least_loaded or weighted")
    conditions: dict[str, Any] = Field(
        default_factory=dict,
        description="Optional: provinces, regions (north/central/south), channels, industries, languages, kinds, "
        "temperatures (lists); min_score, max_score.",
    )
    active: bool = True

    def as_rule(self) -> RuleIn:
        return RuleIn(self.name, self.team_id, self.strategy, self.conditions, self.active)


class RuleOut(BaseModel):
    id: int
    name: str
    position: int
    active: bool
    team_id: int
    strategy: str
    conditions: dict[str, Any]


class OrderBody(BaseModel):
    rule_ids: list[int]


class ReassignBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: int
    note: str = Field("", max_length=300)


class AssignmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    lead_id: int
    user_id: int | None
    previous_user_id: int | None
    team_id: int | None
    rule_id: int | None
    reason: str
    actor_type: str
    actor_user_id: int | None
    at: datetime


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    lead_id: int | None
    task_id: int | None
    data: dict[str, Any]
    created_at: datetime
    read_at: datetime | None


class ReadBody(BaseModel):
    ids: list[int] | None = Field(None, description="The notices to mark read; leave out for all of them.")


@router.get("/assignment-rules", response_model=list[RuleOut])
def list_rules(ctx: ReadLeads) -> list[dict[str, Any]]:
    handoff_settings.require_manager(ctx.principal)
    with ctx.uow() as s:
        return [assignment_rules.rule_json(r) for r in assignment_rules.list_rules(s)]


@router.post("/assignment-rules", response_model=RuleOut, status_code=201)
def create_rule(body: RuleBody, ctx: WriteLeads) -> dict[str, Any]:
    with ctx.uow() as s:
        return assignment_rules.rule_json(
            assignment_rules.create_rule(s, ctx.principal, body.as_rule(), ctx.now)
        )


@router.put("/assignment-rules/order", response_model=list[RuleOut])
def reorder_rules(body: OrderBody, ctx: WriteLeads) -> list[dict[str, Any]]:
    with ctx.uow() as s:
        return [
            assignment_rules.rule_json(r)
            for r in assignment_rules.reorder(s, ctx.principal, body.rule_ids, ctx.now)
        ]


@router.put("/assignment-rules/{rule_id}", response_model=RuleOut)
def update_rule(rule_id: int, body: RuleBody, ctx: WriteLeads) -> dict[str, Any]:
    with ctx.uow() as s:
        rule = assignment_rules.update_rule(s, ctx.principal, rule_id, body.as_rule(), ctx.now)
        return assignment_rules.rule_json(rule)


@router.delete("/assignment-rules/{rule_id}", status_code=204)
def delete_rule(rule_id: int, ctx: WriteLeads) -> Response:
    with ctx.uow() as s:
        assignment_rules.delete_rule(s, ctx.principal, rule_id, ctx.now)
    return Response(status_code=204)


@router.get("/handoff/settings")
def get_settings(ctx: ReadLeads) -> dict[str, Any]:
    handoff_settings.require_manager(ctx.principal)
    with ctx.uow() as s:
        return handoff_settings.load(s).as_json()


@router.put("/handoff/settings")
def put_settings(body: dict[str, Any], ctx: WriteLeads) -> dict[str, Any]:
    """The whole settings object (missing keys take the defaults): deadline_minutes {hot, warm, cold},
    escalate_after_minutes, working_time, working_hours {"mon": [["08:00", "17:30"]], …}, timezone,
    handoff_stage (mql or sql)."""
    with ctx.uow() as s:
        return handoff_settings.save(s, ctx.principal, body, ctx.now).as_json()


@router.post("/leads/{lead_id}/reassign", response_model=AssignmentOut)
def reassign_lead(lead_id: int, body: ReassignBody, ctx: WriteLeads) -> Any:
    with ctx.uow() as s:
        return reassign.reassign(s, ctx.principal, lead_id, body.user_id, ctx.now, body.note)


@router.get("/leads/{lead_id}/assignments", response_model=list[AssignmentOut])
def lead_assignments(lead_id: int, ctx: ReadLeads) -> Any:
    with ctx.uow() as s:
        get_lead(s, ctx.principal, lead_id)
        return assignment.latest_assignments(s, lead_id)


@router.get("/handoff/overdue")
def overdue(ctx: ReadLeads) -> list[dict[str, Any]]:
    """Leads whose first-contact deadline passed without a contact: a rep's own, a manager's team's."""
    with ctx.uow() as s:
        return [o.as_json() for o in speed_to_lead.overdue(s, ctx.principal, ctx.now)]


@router.get("/notifications", response_model=list[NotificationOut])
def list_notifications(
    ctx: ReadLeads, unread: bool = False, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> Any:
    with ctx.uow() as s:
        return notifications.recent(s, ctx.principal, unread_only=unread, limit=limit)


@router.post("/notifications/read")
def read_notifications(body: ReadBody, ctx: ReadLeads) -> dict[str, int]:
    with ctx.uow() as s:
        marked = notifications.mark_read(s, ctx.principal, body.ids, ctx.now)
        return {"marked": marked, "unread": notifications.unread_count(s, ctx.principal.user_id)}


@router.get("/team")
def team(
    ctx: ReadLeads,
    days: Annotated[int, Query(ge=1, le=365)] = 30,
    team_id: int | None = None,
) -> list[dict[str, Any]]:
    """Per rep: open leads and tasks, overdue first contacts, median / p90 minutes to first contact over
    leads assigned in the last ``days``, and conversion to customer."""
    with ctx.uow() as s:
        return [
            r.as_json() for r in team_view.team_view(s, ctx.principal, ctx.now, days=days, team_id=team_id)
        ]
