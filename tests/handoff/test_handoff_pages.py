"""The hand-off pages in a browser-less client: rules, settings, availability, overdue, team view,
notifications and "Reassign" on the lead page — and who gets in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from pheu.db import unit_of_work
from pheu.store import AssignmentRule, DayOff, HandoffSettings, User
from pheu.web.app import create_app
from tests.handoff.assign_helpers import Teams, build_teams, lead_row, ready_lead
from tests.web.conftest import log_in


@pytest.fixture
def teams(sqlite_url: str) -> Teams:
    return build_teams(sqlite_url)


@pytest.fixture
def client(sqlite_url: str, teams: Teams) -> Iterator[TestClient]:
    with TestClient(create_app(sqlite_url), follow_redirects=False) as c:
        yield c


def test_a_manager_adds_edits_reorders_and_deletes_a_rule(
    client: TestClient, sqlite_url: str, teams: Teams
) -> None:
    token = log_in(client, "nm@pheu.test")
    page = client.get("/handoff/rules")
    assert page.status_code == 200 and "Miền Bắc" in page.text
    form = {"csrf_token": token, "name": "Khách nóng", "team_id": str(teams.south_id), "strategy": "weighted",
            "temperatures": ["hot"], "min_score": "60", "provinces": "Hà Nội, Đà Nẵng", "active": "on"}  # fmt: skip
    assert client.post("/handoff/rules", data=form).status_code == 303
    with unit_of_work(sqlite_url) as s:
        rule = s.scalars(select(AssignmentRule).where(AssignmentRule.name == "Khách nóng")).one()
        assert rule.conditions == {
            "temperatures": ["hot"],
            "min_score": 60,
            "provinces": ["Hà Nội", "Đà Nẵng"],
        }
        rule_id = rule.id
    bad = client.post("/handoff/rules", data={**form, "min_score": "90", "max_score": "10"})
    assert bad.status_code == 422
    assert "the lowest must not be above the highest" in bad.text
    assert 'value="Khách nóng"' in bad.text  # nothing typed is lost
    edit = client.post(
        f"/handoff/rules/{rule_id}", data={**form, "name": "Khách rất nóng", "strategy": "least_loaded"}
    )
    assert edit.status_code == 303
    client.post(f"/handoff/rules/{rule_id}/move", data={"csrf_token": token, "direction": "up"})
    with unit_of_work(sqlite_url) as s:
        names = [r.name for r in s.scalars(select(AssignmentRule).order_by(AssignmentRule.position))]
    assert names == ["Miền Bắc", "Khách rất nóng", "Miền Nam"]
    assert client.post(f"/handoff/rules/{rule_id}/delete", data={"csrf_token": token}).status_code == 303
    assert "Khách rất nóng" not in client.get("/handoff/rules").text


def test_posts_without_csrf_are_refused(client: TestClient, teams: Teams) -> None:
    log_in(client, "nm@pheu.test")
    r = client.post("/handoff/rules", data={"name": "x", "team_id": str(teams.north_id)})
    assert r.status_code == 403


def test_reps_cannot_open_manager_pages(client: TestClient) -> None:
    log_in(client, "bac0@pheu.test")
    for path in ("/handoff/rules", "/handoff/settings", "/handoff/reps", "/team"):
        assert client.get(path).status_code == 403, path
    assert client.get("/handoff/overdue").status_code == 200  # their own overdue leads


def test_settings_form_saves_and_shows_errors_in_vietnamese(client: TestClient, sqlite_url: str) -> None:
    token = log_in(client, "admin@pheu.test")
    page = client.get("/handoff/settings")
    assert page.status_code == 200 and 'value="08:00-12:00, 13:00-17:30"' in page.text
    form = {"csrf_token": token, "deadline_hot": "10", "deadline_warm": "120", "deadline_cold": "600",
            "escalate_after_minutes": "5", "working_time": "on", "hours_mon": "08:00-17:00", "hours_tue": "08:00-17:00",
            "timezone": "Asia/Ho_Chi_Minh", "handoff_stage": "sql"}  # fmt: skip
    assert client.post("/handoff/settings", data=form).status_code == 303
    with unit_of_work(sqlite_url) as s:
        row = s.get(HandoffSettings, 1)
        assert (
            row is not None
            and row.data["deadline_minutes"]["hot"] == 10
            and row.data["handoff_stage"] == "sql"
        )
        assert row.data["working_hours"] == {"mon": [["08:00", "17:00"]], "tue": [["08:00", "17:00"]]}
    bad = client.post("/handoff/settings", data={**form, "hours_wed": "17:00-08:00"})
    assert bad.status_code == 422
    assert "mỗi khoảng phải kết thúc sau khi bắt đầu" in bad.text
    assert 'value="17:00-08:00"' in bad.text


def test_a_manager_sets_a_reps_capacity_absence_and_day_off(
    client: TestClient, sqlite_url: str, teams: Teams
) -> None:
    token = log_in(client, "nm@pheu.test")
    rep = teams.north_reps[0].user_id
    page = client.get("/handoff/reps")
    assert page.status_code == 200 and "Bac0" in page.text and "Nam0" not in page.text
    form = {
        "csrf_token": token,
        "capacity": "3",
        "away_from": "2026-12-01",
        "away_until": "2026-12-03",
        "languages": "vi, en",
    }
    assert client.post(f"/handoff/reps/{rep}", data=form).status_code == 303
    assert (
        client.post(
            f"/handoff/reps/{rep}/days-off",
            data={"csrf_token": token, "day": "2026-12-24", "reason": "Giáng sinh"},
        ).status_code
        == 303
    )
    with unit_of_work(sqlite_url) as s:
        user = s.get(User, rep)
        assert user is not None and user.capacity == 3 and user.languages == ["en", "vi"]
        assert user.away_from is not None and user.away_from.isoformat() == "2026-11-30T17:00:00+00:00"
        assert user.away_until is not None and user.away_until.isoformat() == "2026-12-03T17:00:00+00:00"
        assert [d.reason for d in s.scalars(select(DayOff))] == ["Giáng sinh"]
    other = teams.south_reps[0].user_id
    assert client.post(f"/handoff/reps/{other}", data=form).status_code == 404


def test_lead_page_reassign_overdue_team_view_and_notifications(
    client: TestClient, sqlite_url: str, teams: Teams
) -> None:
    lead_id = ready_lead(sqlite_url, teams.admin, "Hà Nội", temperature="hot", full_name="Vũ Hải Yến")
    first, second = (r.user_id for r in teams.north_reps)
    assert lead_row(sqlite_url, lead_id).owner_id == first
    token = log_in(client, "nm@pheu.test")
    page = client.get(f"/leads/{lead_id}")
    assert 'id="reassign-form"' in page.text and "Bac1" in page.text
    assert "Giao theo tải ít nhất" in page.text or "Ít việc nhất" in page.text
    overdue = client.get("/handoff/overdue")
    assert f'id="overdue-{lead_id}"' in overdue.text
    team = client.get("/team")
    assert (
        f'id="rep-row-{first}"' in team.text
        and f'id="rep-row-{teams.south_reps[0].user_id}"' not in team.text
    )
    r = client.post(
        f"/leads/{lead_id}/reassign", data={"csrf_token": token, "user_id": str(second), "note": "ưu tiên"}
    )
    assert r.status_code == 303
    assert lead_row(sqlite_url, lead_id).owner_id == second
    client.post("/logout", data={"csrf_token": token})
    token = log_in(client, "bac1@pheu.test")
    assert 'id="unread-count"' in client.get("/notifications/badge").text
    notes = client.get("/notifications")
    assert "Quản lý đã giao cho bạn khách hàng tiềm năng: Vũ Hải Yến" in notes.text
    assert 'id="reassign-form"' not in client.get(f"/leads/{lead_id}").text  # reps cannot reassign
    client.post("/notifications/read", data={"csrf_token": token})
    assert 'id="unread-count"' not in client.get("/notifications/badge").text


def test_the_south_manager_cannot_open_a_north_lead(
    client: TestClient, sqlite_url: str, teams: Teams
) -> None:
    lead_id = ready_lead(sqlite_url, teams.admin, "Hà Nội")
    log_in(client, "sm@pheu.test")
    assert client.get(f"/leads/{lead_id}").status_code == 404
    assert "Phạm Minh Châu" not in client.get("/leads").text
