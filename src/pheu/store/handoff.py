"""Hand-off to sales in the store: assignment rules and the assignments they made, tasks (the call queue),
days off, the managed list of lost reasons, in-app notifications and the speed-to-lead settings.

Assignments are rows, not just ``leads.owner_id``: "who had this lead, since when, and which rule gave it to
them" is what a manager asks when a lead went cold, and what response-time reports are cut by. Round-robin
state is read back from the latest assignment of a team, so it survives restarts and needs no counter column.

A lead's first-contact deadline is a task with ``first_contact`` set: the overdue view, escalation and the
rep's queue all read tasks, so a hot lead waiting for its first call is in the same list as everything else.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pheu.store.base import Base, BigId, Json, UTCDateTime, utcnow


class AssignmentRule(Base):
    """One rule of the ordered list: the first active rule whose conditions a lead meets sends it to a team.

    ``conditions`` is a JSON object of optional lists / bounds (provinces, regions, channels, industries,
    languages, kinds, temperatures, min_score, max_score); an absent key matches everything. ``strategy`` is
    how the team shares its leads: ``round_robin``, ``least_loaded`` or ``weighted`` (by each rep's capacity).
    """

    __tablename__ = "assignment_rules"
    __table_args__ = (Index("ix_assignment_rules_position", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    conditions: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    strategy: Mapped[str] = mapped_column(String(20), default="round_robin")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Assignment(Base):
    """A lead given to a rep (or to a team with nobody available: ``user_id`` NULL), by a rule or a person."""

    __tablename__ = "assignments"
    __table_args__ = (
        Index("ix_assignments_lead_at", "lead_id", "at"),
        Index("ix_assignments_user_at", "user_id", "at"),
        Index("ix_assignments_team_at", "team_id", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    previous_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), default=None)
    rule_id: Mapped[int | None] = mapped_column(
        ForeignKey("assignment_rules.id", ondelete="SET NULL"), default=None
    )
    reason: Mapped[str] = mapped_column(String(500), default="")
    actor_type: Mapped[str] = mapped_column(String(20))  # system, user, api
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DayOff(Base):
    """A day a rep does not work (leave, holiday): assignment skips them and their deadlines do not run."""

    __tablename__ = "days_off"
    __table_args__ = (UniqueConstraint("user_id", "day", name="uq_days_off_user_day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200), default="")


class Task(Base):
    """A call, meeting or email a rep owes a lead. ``status`` is open, done or cancelled; ``outcome`` is what
    a logged call gave (reached, no_answer, wrong_number, call_back…). ``first_contact`` marks the
    speed-to-lead task whose ``due_at`` is the deadline; ``escalated_at`` is when its breach went to the
    manager."""

    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_owner_status_due", "owner_id", "status", "due_at"),
        Index("ix_tasks_status_due", "status", "due_at"),
        Index("ix_tasks_lead_created", "lead_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    kind: Mapped[str] = mapped_column(String(20))  # call, meeting, email
    title: Mapped[str] = mapped_column(String(300), default="")
    notes: Mapped[str | None] = mapped_column(Text, default=None)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    status: Mapped[str] = mapped_column(String(20), default="open")
    outcome: Mapped[str | None] = mapped_column(String(30), default=None)
    first_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    completed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)


class LostReason(Base):
    """The managed list a rep picks from when a lead is lost, so lost reasons can be counted."""

    __tablename__ = "lost_reasons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    label_vi: Mapped[str] = mapped_column(String(200))
    label_en: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Notification(Base):
    """An in-app notice (assigned, deadline breached, escalated…); ``emailed_at`` is set once it was mailed."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_read_created", "user_id", "read_at", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), default=None)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id", ondelete="SET NULL"), default=None)
    data: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class HandoffSettings(Base):
    """One row (id 1): first-contact deadlines per temperature, escalation delay, default working hours and
    time zone. JSON, validated by the service, because the team tunes these together and they change rarely."""

    __tablename__ = "handoff_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
