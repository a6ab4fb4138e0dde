"""A small sales floor for the task, call and conversion tests: an admin, a manager of team Bắc with rep1,
rep2 in team Nam, and a lead each rep owns."""

from __future__ import annotations

from dataclasses import dataclass

from pheu.auth.roles import Principal, Role
from pheu.db import unit_of_work
from pheu.services import users
from pheu.store import Team, User
from tests.conftest import NOW
from tests.factories import add_channels, add_lead, add_user


@dataclass(frozen=True)
class Floor:
    url: str
    admin: Principal
    manager: Principal
    rep1: Principal
    rep2: Principal
    lead1: int  # owned by rep1, has email and phone
    lead2: int  # owned by rep2


def build_floor(url: str) -> Floor:
    add_channels(url)
    admin = add_user(url, "admin@pheu.test", Role.ADMIN, NOW)
    add_user(url, "manager@pheu.test", Role.SALES_MANAGER, NOW)
    add_user(url, "rep1@pheu.test", Role.SALES_REP, NOW)
    add_user(url, "rep2@pheu.test", Role.SALES_REP, NOW)
    with unit_of_work(url) as s:
        north, south = Team(name="Bắc", created_at=NOW), Team(name="Nam", created_at=NOW)
        s.add_all([north, south])
        s.flush()
        people = {u.email: u for u in s.query(User)}
        for email, team in (
            ("manager@pheu.test", north),
            ("rep1@pheu.test", north),
            ("rep2@pheu.test", south),
        ):
            people[email].team_id = team.id
        north.manager_id = people["manager@pheu.test"].id
        s.flush()
        manager, rep1, rep2 = (
            users.principal_for(people[e]) for e in ("manager@pheu.test", "rep1@pheu.test", "rep2@pheu.test")
        )
    lead1 = add_lead(
        url,
        rep1,
        NOW,
        full_name="Nguyễn Văn Anh",
        email="anh@example.vn",
        phone="0912345678",
        company="Hoa Sen",
    )
    lead2 = add_lead(url, rep2, NOW, full_name="Trần Thị Bình", email="binh@example.vn", phone="0987654321")
    return Floor(url, admin, manager, rep1, rep2, lead1, lead2)
