"""Roles and what they allow, as data; every read and write asks these functions, never the role name."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    MARKETING = "marketing"
    SALES_MANAGER = "sales_manager"
    SALES_REP = "sales_rep"


class Scope(StrEnum):
    LEADS_READ = "leads:read"
    LEADS_WRITE = "leads:write"
    EVENTS_READ = "events:read"
    EVENTS_WRITE = "events:write"
    ADMIN = "admin"


ALL_SCOPES: frozenset[str] = frozenset(s.value for s in Scope)


@dataclass(frozen=True, slots=True)
class Principal:
    """The person (or a key acting for them) behind a request.

    ``scopes`` narrows what a key may do; a logged-in person has every scope, and the role still decides
    which leads they can see.
    """

    user_id: int
    name: str
    role: Role
    team_id: int | None = None
    scopes: frozenset[str] = field(default_factory=lambda: ALL_SCOPES)
    via: str = "session"

    @property
    def label(self) -> str:
        return f"{self.name} (API key)" if self.via == "api_key" else self.name


def sees_only_own_leads(role: Role) -> bool:
    """A sales rep works their own leads; everyone else sees the whole pipeline."""
    return role is Role.SALES_REP


def can_reassign(role: Role) -> bool:
    return role in {Role.ADMIN, Role.SALES_MANAGER, Role.MARKETING}


def can_manage_users(role: Role) -> bool:
    return role is Role.ADMIN


def has_scope(principal: Principal, scope: Scope) -> bool:
    return scope.value in principal.scopes or Scope.ADMIN.value in principal.scopes
