"""Small reads and one write the pages need that the services do not offer (yet): option lists for the
filters, the logged-in user, their language. Each takes an open session; the caller owns the transaction."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from pheu.auth.roles import Role
from pheu.i18n import normalize_locale
from pheu.services import users
from pheu.store import Campaign, Channel, User

_OWNER_ROLES = frozenset({Role.SALES_REP.value, Role.SALES_MANAGER.value})


def active_user(session: Session, user_id: int) -> User | None:
    user = session.get(User, user_id)
    return user if user is not None and user.active else None


def save_locale(session: Session, user_id: int, locale: str) -> None:
    """Remember a person's language; an unsupported code is ignored."""
    code = normalize_locale(locale)
    user = session.get(User, user_id)
    if code and user is not None:
        user.locale = code


def channels(session: Session) -> list[Channel]:
    return list(session.scalars(select(Channel).order_by(Channel.name)))


def campaigns(session: Session) -> list[Campaign]:
    return list(session.scalars(select(Campaign).order_by(Campaign.created_at.desc(), Campaign.id.desc())))


def lead_owners(session: Session) -> list[User]:
    """People who can own leads (sales reps and managers), for the owner filter."""
    return [u for u in users.list_users(session) if u.active and u.role in _OWNER_ROLES]
