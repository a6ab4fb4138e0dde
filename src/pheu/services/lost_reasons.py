"""The managed list of lost reasons: a rep picks one when a lead is lost, so the reports can count them.

Admins edit the list; everyone reads it. A reason is never deleted (old lost leads still carry its code), only
switched off, which hides it from the pickers. The usual Vietnamese SME reasons are seeded on first use (an
empty table), so a fresh install has a list to pick from without a migration carrying data.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from pheu.auth.roles import Principal, can_manage_users
from pheu.services import audit
from pheu.services.errors import Conflict, Forbidden, NotFound
from pheu.services.task_schemas import LostReasonIn
from pheu.store import LostReason

DEFAULTS: Final[tuple[tuple[str, str, str], ...]] = (
    ("price", "Giá cao", "Price too high"),
    ("competitor", "Chọn đối thủ", "Chose a competitor"),
    ("no_need", "Không có nhu cầu", "No need"),
    ("unreachable", "Không liên lạc được", "Unreachable"),
    ("bad_timing", "Sai thời điểm", "Bad timing"),
    ("no_budget", "Không có ngân sách", "No budget"),
    ("no_authority", "Không phải người quyết định", "Not the decision maker"),
    ("other", "Lý do khác", "Other"),
)


def ensure_defaults(session: Session) -> int:
    """Add the default reasons whose codes are missing; returns how many were added."""
    have = set(session.scalars(select(LostReason.code)))
    added = 0
    for position, (code, vi, en) in enumerate(DEFAULTS):
        if code not in have:
            session.add(LostReason(code=code, label_vi=vi, label_en=en, active=True, position=position))
            added += 1
    session.flush()
    return added


def _seeded(session: Session) -> None:
    if session.scalar(select(LostReason.id).limit(1)) is None:
        ensure_defaults(session)


def list_reasons(session: Session, *, active_only: bool = True) -> list[LostReason]:
    _seeded(session)
    stmt = select(LostReason).order_by(LostReason.position, LostReason.code)
    if active_only:
        stmt = stmt.where(LostReason.active.is_(True))
    return list(session.scalars(stmt))


def active_codes(session: Session) -> set[str]:
    _seeded(session)
    return set(session.scalars(select(LostReason.code).where(LostReason.active.is_(True))))


def label(reason: LostReason, locale: str) -> str:
    return reason.label_en if locale == "en" else reason.label_vi


def _admin(principal: Principal) -> None:
    if not can_manage_users(principal.role):
        raise Forbidden("Only an admin can change the lost reasons.")


def save_reason(
    session: Session, principal: Principal, data: LostReasonIn, now: datetime, *, create: bool
) -> LostReason:
    """Create a reason (its code must be new) or change one by code."""
    _admin(principal)
    reason = session.scalar(select(LostReason).where(LostReason.code == data.code))
    if create and reason is not None:
        raise Conflict(f"A lost reason with code '{data.code}' exists.", code="reason_exists", field="code")
    if not create and reason is None:
        raise NotFound(f"No lost reason with code '{data.code}'.")
    if reason is None:
        reason = LostReason(code=data.code)
        session.add(reason)
    reason.label_vi = data.label_vi.strip()
    reason.label_en = data.label_en.strip()
    reason.active = data.active
    reason.position = data.position
    audit.record(
        session, at=now, actor=principal, action="save_lost_reason", entity="lost_reason", entity_id=data.code,
        changes=data.model_dump(),
    )  # fmt: skip
    session.flush()
    return reason
