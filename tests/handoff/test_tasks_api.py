"""The task, queue, call, calendar and conversion API: shapes, problem details and who may see what."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar

from pheu.web.app import create_app
from tests.conftest import NOW
from tests.factories import api_token
from tests.handoff.helpers import Floor, build_floor
from tests.score_service.helpers import meet_bant

RW = ["leads:read", "leads:write"]


@pytest.fixture
def floor(db_url: str) -> Floor:
    return build_floor(db_url)


@pytest.fixture
def client(floor: Floor) -> Iterator[TestClient]:
    with TestClient(create_app(floor.url)) as c:
        yield c


def _auth(floor: Floor, email: str, scopes: list[str] = RW) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_token(floor.url, email, scopes, NOW)}"}


def _soon(minutes: int) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()


def test_a_rep_walks_a_task_from_creation_to_a_logged_call(client: TestClient, floor: Floor) -> None:
    rep = _auth(floor, "rep1@pheu.test")
    made = client.post(
        "/api/v1/tasks", json={"lead_id": floor.lead1, "due_at": _soon(-5), "title": "Gọi"}, headers=rep
    )
    assert made.status_code == 201, made.text
    task_id = made.json()["id"]
    assert made.headers["Location"] == f"/api/v1/tasks/{task_id}"
    q = client.get("/api/v1/queue", headers=rep).json()
    assert (q["total"], q["overdue"], q["items"][0]["task"]["id"]) == (1, 1, task_id)
    assert q["items"][0]["reasons"][0]["code"] == "overdue"
    call = client.post(
        f"/api/v1/leads/{floor.lead1}/calls", json={"outcome": "no_answer", "task_id": task_id}, headers=rep
    )
    assert call.status_code == 201, call.text
    body = call.json()
    assert body["closed_task"]["status"] == "done" and body["next_task"]["kind"] == "call"
    assert body["next_step"] == "retry_call" and body["first_contact_at"] is not None


def test_bad_input_answers_problem_details(client: TestClient, floor: Floor) -> None:
    rep = _auth(floor, "rep1@pheu.test")
    r = client.post(f"/api/v1/leads/{floor.lead1}/calls", json={"outcome": "call_back"}, headers=rep)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "call_back_time_required"
    r = client.post(f"/api/v1/leads/{floor.lead1}/calls", json={"outcome": "hung_up"}, headers=rep)
    assert r.status_code == 422 and r.json()["errors"]
    r = client.post(f"/api/v1/leads/{floor.lead1}/won", json={"amount_minor": 5}, headers=rep)
    assert (r.status_code, r.json()["code"]) == (422, "not_opportunity")
    r = client.post(f"/api/v1/leads/{floor.lead1}/lost", json={"reason": "made_up"}, headers=rep)
    assert (r.status_code, r.json()["code"]) == (422, "reason_unknown")


def test_another_reps_lead_and_tasks_answer_404_and_read_keys_cannot_write(
    client: TestClient, floor: Floor
) -> None:
    rep2 = _auth(floor, "rep2@pheu.test")
    made = client.post(
        "/api/v1/tasks", json={"lead_id": floor.lead2, "due_at": _soon(30)}, headers=rep2
    ).json()
    rep1 = _auth(floor, "rep1@pheu.test")
    assert client.get(f"/api/v1/tasks/{made['id']}", headers=rep1).status_code == 404
    assert (
        client.post(
            f"/api/v1/leads/{floor.lead2}/calls", json={"outcome": "reached"}, headers=rep1
        ).status_code
        == 404
    )
    assert client.get(f"/api/v1/queue?user_id={floor.rep2.user_id}", headers=rep1).status_code == 404
    assert client.get("/api/v1/tasks", headers=rep1).json() == []
    read_only = _auth(floor, "rep2@pheu.test", ["leads:read"])
    assert client.post(f"/api/v1/tasks/{made['id']}/complete", headers=read_only).status_code == 403
    admin = _auth(floor, "admin@pheu.test", ["admin"])
    assert client.get(f"/api/v1/tasks/{made['id']}", headers=admin).status_code == 200
    body = {"code": "moved", "label_vi": "Chuyển đi", "label_en": "Moved"}
    assert client.post("/api/v1/lost-reasons", json=body, headers=rep1).status_code == 403
    assert client.post("/api/v1/lost-reasons", json=body, headers=admin).status_code == 201


def test_an_opportunity_is_won_lost_reasons_are_listed_and_a_lost_lead_recycles(
    client: TestClient, floor: Floor
) -> None:
    rep = _auth(floor, "rep1@pheu.test")
    for stage in ("sql", "opportunity"):
        if stage == "opportunity":  # the team's BANT bar comes before an Opportunity
            meet_bant(floor.url, floor.lead1, NOW)
        assert (
            client.post(f"/api/v1/leads/{floor.lead1}/stage", json={"stage": stage}, headers=rep).status_code
            == 201
        )
    won = client.post(f"/api/v1/leads/{floor.lead1}/won", json={"amount_minor": 15_000_000}, headers=rep)
    assert won.status_code == 200, won.text
    assert won.json()["stage"] == "customer"
    codes = [r["code"] for r in client.get("/api/v1/lost-reasons", headers=rep).json()]
    assert codes[:3] == ["price", "competitor", "no_need"]
    rep2 = _auth(floor, "rep2@pheu.test")
    assert (
        client.post(f"/api/v1/leads/{floor.lead2}/lost", json={"reason": "price"}, headers=rep2).json()[
            "stage"
        ]
        == "lost"
    )
    assert client.post(f"/api/v1/leads/{floor.lead2}/recycle", headers=rep2).json()["stage"] == "mql"


def test_the_calendar_json_and_the_ics_feed(client: TestClient, floor: Floor) -> None:
    rep = _auth(floor, "rep1@pheu.test")
    client.post(
        "/api/v1/tasks", json={"lead_id": floor.lead1, "due_at": _soon(60), "kind": "meeting"}, headers=rep
    )
    cal = client.get("/api/v1/calendar?days=3", headers=rep).json()
    assert len(cal["days"]) == 3 and sum(len(d["tasks"]) for d in cal["days"]) == 1
    url = client.post("/api/v1/calendar/feed", headers=rep).json()["url"]
    feed = client.get(url)
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    assert len(Calendar.from_ical(feed.content).walk("VEVENT")) == 1
    assert client.delete("/api/v1/calendar/feed", headers=rep).status_code == 204
    gone = client.get(url)
    assert gone.status_code == 404 and gone.headers["content-type"].startswith("application/problem+json")
