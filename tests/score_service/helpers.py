"""Builders for the scoring service tests: real users, leads and events through the product's services."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pheu.auth.roles import Principal
from pheu.db import unit_of_work
from pheu.services import events
from pheu.services.schemas import EventIn
from pheu.store import Lead, StageChange
from pheu.store.scoring import score_parts
from tests.conftest import NOW
from tests.factories import add_lead

# A director with a phone: 15 + 5 fit points under the default model, consented to email.
DIRECTOR: dict[str, Any] = {
    "full_name": "Trần Thị Bình",
    "email": "binh.tran@gmail.com",
    "phone": "0912345678",
    "job_title": "Giám đốc",
    "consents": [{"purpose": "email_marketing", "granted": True}],
}


def director(
    url: str, principal: Principal | None, at: datetime = NOW - timedelta(days=2), **over: Any
) -> int:
    return add_lead(url, principal, at, **{**DIRECTOR, **over})


def touch(url: str, principal: Principal, lead_id: int, kind: str, at: datetime, **properties: Any) -> None:
    """An event that happened at ``at``, reported at that same moment."""
    with unit_of_work(url) as s:
        events.add_event(s, principal, lead_id, EventIn(type=kind, occurred_at=at, properties=properties), at)


def stored(url: str, lead_id: int) -> dict[str, Any]:
    with unit_of_work(url) as s:
        lead = s.get(Lead, lead_id)
        assert lead is not None
        return {"stage": lead.stage, "score": lead.score, **score_parts(lead)}


def moves(url: str, lead_id: int) -> list[StageChange]:
    from sqlalchemy import select

    with unit_of_work(url) as s:
        stmt = (
            select(StageChange).where(StageChange.lead_id == lead_id).order_by(StageChange.at, StageChange.id)
        )
        return list(s.scalars(stmt))


def meet_bant(url: str, lead_id: int, now: datetime = NOW) -> None:
    """Record a BANT that meets the default criteria, with the deal's amount and close date: what sales
    records before ``stages.move_stage(…, Stage.OPPORTUNITY, …)`` is allowed."""
    from pheu.services.scoring_bant import BantPatch, update

    patch = BantPatch(
        authority="decision_maker",
        need="Cần phần mềm bán hàng",
        need_level="high",
        timing_window="within_1_month",
        opportunity_amount_minor=120_000_000,
        expected_close_date=(now + timedelta(days=30)).date(),
    )
    with unit_of_work(url) as s:
        update(s, None, lead_id, patch, now)
