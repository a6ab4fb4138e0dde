"""The lead: a person who chose to leave their details, with where they came from and where they stand."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    join,
    text,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from pheu.store.base import Base, BigId, Json, UTCDateTime, utcnow
from pheu.store.campaigns import Campaign, Channel
from pheu.store.people import User

# The first entries into MQL, SQL, Opportunity and Customer, in funnel order (see ``Lead.reached_mql_at``).
REACHED_COLUMNS = ("reached_mql_at", "reached_sql_at", "reached_opportunity_at", "reached_customer_at")
_REPORT = ("channel_id", "created_at", "kind", "campaign_id", "owner_id", "id", "flags")


LEADS = Table(
    "leads",
    Base.metadata,
    Column("id", BigId, primary_key=True),
    Column("kind", String(20), default="sales", nullable=False),
    Column("stage", String(20), default="iql", nullable=False),
    # Person
    Column("full_name", String(200), default=None, nullable=True),
    Column("email", String(254), default=None, nullable=True),
    Column("phone", String(20), default=None, nullable=True),
    Column("job_title", String(200), default=None, nullable=True),
    Column("age_range", String(20), default=None, nullable=True),
    Column("gender", String(20), default=None, nullable=True),
    Column("income_range", String(40), default=None, nullable=True),
    Column("marital_status", String(20), default=None, nullable=True),
    Column("interests", Json, default=list, nullable=False),
    # Company
    Column("company", String(200), default=None, nullable=True),
    Column("industry", String(100), default=None, nullable=True),
    Column("company_size", String(20), default=None, nullable=True),
    # Place
    Column("country", String(2), default="VN", nullable=False),
    Column("province", String(100), default=None, nullable=True),
    Column("city", String(100), default=None, nullable=True),
    # Origin
    Column("channel_id", Integer, ForeignKey("channels.id"), default=None, nullable=True),
    Column("campaign_id", Integer, ForeignKey("campaigns.id"), default=None, nullable=True),
    Column("utm_source", String(200), default=None, nullable=True),
    Column("utm_medium", String(200), default=None, nullable=True),
    Column("utm_campaign", String(200), default=None, nullable=True),
    Column("utm_term", String(200), default=None, nullable=True),
    Column("utm_content", String(200), default=None, nullable=True),
    Column("landing_page", String(1000), default=None, nullable=True),
    Column("referrer", String(1000), default=None, nullable=True),
    Column("lead_magnet", String(40), default=None, nullable=True),
    # Work
    Column("owner_id", Integer, ForeignKey("users.id"), default=None, nullable=True),
    # Hand-off (migration 0007): when the current owner got the lead, the first-contact deadline and when the
    # first contact happened (speed-to-lead, kept for reporting), and the value of a won deal.
    Column("assigned_at", UTCDateTime, default=None, nullable=True),
    Column("first_contact_due_at", UTCDateTime, default=None, nullable=True),
    Column("first_contact_at", UTCDateTime, default=None, nullable=True),
    Column("won_amount_minor", BigInteger, default=None, nullable=True),
    Column("won_currency", String(3), default=None, nullable=True),
    Column("lost_reason", String(500), default=None, nullable=True),
    # The first moment the lead entered each funnel level or a higher one (``measure.paths.reached``; Lost,
    # Disqualified and recruitment stages do not count), NULL while it has not. Kept by the database's
    # triggers on ``stage_changes`` (migration 0008) whoever writes the moves: read them, never set them.
    Column("reached_mql_at", UTCDateTime, default=None, nullable=True),
    Column("reached_sql_at", UTCDateTime, default=None, nullable=True),
    Column("reached_opportunity_at", UTCDateTime, default=None, nullable=True),
    Column("reached_customer_at", UTCDateTime, default=None, nullable=True),
    # Data-quality flags from cleaning (email_role, phone_invalid, bought_list…); the lead still counts.
    Column("flags", Json, default=list, nullable=False),
    Column("notes", Text, default=None, nullable=True),
    # Search: folded (tone-free, lower-case) copies so a plain-ASCII query finds accented names.
    Column("search_key", String(1200), default="", nullable=False),
    Column("name_key", String(200), default="", nullable=False),
    Column("created_at", UTCDateTime, default=utcnow, nullable=False),
    Column("updated_at", UTCDateTime, default=utcnow, nullable=False),
    Column("stage_changed_at", UTCDateTime, default=utcnow, nullable=False),
    Index("ix_leads_stage_created", "stage", "created_at"),
    Index("ix_leads_owner_created", "owner_id", "created_at"),
    Index("ix_leads_campaign_created", "campaign_id", "created_at"),
    Index("ix_leads_created", "created_at", "id"),
    Index("ix_leads_name_key", "name_key", "id"),
    Index("ix_leads_email", "email"),
    Index("ix_leads_phone", "phone"),
    # Covers the dashboard's read of the leads created in a period (migrations 0006, 0008): answered from
    # the index, first entries and won value included.
    Index("ix_leads_report", *_REPORT, "won_amount_minor", "won_currency", *REACHED_COLUMNS),
    # The leads that first reached a level in a period, one range each (0008). Partial: a lead that never
    # moved up, like every freshly imported one, has no entry.
    *(
        Index(
            f"ix_leads_{column}",
            column,
            *_REPORT[:-1],
            postgresql_where=text(f"{column} IS NOT NULL"),
            sqlite_where=text(f"{column} IS NOT NULL"),
        )
        for column in REACHED_COLUMNS
    ),
)

# Each lead's score, one row per lead, created with it (migration 0009). A narrow table of its own because a
# model change rewrites every lead's score: a ``leads`` row is wide and carries a dozen indexes, so rewriting
# scores there cost ten times what it does here. ``score`` is the total in whole points, which lists sort by;
# the parts are exact to a tenth of a point and NULL until the lead is first scored.
LEAD_SCORES = Table(
    "lead_scores",
    Base.metadata,
    Column("lead_id", BigId, ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True),
    Column("score", Integer, default=0, server_default="0", nullable=False),
    Column("score_fit", Numeric(8, 1, asdecimal=False), default=None, nullable=True),
    Column("score_behaviour", Numeric(8, 1, asdecimal=False), default=None, nullable=True),
    Column("temperature", String(10), default=None, nullable=True),  # cold, warm or hot
    Column("scored_at", UTCDateTime, default=None, nullable=True),
    Column("score_model_id", Integer, ForeignKey("scoring_models.id"), default=None, nullable=True),
    Index("ix_lead_scores_score", "score", "lead_id"),
)
# The columns of ``LEAD_SCORES`` that ``Lead`` maps under the same names.
SCORE_COLUMNS = ("score", "score_fit", "score_behaviour", "temperature", "scored_at", "score_model_id")


class Lead(Base):
    """A lead is its ``leads`` row and its ``lead_scores`` row, mapped as one: ``Lead(...)`` inserts both,
    ``Lead.score`` sorts and filters through the join, ``session.delete`` removes both. Bulk writers go to
    the tables themselves (``LEADS``, ``LEAD_SCORES``; ``store.bulk`` adds the score rows)."""

    __tablename__ = "leads"  # the main table's name, for code that names a model's table
    __table__ = join(LEADS, LEAD_SCORES, LEADS.c.id == LEAD_SCORES.c.lead_id)

    id: Mapped[int] = column_property(LEADS.c.id, LEAD_SCORES.c.lead_id)
    kind: Mapped[str]
    stage: Mapped[str]
    # Person
    full_name: Mapped[str | None]
    email: Mapped[str | None]
    phone: Mapped[str | None]
    job_title: Mapped[str | None]
    age_range: Mapped[str | None]
    gender: Mapped[str | None]
    income_range: Mapped[str | None]
    marital_status: Mapped[str | None]
    interests: Mapped[list[str]]
    # Company
    company: Mapped[str | None]
    industry: Mapped[str | None]
    company_size: Mapped[str | None]
    # Place
    country: Mapped[str]
    province: Mapped[str | None]
    city: Mapped[str | None]
    # Origin
    channel_id: Mapped[int | None]
    campaign_id: Mapped[int | None]
    utm_source: Mapped[str | None]
    utm_medium: Mapped[str | None]
    utm_campaign: Mapped[str | None]
    utm_term: Mapped[str | None]
    utm_content: Mapped[str | None]
    landing_page: Mapped[str | None]
    referrer: Mapped[str | None]
    lead_magnet: Mapped[str | None]
    # Work
    owner_id: Mapped[int | None]
    # Hand-off (migration 0007): when the current owner got the lead, the first-contact deadline and when the
    # first contact happened (speed-to-lead, kept for reporting), and the value of a won deal.
    assigned_at: Mapped[datetime | None]
    first_contact_due_at: Mapped[datetime | None]
    first_contact_at: Mapped[datetime | None]
    won_amount_minor: Mapped[int | None]
    won_currency: Mapped[str | None]
    lost_reason: Mapped[str | None]
    # The first moment the lead entered each funnel level or a higher one (``measure.paths.reached``; Lost,
    # Disqualified and recruitment stages do not count), NULL while it has not. Kept by the database's
    # triggers on ``stage_changes`` (migration 0008) whoever writes the moves: read them, never set them.
    reached_mql_at: Mapped[datetime | None]
    reached_sql_at: Mapped[datetime | None]
    reached_opportunity_at: Mapped[datetime | None]
    reached_customer_at: Mapped[datetime | None]
    # Data-quality flags from cleaning (email_role, phone_invalid, bought_list…); the lead still counts.
    flags: Mapped[list[str]]
    notes: Mapped[str | None]
    # Search: folded (tone-free, lower-case) copies so a plain-ASCII query finds accented names.
    search_key: Mapped[str]
    name_key: Mapped[str]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    stage_changed_at: Mapped[datetime]
    # Score (``LEAD_SCORES``)
    score: Mapped[int]
    score_fit: Mapped[float | None]
    score_behaviour: Mapped[float | None]
    temperature: Mapped[str | None]
    scored_at: Mapped[datetime | None]
    score_model_id: Mapped[int | None]

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
        # The dashboard's reads of moves (migration 0006); ``at`` before ``to_stage`` works around an SQLite
        # 3.40 planner bug with a (lead_id, to_stage, at) index and a range on ``at``. They also serve a
        # lead's history and the moves into a stage, whose narrower indexes 0011 dropped.
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
