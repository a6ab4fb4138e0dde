"""The hand-off API on SQLite and PostgreSQL: rules, settings, reassign, overdue, notifications, team view,
and who may do what."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from pheu.db import unit_of_work
from pheu.store import Task
from pheu.web.app import create_app
from tests.conftest import NOW
from tests.factories import api_token
from tests.handoff.assign_helpers import Teams, build_teams, lead_row, ready_lead

SCOPES = ["leads:read", "leads:write"]


@dataclass
class Api:
    client: TestClient
    teams: Teams
    url: str
    tokens: dict[str, str]

    def get(self, who: str, path: str) -> Any:
        return self.client.get(path, headers={"Authorization": f"Bearer {self.tokens[who]}"})

    def send(self, method: str, who: str, path: str, body: object = None) -> Any:
        return self.client.request(
            method, path, json=body, headers={"Authorization": f"Bearer {self.tokens[who]}"}
        )


@pytest.fixture
def api(db_url: str) -> Iterator[Api]:
    teams = build_teams(db_url)
    tokens = {
        who: api_token(db_url, email, SCOPES, NOW)
        for who, email in [
            ("admin", "admin@pheu.test"),
            ("nm", "nm@pheu.test"),
            ("sm", "sm@pheu.test"),
            ("bac0", "bac0@pheu.test"),
            ("bac1", "bac1@pheu.test"),
        ]
    }
    tokens["bac0_read"] = api_token(db_url, "bac0@pheu.test", ["leads:read"], NOW)
    with TestClient(create_app(db_url)) as client:
        yield Api(client, teams, db_url, tokens)


def test_rules_crud_and_reorder_for_managers_only(api: Api) -> None:
    r = api.send("POST", "nm", "/api/v1/assignment-rules", {"name": "Khách nóng", "team_id": api.teams.north_id,
        "strategy": "weighted", "conditions": {"temperatures": ["hot"], "min_score": 60}})  # fmt: skip
    assert r.status_code == 201, r.text
    new = r.json()
    assert new["position"] == 3 and new["conditions"] == {"temperatures": ["hot"], "min_score": 60}
    bad = api.send("POST", "nm", "/api/v1/assignment-rules", {"name": "x", "team_id": api.teams.north_id,
        "conditions": {"regions": ["west"]}})  # fmt: skip
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "conditions.regions"
    assert (
        api.send("POST", "bac0", "/api/v1/assignment-rules", {"name": "x", "team_id": 1}).status_code == 403
    )
    assert api.get("bac0", "/api/v1/assignment-rules").status_code == 403
    ids = [rule["id"] for rule in api.get("admin", "/api/v1/assignment-rules").json()]
    order = api.send("PUT", "admin", "/api/v1/assignment-rules/order", {"rule_ids": [ids[2], ids[0], ids[1]]})
    assert [rule["id"] for rule in order.json()] == [ids[2], ids[0], ids[1]]
    assert (
        api.send("PUT", "admin", "/api/v1/assignment-rules/order", {"rule_ids": ids[:2]}).status_code == 422
    )
    assert api.send("DELETE", "admin", f"/api/v1/assignment-rules/{ids[2]}").status_code == 204
    assert len(api.get("admin", "/api/v1/assignment-rules").json()) == 2


def test_settings_are_validated_field_by_field(api: Api) -> None:
    assert api.get("nm", "/api/v1/handoff/settings").json()["deadline_minutes"]["hot"] == 15
    bad = api.send("PUT", "nm", "/api/v1/handoff/settings", {"deadline_minutes": {"hot": "soon"}})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "deadline_minutes.hot"
    ok = api.send(
        "PUT", "nm", "/api/v1/handoff/settings", {"deadline_minutes": {"hot": 5}, "handoff_stage": "sql"}
    )
    assert ok.json()["deadline_minutes"] == {"hot": 5, "warm": 240, "cold": 1440}
    assert api.send("PUT", "bac0", "/api/v1/handoff/settings", {}).status_code == 403


def test_reassign_overdue_notifications_and_team_view_respect_roles(api: Api) -> None:
    lead_id = ready_lead(api.url, api.teams.admin, "Hà Nội", temperature="hot")
    owner = lead_row(api.url, lead_id).owner_id
    assert owner == api.teams.north_reps[0].user_id
    # deadline NOW + 15 min has passed by the real clock: it is overdue for the rep and their manager only
    assert [o["lead_id"] for o in api.get("bac0", "/api/v1/handoff/overdue").json()] == [lead_id]
    assert [o["lead_id"] for o in api.get("nm", "/api/v1/handoff/overdue").json()] == [lead_id]
    assert api.get("sm", "/api/v1/handoff/overdue").json() == []
    assert api.get("bac1", "/api/v1/handoff/overdue").json() == []
    # the south manager cannot see the lead at all
    assert api.get("sm", f"/api/v1/leads/{lead_id}").status_code == 404
    assert api.get("nm", f"/api/v1/leads/{lead_id}").status_code == 200
    target = api.teams.north_reps[1].user_id
    assert (
        api.send("POST", "bac0", f"/api/v1/leads/{lead_id}/reassign", {"user_id": target}).status_code == 403
    )
    r = api.send("POST", "nm", f"/api/v1/leads/{lead_id}/reassign", {"user_id": target, "note": "nghỉ ốm"})
    assert r.status_code == 200, r.text
    assert (r.json()["previous_user_id"], r.json()["reason"]) == (owner, "manual")
    history = api.get("nm", f"/api/v1/leads/{lead_id}/assignments").json()
    assert [h["reason"] for h in history] == ["manual", "least_loaded"]
    notes = api.get("bac1", "/api/v1/notifications?unread=true").json()
    assert [n["kind"] for n in notes] == ["reassigned"]
    away = api.get("bac0", "/api/v1/notifications?unread=true").json()
    assert [n["kind"] for n in away if n["kind"] == "reassigned_away"] == ["reassigned_away"]
    marked = api.send("POST", "bac1", "/api/v1/notifications/read", {"ids": None}).json()
    assert marked == {"marked": 1, "unread": 0}
    assert api.get("bac0", "/api/v1/team").status_code == 403
    rows = {row["user_id"]: row for row in api.get("nm", "/api/v1/team").json()}
    assert set(rows) == {api.teams.north_manager.user_id, *(r.user_id for r in api.teams.north_reps)}
    assert (
        rows[target]["open_leads"] == 1 and rows[target]["open_tasks"] == 1 and rows[target]["overdue"] == 1
    )
    assert len(api.get("admin", "/api/v1/team").json()) == 6


def test_a_read_only_key_cannot_reassign(api: Api) -> None:
    lead_id = ready_lead(api.url, api.teams.admin, "Hà Nội")
    r = api.send("POST", "bac0_read", f"/api/v1/leads/{lead_id}/reassign", {"user_id": 1})
    assert r.status_code == 403


def test_a_patched_owner_is_an_assignment_and_a_manager_stays_in_their_team(api: Api) -> None:
    lead_id = ready_lead(api.url, api.teams.admin, "Hà Nội")
    owner = lead_row(api.url, lead_id).owner_id
    south_rep = api.teams.south_reps[0].user_id
    r = api.send("PATCH", "nm", f"/api/v1/leads/{lead_id}", {"owner_id": south_rep})
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "owner_id")
    assert lead_row(api.url, lead_id).owner_id == owner
    north_rep = next(p.user_id for p in api.teams.north_reps if p.user_id != owner)
    r = api.send("PATCH", "nm", f"/api/v1/leads/{lead_id}", {"owner_id": north_rep})
    assert r.status_code == 200, r.text
    history = api.get("nm", f"/api/v1/leads/{lead_id}/assignments").json()
    latest = history[0]
    assert (latest["reason"], latest["previous_user_id"], latest["user_id"]) == (
        "manual",
        owner,
        north_rep,
    )
    with unit_of_work(api.url) as s:  # the first-contact call went with the lead
        assert s.scalars(
            select(Task.owner_id).where(Task.lead_id == lead_id, Task.status == "open")
        ).all() == [north_rep]
