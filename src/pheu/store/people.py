"""Who works in Phễu: users with a role, their teams, and the API keys they issue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pheu.store.base import Base, Json, UTCDateTime, utcnow


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    # Who hears about breached deadlines and may reassign the team's leads (migration 0007).
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", use_alter=True), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    members: Mapped[list[User]] = relationship(back_populates="team", foreign_keys="User.team_id")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), default=None)
    locale: Mapped[str] = mapped_column(String(5), default="vi")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Hand-off (migration 0007): a rep's share of the team's leads under weighted assignment, an absence
    # (assignment skips the rep between these), weekly working hours ({"mon": [["08:00", "17:30"]], …}; NULL
    # means the team's defaults) and the languages they can sell in.
    capacity: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    away_from: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    away_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    working_hours: Mapped[dict[str, Any] | None] = mapped_column(Json, default=None)
    languages: Mapped[list[str] | None] = mapped_column(Json, default=None)
    # The secret in the URL of the rep's iCalendar feed, hashed like an API key; NULL: no feed (revoked).
    calendar_token_hash: Mapped[str | None] = mapped_column(String(64), default=None)

    team: Mapped[Team | None] = relationship(back_populates="members", foreign_keys=[team_id])


class ApiKey(Base):
    """Only a hash of the secret is kept; the prefix finds the row without scanning every hash."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(120))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(Json, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    user: Mapped[User] = relationship()
