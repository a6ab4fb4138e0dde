"""Reading back what a delivery left in the database."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from pheu.db import unit_of_work
from pheu.store import Event, InboundPayload, Lead


@dataclass(frozen=True)
class LandedLead:
    full_name: str | None
    email: str | None
    phone: str | None
    channel: str | None
    utm_source: str | None
    province: str | None
    event_type: str


def landed(url: str, source: str, external_id: str) -> LandedLead:
    """The lead a platform's lead id became, through its capture event."""
    with unit_of_work(url) as s:
        event = s.scalars(select(Event).where(Event.source == source, Event.external_id == external_id)).one()
        lead = s.get_one(Lead, event.lead_id)
        return LandedLead(
            full_name=lead.full_name,
            email=lead.email,
            phone=lead.phone,
            channel=lead.channel.code if lead.channel else None,
            utm_source=lead.utm_source,
            province=lead.province,
            event_type=event.type,
        )


def count_leads(url: str) -> int:
    with unit_of_work(url) as s:
        return s.scalar(select(func.count()).select_from(Lead)) or 0


def payloads(url: str) -> list[InboundPayload]:
    with unit_of_work(url) as s:
        return list(s.scalars(select(InboundPayload).order_by(InboundPayload.id)))
