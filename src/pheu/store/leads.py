"""The lead: a person who chose to leave their details, with where they came from and where they stand."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pheu.store.base import Base, BigId, Json, UTCDateTime, utcnow
from pheu.store.campaigns import Campaign, Channel
from pheu.store.people import User


class Lead(Base):
    __tablename__ = "leads"
    __table_args__ = (
        Index("ix_leads_stage_created", "stage", "created_at"),
        Index("ix_leads_channel_created", "channel_id", "created_at"),
        Index("ix_leads_owner_created", "owner_id", "created_at"),
        Index("ix_leads_campaign_created", "campaign_id", "created_at"),
        Index("ix_leads_created", "created_at", "id"),
        Index("ix_leads_score", "score", "id"),
        Index("ix_leads_name_key", "name_key", "id"),
        Index("ix_leads_email", "email"),
        Index("ix_leads_phone", "phone"),
        # Covers the dashboard's count of leads created in a period (migration 0006): answered from the index.
        Index(
            "ix_leads_report", "channel_id", "created_at", "kind", "campaign_id", "owner_id", "id", "flags"
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="sales")
    stage: Mapped[str] = mapped_column(String(20), default="iql")
    # Person
    full_name: Mapped[str | None] = mapped_column(String(200), default=None)
    email: Mapped[str | None] = mapped_column(String(254), default=None)
    phone: Mapped[str | None] = mapped_column(String(20), default=None)
    job_title: Mapped[str | None] = mapped_column(String(200), default=None)
    age_range: Mapped[str | None] = mapped_column(String(20), default=None)
    gender: Mapped[str | None] = mapped_column(String(20), default=None)
    income_range: Mapped[str | None] = mapped_column(String(40), default=None)
    marital_status: Mapped[str | None] = mapped_column(String(20), default=None)
    interests: Mapped[list[str]] = mapped_column(Json, default=list)
    # Company
    company: Mapped[str | None] = mapped_column(String(200), default=None)
    industry: Mapped[str | None] = mapped_column(String(100), default=None)
    company_size: Mapped[str | None] = mapped_column(String(20), default=None)
    # Place
    country: Mapped[str] = mapped_column(String(2), default="VN")
    province: Mapped[str | None] = mapped_column(String(100), default=None)
    city: Mapped[str | None] = mapped_column(String(100), default=None)
    # Origin
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id"), default=None)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), default=None)
    utm_source: Mapped[str | None] = mapped_column(String(200), default=None)
    utm_medium: Mapped[str | None] = mapped_column(String(200), default=None)
    utm_campaign: Mapped[str | None] = mapped_column(String(200), default=None)
    utm_term: Mapped[str | None] = mapped_column(String(200), default=None)
    utm_content: Mapped[str | None] = mapped_column(String(200), default=None)
    landing_page: Mapped[str | None] = mapped_column(String(1000), default=None)
    referrer: Mapped[str | None] = mapped_column(String(1000), default=None)
    lead_magnet: Mapped[str | None] = mapped_column(String(40), default=None)
    # Work
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    score: Mapped[int] = mapped_column(Integer, default=0)
    # Score parts from the active scoring model (migration 0005), exact to a tenth of a point; NULL until the
    # lead is first scored. ``score`` above is their rounded total, which lists sort by.
    score_fit: Mapped[float | None] = mapped_column(Numeric(8, 1, asdecimal=False), default=None)
    score_behaviour: Mapped[float | None] = mapped_column(Numeric(8, 1, asdecimal=False), default=None)
    temperature: Mapped[str | None] = mapped_column(String(10), default=None)  # cold, warm or hot
    scored_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    score_model_id: Mapped[int | None] = mapped_column(ForeignKey("scoring_models.id"), default=None)
    # Hand-off (migration 0007): when the current owner got the lead, the first-contact deadline and when the
    # first contact happened (speed-to-lead, kept for reporting), and the value of a won deal.
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    first_contact_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    first_contact_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    won_amount_minor: Mapped[int | None] = mapped_column(BigInteger, default=None)
    won_currency: Mapped[str | None] = mapped_column(String(3), default=None)
    lost_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    # Data-quality flags from cleaning (email_role, phone_invalid, bought_list…); the lead still counts.
    flags: Mapped[list[str]] = mapped_column(Json, default=list)
    notes: Mapped[str | None] = mapped_column(Text, default=None)
    # Search: folded (tone-free, lower-case) copies so a plain-ASCII query finds accented names.
    search_key: Mapped[str] = mapped_column(String(1200), default="")
    name_key: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    stage_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    channel: Mapped[Channel | None] = relationship(lazy="joined")
    campaign: Mapped[Campaign | None] = relationship(lazy="joined")
    owner: Mapped[User | None] = relationship(lazy="joined")
    consents: Mapped[list[Consent]] = relationship(
        back_populates="lead", cascade="all, delete-orphan", lazy="selectin"
    )


class Consent(Base):
    """The current answer per purpose; every change also goes to the audit log with its source."""

    __tablename__ = "consents"
    __table_args__ = (UniqueConstraint("lead_id", "purpose", name="uq_consents_lead_purpose"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(40))
    granted: Mapped[bool] = mapped_column(default=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    source: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str | None] = mapped_column(Text, default=None)

    lead: Mapped[Lead] = relationship(back_populates="consents")


class Event(Base):
    """One touch: a visit, an open, a download, a call… ``occurred_at`` is when it happened, not when
    Phễu heard of it; ``external_id`` makes redelivery of the same touch harmless."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_lead_occurred", "lead_id", "occurred_at"),
        Index("ix_events_type_occurred", "type", "occurred_at"),
        UniqueConstraint("source", "external_id", name="uq_events_source_external_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    properties: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    source: Mapped[str] = mapped_column(String(40), default="api")
    external_id: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StageChange(Base):
    __tablename__ = "stage_changes"
    __table_args__ = (
        Index("ix_stage_changes_lead_at", "lead_id", "at"),
        Index("ix_stage_changes_to_at", "to_stage", "at"),
        # The dashboard's reads of moves (migration 0006); ``at`` before ``to_stage`` works around an SQLite
        # 3.40 planner bug with a (lead_id, to_stage, at) index and a range on ``at``.
        Index("ix_stage_changes_report", "lead_id", "at", "to_stage"),
        Index("ix_stage_changes_moves", "to_stage", "at", "lead_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    from_stage: Mapped[str | None] = mapped_column(String(20), default=None)
    to_stage: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_type: Mapped[str] = mapped_column(String(20))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    actor_label: Mapped[str] = mapped_column(String(200), default="")
    reason: Mapped[str] = mapped_column(String(1000), default="")
