"""Writing the audit log: every service write records who did it and what changed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from pheu.auth.roles import Principal
from pheu.store import AuditEntry


def record(
    session: Session,
    *,
    at: datetime,
    actor: Principal | None,
    action: str,
    entity: str,
    entity_id: int | str,
    changes: dict[str, Any] | None = None,
    actor_label: str | None = None,
) -> None:
    session.add(
        AuditEntry(
            at=at,
            actor_user_id=actor.user_id if actor else None,
            actor_label=actor_label or (actor.label if actor else "system"),
            action=action,
            entity=entity,
            entity_id=str(entity_id),
            changes=_jsonable(changes or {}),
        )
    )


def system_row(
    *,
    at: datetime,
    actor_label: str,
    action: str,
    entity: str,
    entity_id: int | str,
    changes: dict[str, Any],
) -> dict[str, Any]:
    """The ``audit_log`` row of a system actor's write, for a caller that writes it inside a statement of
    its own (the model's stage moves, written with Core)."""
    return {
        "at": at,
        "actor_user_id": None,
        "actor_label": actor_label,
        "action": action,
        "entity": entity,
        "entity_id": str(entity_id),
        "changes": _jsonable(changes),
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value
