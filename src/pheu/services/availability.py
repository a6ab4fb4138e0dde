"""Reps' availability for assignment: capacity, an absence, days off, languages and own working hours.

Managers edit their own team's reps, admins everyone; what a rep enters here is what assignment and the
first-contact deadlines read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from pheu.auth.roles import Principal, Role
from pheu.handoff.hours import HoursError, hours_json, parse_hours
from pheu.services import audit
from pheu.services.errors import Invalid, NotFound
from pheu.services.handoff_settings import require_manager
from pheu.services.team_view import reps_in_view
from pheu.store import DayOff, User

LANGUAGES = ("vi", "en", "zh", "ko", "ja", "fr")


@dataclass(frozen=True, slots=True)
class AvailabilityIn:
    """``working_hours`` None means "the team's default hours"."""

    capacity: int = 1
    away_from: datetime | None = None
    away_until: datetime | None = None
    languages: list[str] | None = None
    working_hours: dict[str, Any] | None = None


def editable_rep(session: Session, principal: Principal, user_id: int) -> User:
    require_manager(principal)
    if user_id not in {u.id for u in reps_in_view(session, principal)}:
        raise NotFound(f"No rep with id {user_id} in your team.")
    user = session.get(User, user_id)
    assert user is not None
    return user


def update_availability(
    session: Session, principal: Principal, user_id: int, data: AvailabilityIn, now: datetime
) -> User:
    """Save a rep's availability; ``Invalid`` names the wrong field."""
    user = editable_rep(session, principal, user_id)
    if not 1 <= data.capacity <= 100:
        raise Invalid(
            "Capacity is a whole number from 1 to 100 (a rep with 2 takes twice the leads of one with 1).",
            field="capacity",
        )
    if data.away_from and data.away_until and data.away_until <= data.away_from:
        raise Invalid("The absence must end after it starts.", field="away_until")
    languages = sorted({lang.strip().lower() for lang in data.languages or [] if lang.strip()})
    unknown = [lang for lang in languages if lang not in LANGUAGES]
    if unknown:
        raise Invalid(f"Unknown language {unknown[0]!r}; use {', '.join(LANGUAGES)}.", field="languages")
    hours = None
    if data.working_hours is not None:
        try:
            hours = hours_json(parse_hours(data.working_hours))
        except HoursError as exc:
            raise Invalid(str(exc), field=f"working_hours.{exc.field}") from exc
    before = {"capacity": user.capacity, "languages": user.languages, "working_hours": user.working_hours}
    user.capacity = data.capacity
    user.away_from, user.away_until = data.away_from, data.away_until
    user.languages = languages or None
    user.working_hours = hours
    audit.record(
        session,
        at=now,
        actor=principal,
        action="update_availability",
        entity="user",
        entity_id=user.id,
        changes={
            "before": before,
            "after": {"capacity": user.capacity, "languages": user.languages, "working_hours": hours},
        },
    )
    session.flush()
    return user


def days_off(session: Session, user_ids: list[int], since: date) -> dict[int, list[DayOff]]:
    found: dict[int, list[DayOff]] = {i: [] for i in user_ids}
    if user_ids:
        stmt = select(DayOff).where(DayOff.user_id.in_(user_ids), DayOff.day >= since).order_by(DayOff.day)
        for row in session.scalars(stmt):
            found[row.user_id].append(row)
    return found


def add_day_off(
    session: Session, principal: Principal, user_id: int, day: date, reason: str, now: datetime
) -> DayOff:
    editable_rep(session, principal, user_id)
    existing = session.scalar(select(DayOff).where(DayOff.user_id == user_id, DayOff.day == day))
    if existing is not None:
        raise Invalid(f"{day.isoformat()} is already a day off.", field="day")
    row = DayOff(user_id=user_id, day=day, reason=reason.strip()[:200])
    session.add(row)
    audit.record(
        session,
        at=now,
        actor=principal,
        action="add_day_off",
        entity="user",
        entity_id=user_id,
        changes={"day": day.isoformat()},
    )
    session.flush()
    return row


def remove_day_off(session: Session, principal: Principal, user_id: int, day: date, now: datetime) -> None:
    editable_rep(session, principal, user_id)
    session.execute(delete(DayOff).where(DayOff.user_id == user_id, DayOff.day == day))
    audit.record(
        session,
        at=now,
        actor=principal,
        action="remove_day_off",
        entity="user",
        entity_id=user_id,
        changes={"day": day.isoformat()},
    )


def is_rep(user: User) -> bool:
    return user.role == Role.SALES_REP.value
