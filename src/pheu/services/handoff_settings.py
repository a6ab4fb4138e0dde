"""Reading and saving the speed-to-lead settings (one row): deadlines, working hours, the hand-off stage."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from pheu.auth.roles import Principal, Role
from pheu.handoff.settings import HandoffConfig, SettingsError, parse
from pheu.services import audit
from pheu.services.errors import Forbidden, Invalid
from pheu.store import HandoffSettings

MANAGERS = frozenset({Role.ADMIN, Role.SALES_MANAGER})


def require_manager(principal: Principal) -> None:
    """Rules, settings and reassignment are for admins and sales managers."""
    if principal.role not in MANAGERS:
        raise Forbidden("Only an admin or a sales manager can change hand-off rules and settings.")


def load(session: Session) -> HandoffConfig:
    """The saved settings, or the defaults when none were saved yet."""
    row = session.get(HandoffSettings, 1)
    return parse(row.data if row is not None else {})


def save(session: Session, principal: Principal, data: dict[str, Any], now: datetime) -> HandoffConfig:
    """Validate the whole object and store it; ``Invalid`` names the first wrong field and carries all of
    them in its message."""
    require_manager(principal)
    try:
        config = parse(data)
    except SettingsError as exc:
        first = next(iter(exc.problems))
        raise Invalid(str(exc), field=first) from exc
    row = session.get(HandoffSettings, 1)
    before = row.data if row is not None else {}
    if row is None:
        row = HandoffSettings(id=1)
        session.add(row)
    row.data = config.as_json()
    row.updated_at = now
    row.updated_by = principal.user_id
    audit.record(
        session,
        at=now,
        actor=principal,
        action="update",
        entity="handoff_settings",
        entity_id=1,
        changes={"before": before, "after": row.data},
    )
    session.flush()
    return config
