"""People and keys: adding users, logging in, issuing and checking API keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pheu.auth import apikeys, passwords
from pheu.auth.roles import ALL_SCOPES, Principal, Role
from pheu.services import audit
from pheu.services.errors import Conflict, Invalid, Unauthorized
from pheu.store import ApiKey, Team, User

MIN_PASSWORD = 8


def principal_for(user: User, *, scopes: frozenset[str] = ALL_SCOPES, via: str = "session") -> Principal:
    return Principal(
        user_id=user.id, name=user.name, role=Role(user.role), team_id=user.team_id, scopes=scopes, via=via
    )


def add_user(
    session: Session,
    *,
    email: str,
    name: str,
    password: str,
    role: Role,
    now: datetime,
    team: str | None = None,
    locale: str = "vi",
    actor: Principal | None = None,
) -> User:
    email = email.strip().lower()
    if "@" not in email:
        raise Invalid(f"'{email}' is not an email address.", field="email")
    if len(password) < MIN_PASSWORD:
        raise Invalid(f"The password needs at least {MIN_PASSWORD} characters.", field="password")
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"A user with email {email} already exists.", field="email")
    team_row = None
    if team:
        team_row = session.scalar(select(Team).where(Team.name == team))
        if team_row is None:
            team_row = Team(name=team, created_at=now)
            session.add(team_row)
    user = User(
        email=email,
        name=name.strip(),
        password_hash=passwords.hash_password(password),
        role=role.value,
        team=team_row,
        locale=locale,
        created_at=now,
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        at=now,
        actor=actor,
        action="create",
        entity="user",
        entity_id=user.id,
        changes={"email": email, "role": role.value},
    )
    return user


def authenticate(session: Session, email: str, password: str, now: datetime) -> User:
    """Return the user, or raise ``Unauthorized`` without saying which half was wrong."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.active or not passwords.verify_password(user.password_hash, password):
        raise Unauthorized("Wrong email or password.")
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    user.last_login_at = now
    return user


@dataclass(frozen=True, slots=True)
class IssuedKey:
    key: ApiKey
    token: str


def create_api_key(
    session: Session, *, user_email: str, name: str, scopes: list[str], now: datetime
) -> IssuedKey:
    """Issue a key acting as the given user; the token is shown once and only its hash is stored."""
    user = session.scalar(select(User).where(User.email == user_email.strip().lower()))
    if user is None:
        raise Invalid(f"No user with email {user_email}.", field="user")
    try:
        checked = apikeys.check_scopes(scopes)
    except apikeys.InvalidScope as exc:
        raise Invalid(str(exc), field="scopes") from exc
    new = apikeys.generate()
    key = ApiKey(
        user_id=user.id,
        name=name,
        prefix=new.prefix,
        secret_hash=new.secret_hash,
        scopes=checked,
        created_at=now,
    )
    session.add(key)
    session.flush()
    audit.record(
        session,
        at=now,
        actor=None,
        actor_label="cli",
        action="create",
        entity="api_key",
        entity_id=key.id,
        changes={"user": user.email, "scopes": checked},
    )
    return IssuedKey(key=key, token=new.token)


def principal_for_token(session: Session, token: str, now: datetime) -> Principal:
    prefix = apikeys.split_prefix(token)
    if prefix is None:
        raise Unauthorized("The API key is malformed; it looks like pheu_<prefix>_<secret>.")
    key = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if key is None or key.revoked_at is not None or not apikeys.matches(token, key.secret_hash):
        raise Unauthorized("The API key is unknown or revoked.")
    if not key.user.active:
        raise Unauthorized("The API key's user is deactivated.")
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        key.last_used_at = now
    return principal_for(key.user, scopes=frozenset(key.scopes), via="api_key")


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.name)))
