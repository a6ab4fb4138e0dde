"""Pydantic models at the edges of the task, call and conversion services (API bodies and answers)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pheu.handoff.outcomes import CallOutcome

TaskKind = Literal["call", "meeting", "email"]


class TaskIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lead_id: int
    kind: TaskKind = "call"
    title: str = Field(default="", max_length=300)
    notes: str | None = Field(default=None, max_length=5000)
    due_at: datetime
    ends_at: datetime | None = None
    owner_id: int | None = None


class TaskPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: TaskKind | None = None
    title: str | None = Field(default=None, max_length=300)
    notes: str | None = Field(default=None, max_length=5000)
    due_at: datetime | None = None
    ends_at: datetime | None = None
    owner_id: int | None = None


class TaskOut(BaseModel):
    id: int
    lead_id: int
    owner_id: int | None
    kind: str
    title: str
    notes: str | None
    due_at: datetime
    ends_at: datetime | None
    status: str
    outcome: str | None
    first_contact: bool
    created_at: datetime
    completed_at: datetime | None


class CallIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: CallOutcome
    task_id: int | None = None
    call_back_at: datetime | None = None
    notes: str | None = Field(default=None, max_length=2000)


class WonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount_minor: int = Field(description="Value in minor units; VND has none: 15000000 is 15,000,000 ₫")
    currency: str = Field(default="VND", min_length=3, max_length=3)


class LostIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=40, description="A code from GET /api/v1/lost-reasons")
    note: str | None = Field(default=None, max_length=1000)


class LostReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_]*$")
    label_vi: str = Field(min_length=1, max_length=200)
    label_en: str = Field(min_length=1, max_length=200)
    active: bool = True
    position: int = 0


class LostReasonOut(BaseModel):
    code: str
    label_vi: str
    label_en: str
    active: bool
    position: int


class CalendarDay(BaseModel):
    day: date
    tasks: list[TaskOut]
