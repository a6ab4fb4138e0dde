"""Each person's iCalendar feed: a secret URL a calendar app polls, revocable at any time.

Calendar apps cannot send an API key, so the secret travels in the URL. Only its SHA-256 hash is stored (as
for API keys): a leaked database does not open anyone's calendar, and issuing a new token revokes the old one.
The feed holds what its owner would see themselves (``leads.visible`` for their role): their tasks from 30 days
back to 90 days ahead.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from pheu.auth.apikeys import hash_token
from pheu.auth.roles import Principal
from pheu.handoff.ical import CalendarTask, build_feed
from pheu.services import audit, users
from pheu.services.errors import NotFound
from pheu.services.leads import visible
from pheu.services.tasks import handoff_config
from pheu.store import Lead, Task, User

PAST: Final = timedelta(days=30)
AHEAD: Final = timedelta(days=90)
TOKEN_BYTES: Final = 32


def issue_token(session: Session, principal: Principal, now: datetime) -> str:
    """A new secret for the principal's own feed (the previous one stops working); shown once."""
    user = session.get(User, principal.user_id)
    if user is None:
        raise NotFound("No such user.")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    user.calendar_token_hash = hash_token(token)
    audit.record(
        session, at=now, actor=principal, action="issue_calendar_feed", entity="user", entity_id=user.id
    )
    session.flush()
    return token


def revoke(session: Session, principal: Principal, now: datetime) -> None:
    user = session.get(User, principal.user_id)
    if user is not None and user.calendar_token_hash is not None:
        user.calendar_token_hash = None
        audit.record(
            session, at=now, actor=principal, action="revoke_calendar_feed", entity="user", entity_id=user.id
        )
        session.flush()


def has_feed(session: Session, principal: Principal) -> bool:
    user = session.get(User, principal.user_id)
    return user is not None and user.calendar_token_hash is not None


def feed(session: Session, token: str, now: datetime, *, host: str, base_url: str) -> bytes:
    """The feed for a token, or ``NotFound`` for an unknown, revoked or inactive one."""
    if not token or len(token) > 200:
        raise NotFound("No such calendar.")
    user = session.scalar(select(User).where(User.calendar_token_hash == hash_token(token)))
    if user is None or not user.active:
        raise NotFound("No such calendar.")
    principal = users.principal_for(user)
    stmt = visible(
        select(Task, Lead.full_name, Lead.email, Lead.phone).join(Lead, Lead.id == Task.lead_id), principal
    ).where(Task.owner_id == user.id, Task.due_at >= now - PAST, Task.due_at < now + AHEAD)
    tasks = [
        CalendarTask(
            task_id=task.id,
            kind=task.kind,
            title=task.title,
            due_at=task.due_at,
            ends_at=task.ends_at,
            status=task.status,
            lead_name=name or email or phone or f"#{task.lead_id}",
            lead_url=f"{base_url}/leads/{task.lead_id}",
            phone=phone,
            notes=task.notes,
            updated_at=task.completed_at,
        )
        for task, name, email, phone in session.execute(stmt.order_by(Task.due_at, Task.id))
    ]
    config = handoff_config(session)
    return build_feed(tasks, name=f"Phễu — {user.name}", host=host, now=now, timezone=config.timezone)
