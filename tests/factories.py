"""Builders of real rows for tests, through the same services the product uses."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pheu.auth.roles import Principal, Role
from pheu.db import unit_of_work
from pheu.services import leads, users
from pheu.services.schemas import LeadIn
from pheu.store import Channel, User

CHANNELS = [("facebook_ads", "Facebook Ads", True), ("seo", "SEO", False), ("import", "Danh sách", False)]


def add_channels(url: str) -> None:
    with unit_of_work(url) as s:
        for code, name, paid in CHANNELS:
            s.add(Channel(code=code, name=name, paid=paid, low_quality=code == "import"))


def add_user(url: str, email: str, role: Role, now: datetime, password: str = "correct-horse") -> Principal:
    with unit_of_work(url) as s:
        user: User = users.add_user(
            s, email=email, name=email.split("@")[0].title(), password=password, role=role, now=now
        )
        return users.principal_for(user)


def add_lead(url: str, principal: Principal | None, now: datetime, **fields: Any) -> int:
    with unit_of_work(url) as s:
        lead = leads.create_lead(s, principal, LeadIn(**fields), now)
        s.flush()
        return lead.id


def api_token(url: str, email: str, scopes: list[str], now: datetime) -> str:
    with unit_of_work(url) as s:
        return users.create_api_key(s, user_email=email, name="test", scopes=scopes, now=now).token


def bare_lead_rows(n: int, at: datetime) -> list[dict[str, Any]]:
    """``leads`` rows as the bulk writers take them (``store.bulk``), with the fewest values a lead needs."""
    return [
        {
            "full_name": f"Khách {i}",
            "email": f"khach{i}@gmail.com",
            "kind": "sales",
            "stage": "iql",
            "country": "VN",
            "interests": [],
            "created_at": at,
            "updated_at": at,
            "stage_changed_at": at,
            "flags": [],
            "search_key": "",
            "name_key": "",
        }
        for i in range(n)
    ]
