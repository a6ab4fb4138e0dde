"""Scoring in the store: versioned scoring models, each lead's stored score parts, and BANT.

A model is kept as the YAML a team edits (``pheu.score.model_yaml``), one row per version, never changed once
written: a new version is a new row, so a stored score can always name the exact rules that made it. Exactly
one row is active; the service switches it inside one transaction and a partial unique index (PostgreSQL and
SQLite both have them) refuses a second active row even from two racing requests.

The score and its parts live in ``lead_scores``, one row per lead (``store.leads.LEAD_SCORES``, migration
0009), which ``Lead`` maps as plain attributes; the bulk paths write them by name (``LEAD_SCORE_COLUMNS``),
set-wise through Core.

Team BANT criteria are a one-row table (``bant_criteria``) rather than part of the model YAML: marketing
owns the model, sales owns the bar for an Opportunity, and changing one must not version the other.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from pheu.store.base import Base, BigId, Json, UTCDateTime, utcnow
from pheu.store.leads import Lead

# Score parts are exact to a tenth of a point (see pheu.score.engine); NUMERIC keeps them exact.
Points = Numeric(8, 1, asdecimal=False)


class ScoringModelVersion(Base):
    """One version of a scoring model, as the YAML text that was imported."""

    __tablename__ = "scoring_models"
    __table_args__ = (
        UniqueConstraint("name", "version", name="uq_scoring_models_name_version"),
        Index(
            "uq_scoring_models_active",
            "active",
            unique=True,
            postgresql_where=text("active"),
            sqlite_where=text("active"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    yaml: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    @property
    def label(self) -> str:
        return f"{self.name} v{self.version}"


class LeadBant(Base):
    """What sales learnt about one lead, and the deal it would become: Budget (an amount in minor units of
    ``budget_currency``, or a level when the lead will not say), Authority, Need (their words and a level),
    Timing (a window or an expected date), plus the Opportunity's amount and expected close date."""

    __tablename__ = "lead_bant"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), unique=True)
    budget_amount_minor: Mapped[int | None] = mapped_column(BigInteger, default=None)
    budget_currency: Mapped[str | None] = mapped_column(String(3), default=None)
    budget_level: Mapped[str | None] = mapped_column(String(10), default=None)
    authority: Mapped[str | None] = mapped_column(String(20), default=None)
    need: Mapped[str] = mapped_column(Text, default="")
    need_level: Mapped[str | None] = mapped_column(String(10), default=None)
    timing_window: Mapped[str | None] = mapped_column(String(20), default=None)
    timing_date: Mapped[date | None] = mapped_column(Date, default=None)
    opportunity_amount_minor: Mapped[int | None] = mapped_column(BigInteger, default=None)
    opportunity_currency: Mapped[str | None] = mapped_column(String(3), default=None)
    expected_close_date: Mapped[date | None] = mapped_column(Date, default=None)
    notes: Mapped[str | None] = mapped_column(Text, default=None)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BantCriteriaRow(Base):
    """The team's bar for calling an SQL an Opportunity (``pheu.score.bant.BantCriteria``); one row, id 1.
    Without a row the defaults of ``BantCriteria`` apply."""

    __tablename__ = "bant_criteria"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    min_budget_minor: Mapped[int | None] = mapped_column(BigInteger, default=None)
    min_budget_currency: Mapped[str | None] = mapped_column(String(3), default=None)
    min_budget_level: Mapped[str | None] = mapped_column(String(10), default=None)
    authority: Mapped[list[str]] = mapped_column(Json, default=list)
    min_need_level: Mapped[str | None] = mapped_column(String(10), default=None)
    timing_within: Mapped[str | None] = mapped_column(String(20), default=None)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


SCORE_FIT: Final = "score_fit"
SCORE_BEHAVIOUR: Final = "score_behaviour"
TEMPERATURE: Final = "temperature"
SCORED_AT: Final = "scored_at"
SCORE_MODEL_ID: Final = "score_model_id"

# Declared on ``Lead`` (migration 0005); ``temperature`` is cold, warm or hot; all are NULL until the lead is
# first scored.
LEAD_SCORE_COLUMNS: Final = (SCORE_FIT, SCORE_BEHAVIOUR, TEMPERATURE, SCORED_AT, SCORE_MODEL_ID)


def score_parts(lead: Lead) -> dict[str, Any]:
    """The stored score columns of a loaded lead, by name: what a rescore must reproduce exactly."""
    return {name: getattr(lead, name) for name in LEAD_SCORE_COLUMNS}
