"""The queue, calendar and lead-page task cards, through the real app with a logged-in person."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from pheu.db import unit_of_work
from pheu.lifecycle import Stage
from pheu.services import lost_reasons, stages, tasks
from pheu.services.task_schemas import TaskIn
from pheu.store import Lead, Task
from pheu.web.app import create_app
from tests.conftest import NOW
from tests.handoff.helpers import Floor, build_floor
from tests.score_service.helpers import meet_bant
from tests.web.conftest import log_in

HX = {"HX-Request": "true"}


@pytest.fixture
def floor(sqlite_url: str) -> Floor:
    return build_floor(sqlite_url)


@pytest.fixture
def client(floor: Floor) -> Iterator[TestClient]:
    with TestClient(create_app(floor.url), follow_redirects=False) as c:
        yield c


def _task(f: Floor, lead: int, minutes: int, kind: str = "call") -> int:
    with unit_of_work(f.url) as s:
        who = f.rep1 if lead == f.lead1 else f.rep2
        due = datetime.now(UTC) + timedelta(minutes=minutes)
        return tasks.create_task(s, who, TaskIn(lead_id=lead, due_at=due, kind=kind), NOW).id  # type: ignore[arg-type]


def test_a_rep_logs_a_call_from_the_queue_in_two_clicks(client: TestClient, floor: Floor) -> None:
    mine = _task(floor, floor.lead1, -10)
    theirs = _task(floor, floor.lead2, -10)
    token = log_in(client, "rep1@pheu.test")
    page = client.get("/queue")
    assert page.status_code == 200
    assert f'id="queue-task-{mine}"' in page.text and f'id="queue-task-{theirs}"' not in page.text
    assert "Trễ 10 phút" in page.text or "Trễ 9 phút" in page.text
    row = client.post(
        f"/queue/tasks/{mine}/call", data={"outcome": "reached"}, headers={**HX, "X-CSRF-Token": token}
    )
    assert row.status_code == 200
    assert "Đã nghe máy" in row.text and "Gọi chăm sóc tiếp" in row.text
    with unit_of_work(floor.url) as s:
        task = s.get(Task, mine)
        assert task is not None and (task.status, task.outcome) == ("done", "reached")
        assert (
            s.scalars(select(Task).where(Task.lead_id == floor.lead1, Task.status == "open")).one().kind
            == "call"
        )


def test_call_back_without_a_time_shows_the_row_again_with_the_reason(
    client: TestClient, floor: Floor
) -> None:
    mine = _task(floor, floor.lead1, -30)  # late, so it is in today's queue even just before midnight
    token = log_in(client, "rep1@pheu.test")
    row = client.post(
        f"/queue/tasks/{mine}/call", data={"outcome": "call_back"}, headers={**HX, "X-CSRF-Token": token}
    )
    assert "Hãy cho biết giờ gọi lại." in row.text and f'id="queue-task-{mine}"' in row.text
    with unit_of_work(floor.url) as s:
        assert s.get(Task, mine).status == "open"  # type: ignore[union-attr]


def test_posts_need_the_csrf_token_and_another_reps_task_is_not_found(
    client: TestClient, floor: Floor
) -> None:
    theirs = _task(floor, floor.lead2, 10)
    token = log_in(client, "rep1@pheu.test")
    assert client.post(f"/queue/tasks/{theirs}/call", data={"outcome": "reached"}).status_code == 403
    refused = client.post(f"/queue/tasks/{theirs}/call", data={"outcome": "reached", "csrf_token": token})
    assert refused.status_code == 404
    assert client.get(f"/queue?rep={floor.rep2.user_id}").status_code == 404


def test_a_manager_opens_their_reps_queue_but_not_another_teams(client: TestClient, floor: Floor) -> None:
    mine = _task(floor, floor.lead1, -10)  # late, so it is in today's queue even just before midnight
    log_in(client, "manager@pheu.test")
    page = client.get(f"/queue?rep={floor.rep1.user_id}")
    assert page.status_code == 200 and f'id="queue-task-{mine}"' in page.text
    assert client.get(f"/queue?rep={floor.rep2.user_id}").status_code == 404
    assert client.get(f"/calendar?rep={floor.rep2.user_id}").status_code == 404


def test_the_lead_page_adds_a_task_and_marks_an_opportunity_won(client: TestClient, floor: Floor) -> None:
    token = log_in(client, "rep1@pheu.test")
    page = client.get(f"/leads/{floor.lead1}")
    assert 'id="tasks-card"' in page.text and 'id="conversion-card"' in page.text
    added = client.post(
        f"/leads/{floor.lead1}/tasks", data={"kind": "meeting", "title": "Gặp ở văn phòng", "due_at": "2030-01-02T09:30"},
        headers={**HX, "X-CSRF-Token": token},
    )  # fmt: skip
    assert "Gặp ở văn phòng" in added.text
    with unit_of_work(floor.url) as s:
        due = s.scalars(select(Task.due_at).where(Task.lead_id == floor.lead1)).one()
        assert due == datetime(2030, 1, 2, 2, 30, tzinfo=UTC)  # 09:30 in Vietnam
        stages.move_stage(s, floor.rep1, floor.lead1, Stage.SQL, reason="", now=NOW)
    meet_bant(floor.url, floor.lead1, NOW)  # the team's BANT bar comes before an Opportunity
    with unit_of_work(floor.url) as s:
        stages.move_stage(s, floor.rep1, floor.lead1, Stage.OPPORTUNITY, reason="BANT", now=NOW)
    bad = client.post(
        f"/leads/{floor.lead1}/won", data={"amount": "abc"}, headers={**HX, "X-CSRF-Token": token}
    )
    assert "Hãy nhập giá trị hợp đồng." in bad.text
    won = client.post(
        f"/leads/{floor.lead1}/won",
        data={"amount": "15.000.000", "currency": "VND"},
        headers={**HX, "X-CSRF-Token": token},
    )
    assert won.headers.get("HX-Refresh") == "true"
    with unit_of_work(floor.url) as s:
        lead = s.get(Lead, floor.lead1)
        assert lead is not None and (lead.stage, lead.won_amount_minor) == ("customer", 15_000_000)
    assert "15.000.000 VND" in client.get(f"/leads/{floor.lead1}").text


def test_the_calendar_week_and_its_private_feed_link(client: TestClient, floor: Floor) -> None:
    _task(floor, floor.lead1, 5, kind="meeting")
    token = log_in(client, "rep1@pheu.test")
    week = client.get("/calendar")
    assert week.status_code == 200 and "Nguyễn Văn Anh" in week.text
    assert client.get("/calendar?view=day").status_code == 200
    issued = client.post("/calendar/feed", data={"csrf_token": token})
    assert issued.status_code == 303
    page = client.get("/calendar").text
    url = page.split('id="feed-url" readonly value="')[1].split('"')[0]
    feed = client.get(url)
    assert feed.status_code == 200 and b"BEGIN:VEVENT" in feed.content
    assert 'id="feed-url"' not in client.get("/calendar").text  # shown once
    client.post("/calendar/feed/revoke", data={"csrf_token": token})
    assert client.get(url).status_code == 404


def test_only_an_admin_edits_the_lost_reasons_page(client: TestClient, floor: Floor) -> None:
    token = log_in(client, "manager@pheu.test")
    assert client.get("/settings/lost-reasons").status_code == 403
    body = {"code": "moved", "label_vi": "Chuyển đi", "label_en": "Moved away", "csrf_token": token}
    assert client.post("/settings/lost-reasons", data=body).status_code == 403
    client.post("/logout", data={"csrf_token": token})
    token = log_in(client, "admin@pheu.test")
    page = client.get("/settings/lost-reasons")
    assert page.status_code == 200 and "Chọn đối thủ" in page.text
    assert client.post("/settings/lost-reasons", data={**body, "csrf_token": token}).status_code == 303
    edit = {"label_vi": "Đã chuyển đi", "label_en": "Moved away", "position": "9", "csrf_token": token}
    client.post("/settings/lost-reasons/moved", data=edit)  # no "active": switched off
    with unit_of_work(floor.url) as s:
        reason = next(r for r in lost_reasons.list_reasons(s, active_only=False) if r.code == "moved")
        assert (reason.label_vi, reason.active, reason.position) == ("Đã chuyển đi", False, 9)
    lead_page = client.get(f"/leads/{floor.lead1}").text
    assert 'value="price"' in lead_page and 'value="moved"' not in lead_page
