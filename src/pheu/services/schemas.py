"""The shapes that cross the edge (API bodies, form posts), validated by Pydantic before a service runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pheu.lifecycle import LeadKind, Stage

CONSENT_PURPOSES = ("email_marketing", "sms", "phone_call", "zalo", "data_processing")
LEAD_MAGNETS = (
    "coupon",
    "ebook",
    "webinar",
    "trial",
    "newsletter",
    "event",
    "consultation",
    "job_application",
    "other",
)


class ConsentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    purpose: Literal["email_marketing", "sms", "phone_call", "zalo", "data_processing"]
    granted: bool
    source: str = Field(default="", max_length=200)
    text: str | None = None
    at: datetime | None = None


class LeadFields(BaseModel):
    """Every editable field; creation and update share it so the two never drift apart."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    full_name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=40)
    job_title: str | None = Field(default=None, max_length=200)
    company: str | None = Field(default=None, max_length=200)
    industry: str | None = Field(default=None, max_length=100)
    company_size: str | None = Field(default=None, max_length=20)
    country: str | None = Field(default=None, min_length=2, max_length=2)
    province: str | None = Field(default=None, max_length=100)
    city: str | None = Field(default=None, max_length=100)
    age_range: str | None = Field(default=None, max_length=20)
    gender: str | None = Field(default=None, max_length=20)
    income_range: str | None = Field(default=None, max_length=40)
    marital_status: str | None = Field(default=None, max_length=20)
    interests: list[str] | None = None
    channel: str | None = Field(default=None, max_length=40, description="Channel code, e.g. facebook_ads")
    campaign_id: int | None = None
    utm_source: str | None = Field(default=None, max_length=200)
    utm_medium: str | None = Field(default=None, max_length=200)
    utm_campaign: str | None = Field(default=None, max_length=200)
    utm_term: str | None = Field(default=None, max_length=200)
    utm_content: str | None = Field(default=None, max_length=200)
    landing_page: str | None = Field(default=None, max_length=1000)
    referrer: str | None = Field(default=None, max_length=1000)
    lead_magnet: str | None = Field(default=None, max_length=40)
    owner_id: int | None = None
    notes: str | None = None


class LeadIn(LeadFields):
    kind: LeadKind = LeadKind.SALES
    consents: list[ConsentIn] = Field(default_factory=list)


class LeadPatch(LeadFields):
    consents: list[ConsentIn] | None = None


class UserRef(BaseModel):
    id: int
    name: str


class ConsentOut(BaseModel):
    purpose: str
    granted: bool
    source: str
    at: datetime


class LeadOut(BaseModel):
    id: int
    kind: str
    stage: str
    full_name: str | None
    email: str | None
    phone: str | None
    job_title: str | None
    company: str | None
    industry: str | None
    company_size: str | None
    country: str
    province: str | None
    city: str | None
    age_range: str | None
    gender: str | None
    income_range: str | None
    marital_status: str | None
    interests: list[str]
    channel: str | None
    campaign_id: int | None
    campaign: str | None
    utm_source: str | None
    utm_medium: str | None
    utm_campaign: str | None
    utm_term: str | None
    utm_content: str | None
    landing_page: str | None
    referrer: str | None
    lead_magnet: str | None
    owner: UserRef | None
    score: int
    lost_reason: str | None
    consents: list[ConsentOut]
    created_at: datetime
    updated_at: datetime
    stage_changed_at: datetime


class EventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str = Field(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_.]*$")
    occurred_at: datetime | None = None
    properties: dict[str, Any] = Field(default_factory=dict)
    source: str = Field(default="api", max_length=40)
    external_id: str | None = Field(default=None, max_length=200)


class EventOut(BaseModel):
    id: int
    lead_id: int
    type: str
    occurred_at: datetime
    properties: dict[str, Any]
    source: str
    external_id: str | None


class StageMoveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stage: Stage
    reason: str = Field(default="", max_length=1000)


class StageChangeOut(BaseModel):
    id: int
    lead_id: int
    from_stage: str | None
    to_stage: str
    at: datetime
    actor_type: str
    actor: str
    reason: str


SortKey = Literal[
    "created_at", "-created_at", "updated_at", "-updated_at", "score", "-score", "name", "-name"
]


class LeadQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stage: list[Stage] | None = None
    channel: list[str] | None = None
    campaign_id: int | None = None
    owner_id: int | None = None
    unassigned: bool = False
    kind: LeadKind | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    # The leads behind a report's figure (see pheu.measure.paths): ``reached`` is a funnel stage the lead has
    # entered, itself or any later one; with ``reached_from``/``reached_to`` it first did so in that span.
    reached: Stage | None = None
    reached_from: datetime | None = None
    reached_to: datetime | None = None
    # True: flagged as from a bought list, or from a low-quality channel; False: everything else.
    bought_list: bool | None = None
    team_id: int | None = None
    q: str | None = Field(default=None, max_length=200)
    sort: SortKey = "-created_at"
    limit: int = Field(default=50, ge=1, le=500)
    cursor: str | None = None
