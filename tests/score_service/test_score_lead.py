"""One lead scored at once as events arrive, on SQLite and PostgreSQL: the score, the parts, the temperature,
and the stage moves the model makes — signed by the model, with the reason — or must not make."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pheu.auth.roles import Principal, Role
from pheu.db import unit_of_work
from pheu.lifecycle import Stage
from pheu.services import stages
from pheu.services.events import add_event
from pheu.services.schemas import EventIn
from tests.conftest import NOW
from tests.factories import add_channels, add_user
from tests.score_service.helpers import director, moves, stored, touch


@pytest.fixture
def admin(db_url: str) -> Principal:
    add_channels(db_url)
    return add_user(db_url, "admin@x.vn", Role.ADMIN, NOW)


def test_an_event_updates_the_score_at_once(db_url: str, admin: Principal) -> None:
    lead_id = director(db_url, admin)
    assert stored(db_url, lead_id)["temperature"] is None  # not scored before its first event
    touch(db_url, admin, lead_id, "form_submit", NOW - timedelta(hours=5))
    after = stored(db_url, lead_id)
    assert after["score"] == 30
    assert after["score_fit"] == 20
    assert after["score_behaviour"] == 10
    assert after["temperature"] == "cold"
    assert after["scored_at"] == NOW - timedelta(hours=5)
    assert after["stage"] == "iql"


def test_lead_moves_to_mql_when_score_crosses_threshold(db_url: str, admin: Principal) -> None:
    lead_id = director(db_url, admin)
    touch(db_url, admin, lead_id, "form_submit", NOW - timedelta(hours=5))
    touch(db_url, admin, lead_id, "pricing_page_view", NOW - timedelta(hours=4))
    assert stored(db_url, lead_id)["stage"] == "iql"  # 38 points: not yet
    touch(db_url, admin, lead_id, "reply", NOW - timedelta(hours=3))
    after = stored(db_url, lead_id)
    assert after["stage"] == "mql"
    assert after["temperature"] == "warm"
    move = moves(db_url, lead_id)[-1]
    assert (move.from_stage, move.to_stage, move.actor_type) == ("iql", "mql", "model")
    assert move.actor_label == "model mac-dinh v1"
    assert move.reason.startswith("Mô hình mac-dinh v1: điểm 48 ≥ 40")
    assert "đã đồng ý nhận email" in move.reason
    assert move.at == NOW - timedelta(hours=3)


def test_a_lead_without_consent_stays_iql_whatever_its_score(db_url: str, admin: Principal) -> None:
    lead_id = director(db_url, admin, consents=[])
    for hours in (5, 4, 3, 2):
        touch(db_url, admin, lead_id, "meeting", NOW - timedelta(hours=hours))
    after = stored(db_url, lead_id)
    assert after["score"] >= 40
    assert after["stage"] == "iql"


def test_a_manual_move_back_is_not_undone_until_new_evidence(db_url: str, admin: Principal) -> None:
    lead_id = director(db_url, admin)
    for kind, hours in (("form_submit", 9), ("pricing_page_view", 8), ("reply", 7)):
        touch(db_url, admin, lead_id, kind, NOW - timedelta(hours=hours))
    assert stored(db_url, lead_id)["stage"] == "mql"
    with unit_of_work(db_url) as s:
        stages.move_stage(s, admin, lead_id, Stage.IQL, reason="Chưa sẵn sàng", now=NOW - timedelta(hours=6))
    # Old news (a touch that happened before the person's decision, reported late) and a touch no rule scores
    # are no new evidence, although the score stays above the threshold.
    with unit_of_work(db_url) as s:
        add_event(s, admin, lead_id, EventIn(type="email_open", occurred_at=NOW - timedelta(hours=7)), NOW)
    touch(db_url, admin, lead_id, "note_added", NOW - timedelta(hours=5))
    assert stored(db_url, lead_id)["stage"] == "iql"
    assert stored(db_url, lead_id)["score"] >= 40
    touch(db_url, admin, lead_id, "email_click", NOW - timedelta(hours=1))
    assert stored(db_url, lead_id)["stage"] == "mql"
    assert [m.actor_type for m in moves(db_url, lead_id)] == ["user", "model", "user", "model"]


def test_an_iql_ready_for_both_goes_straight_to_sql(db_url: str, admin: Principal) -> None:
    lead_id = director(db_url, admin, company="Minh Phát", company_size="10-49", industry="Bán lẻ")
    for kind, hours in (("meeting", 6), ("reply", 5), ("pricing_page_view", 4)):
        touch(db_url, admin, lead_id, kind, NOW - timedelta(hours=hours))
    assert stored(db_url, lead_id)["stage"] == "sql"
    assert [(m.from_stage, m.to_stage) for m in moves(db_url, lead_id)][-1:] == [("mql", "sql")]


def test_recruitment_leads_are_scored_but_never_moved(db_url: str, admin: Principal) -> None:
    lead_id = director(db_url, admin, kind="recruitment")
    for kind, hours in (("meeting", 6), ("reply", 5), ("meeting", 4)):
        touch(db_url, admin, lead_id, kind, NOW - timedelta(hours=hours))
    after = stored(db_url, lead_id)
    assert after["stage"] == "applicant"
    assert after["score"] < 0  # the model's "applicant, not a buyer" rule
    assert [m.actor_type for m in moves(db_url, lead_id)] == ["user"]


def test_a_repeated_delivery_does_not_score_twice(db_url: str, admin: Principal) -> None:
    lead_id = director(db_url, admin)
    body = EventIn(type="reply", occurred_at=NOW - timedelta(hours=1), source="zalo", external_id="m-1")
    for _ in range(2):
        with unit_of_work(db_url) as s:
            add_event(s, admin, lead_id, body, NOW)
    assert stored(db_url, lead_id)["score_behaviour"] == 10
