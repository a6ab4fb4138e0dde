"""In-app notifications (assigned, deadline breached, escalated) and their email copies.

Writing a notice is part of the work that caused it (same transaction). Mail goes out later, from
``pheu handoff tick`` or the web app's background loop: each notice is claimed with a conditional UPDATE in
its own transaction and the claim commits only once the SMTP server accepted the message, so several
workers never send the same mail twice and a failed send is retried on the next tick.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from pheu.auth.roles import Principal
from pheu.config import Settings
from pheu.db import unit_of_work
from pheu.store import Notification, User
from pheu.store.bulk import insert_many

KINDS = ("assigned", "reassigned", "reassigned_away", "deadline_breached", "escalated")
# A notice older than this is not mailed: turning SMTP on later must not flood inboxes with old news.
MAIL_WITHIN = timedelta(hours=12)


def notify_many(session: Session, rows: Sequence[dict[str, Any]], now: datetime) -> None:
    """Insert notices: each row has ``user_id``, ``kind`` and optionally ``lead_id``, ``task_id``, ``data``."""
    insert_many(
        session,
        Notification,
        [
            {
                "user_id": r["user_id"],
                "kind": r["kind"],
                "lead_id": r.get("lead_id"),
                "task_id": r.get("task_id"),
                "data": r.get("data", {}),
                "created_at": now,
                "read_at": None,
                "emailed_at": None,
            }
            for r in rows
        ],
    )


def recent(
    session: Session, principal: Principal, *, unread_only: bool = False, limit: int = 50
) -> list[Notification]:
    """A person's own notices, newest first; nobody reads anyone else's."""
    stmt = select(Notification).where(Notification.user_id == principal.user_id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    return list(
        session.scalars(stmt.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit))
    )


def unread_count(session: Session, user_id: int) -> int:
    stmt = select(func.count()).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    return int(session.scalar(stmt) or 0)


def mark_read(session: Session, principal: Principal, ids: Iterable[int] | None, now: datetime) -> int:
    """Mark the given notices (all unread ones when ``ids`` is None) read; only the caller's own."""
    stmt = update(Notification).where(
        Notification.user_id == principal.user_id, Notification.read_at.is_(None)
    )
    if ids is not None:
        stmt = stmt.where(Notification.id.in_(list(ids)))
    return int(session.execute(stmt.values(read_at=now)).rowcount)  # type: ignore[attr-defined]


def smtp_enabled(settings: Settings) -> bool:
    return bool(settings.smtp_host)


Render = Callable[[Notification, str], str]


def deliver_emails(url: str | None, settings: Settings, now: datetime, render: Render) -> int:
    """Mail the notices not mailed yet (created within ``MAIL_WITHIN``); how many were sent. ``render`` gives
    a notice's text in a locale (the web shell owns the texts). Does nothing when SMTP is not configured."""
    if not smtp_enabled(settings):
        return 0
    with unit_of_work(url) as s:
        pending = list(
            s.execute(
                select(Notification.id)
                .where(Notification.emailed_at.is_(None), Notification.created_at >= now - MAIL_WITHIN)
                .order_by(Notification.id)
                .limit(500)
            ).scalars()
        )
    sent = 0
    for notice_id in pending:
        with unit_of_work(url) as s:
            claimed = s.execute(
                update(Notification)
                .where(Notification.id == notice_id, Notification.emailed_at.is_(None))
                .values(emailed_at=now)
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                continue
            notice = s.get(Notification, notice_id)
            user = s.get(User, notice.user_id) if notice else None
            if notice is None or user is None or not user.active:
                continue
            _send(settings, user, notice, render)
            sent += 1
    return sent


def _send(settings: Settings, user: User, notice: Notification, render: Render) -> None:
    locale = user.locale or settings.default_locale
    msg = EmailMessage()
    msg["Subject"] = f"[Phễu] {render(notice, locale)}"
    msg["From"] = settings.smtp_from
    msg["To"] = user.email
    link = (
        f"{settings.base_url.rstrip('/')}/leads/{notice.lead_id}"
        if notice.lead_id
        else f"{settings.base_url.rstrip('/')}/notifications"
    )
    msg.set_content(f"{render(notice, locale)}\n\n{link}\n")
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
        smtp.send_message(msg)
