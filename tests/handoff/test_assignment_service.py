"""Assignment in the store: a lead becoming ready is given to the right rep with a deadline, a task and a
notice; absences make it wait; a manager reassigns; managers only see their team."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from pheu.db import unit_of_work
from pheu.services import assignment, handoff_settings, leads, reassign
from pheu.services.errors import Forbidden, Invalid, NotFound
from pheu.services.schemas import LeadQuery
from pheu.store import DayOff
from tests.conftest import NOW
from tests.factories import add_lead
from tests.handoff.assign_helpers import (
    assignments,
    build_teams,
    lead_row,
    notices,
    ready_lead,
    set_user,
    tasks,
)


def test_a_lead_moved_to_mql_goes_to_its_regions_team_with_deadline_task_and_notice(db_url: str) -> None:
    t = build_teams(db_url)
    lead_id = ready_lead(db_url, t.admin, "Hải Phòng", temperature="hot")
    lead = lead_row(db_url, lead_id)
    assert lead.owner_id is not None
    assert lead.owner_id == t.north_reps[0].user_id
    assert lead.assigned_at == NOW
    [a] = assignments(db_url, lead_id)
    assert (a.user_id, a.team_id, a.reason, a.actor_type) == (
        lead.owner_id,
        t.north_id,
        "least_loaded",
        "system",
    )
    assert a.rule_id is not None
    [task] = tasks(db_url, lead_id)
    assert task.first_contact and task.kind == "call" and task.owner_id == lead.owner_id
    assert task.due_at == lead.first_contact_due_at
    [notice] = notices(db_url, lead.owner_id)
    assert (notice.kind, notice.lead_id, notice.data["lead_name"]) == ("assigned", lead_id, "Phạm Minh Châu")


def test_hot_leads_get_minutes_cold_leads_working_days(db_url: str) -> None:
    t = build_teams(db_url)
    cold = ready_lead(db_url, t.admin, "Cần Thơ")
    # 1440 working minutes from Thursday 10:00 local (8.5 h a weekday with lunch, 4 h on Saturday):
    # 390 on Thursday, 510 on Friday, 240 on Saturday, then 300 on Monday -> Monday 14:00
    assert lead_row(db_url, cold).first_contact_due_at == NOW + timedelta(days=4, hours=4)
    hot = ready_lead(db_url, t.admin, "Cần Thơ", temperature="hot")
    assert lead_row(db_url, hot).first_contact_due_at == NOW + timedelta(minutes=15)
    with unit_of_work(db_url) as s:
        handoff_settings.save(s, t.admin, {"deadline_minutes": {"hot": 5}, "working_time": False}, NOW)
    warm = ready_lead(db_url, t.admin, "Cần Thơ", temperature="warm")
    assert lead_row(db_url, warm).first_contact_due_at == NOW + timedelta(minutes=240)


def test_least_loaded_balances_a_team_and_the_other_region_stays_apart(db_url: str) -> None:
    t = build_teams(db_url, north_reps=3)
    ids = [ready_lead(db_url, t.admin, "Hà Nội") for _ in range(7)]
    owners = [lead_row(db_url, i).owner_id for i in ids]
    counts = sorted(owners.count(r.user_id) for r in t.north_reps)
    assert counts == [2, 2, 3]
    south = ready_lead(db_url, t.admin, "TP. Hồ Chí Minh")
    assert lead_row(db_url, south).owner_id in {r.user_id for r in t.south_reps}


def test_recruitment_leads_and_leads_no_rule_matches_are_not_handed_off(db_url: str) -> None:
    t = build_teams(db_url)
    nowhere = ready_lead(db_url, t.admin, "Đà Nẵng")  # central: no rule
    assert lead_row(db_url, nowhere).owner_id is None and assignments(db_url, nowhere) == []
    applicant = add_lead(
        db_url,
        t.admin,
        NOW,
        full_name="Ứng viên",
        email="cv@example.vn",
        kind="recruitment",
        province="Hà Nội",
    )
    with unit_of_work(db_url) as s:
        summary = assignment.assign_leads(s, [applicant], NOW)
    assert summary.unmatched == 1 and lead_row(db_url, applicant).owner_id is None


def test_away_and_day_off_reps_are_skipped_then_the_lead_waits_and_is_retried(db_url: str) -> None:
    t = build_teams(db_url)
    a, b = (r.user_id for r in t.south_reps)
    set_user(db_url, a, away_from=NOW - timedelta(days=1), away_until=NOW + timedelta(hours=2))
    first = ready_lead(db_url, t.admin, "Đồng Nai")
    assert lead_row(db_url, first).owner_id == b
    with unit_of_work(db_url) as s:
        s.add(DayOff(user_id=b, day=date(2026, 11, 26), reason="nghỉ phép"))
    waiting = ready_lead(db_url, t.admin, "Đồng Nai")
    assert lead_row(db_url, waiting).owner_id is None
    [row] = assignments(db_url, waiting)
    assert (row.user_id, row.team_id, row.reason) == (None, t.south_id, "no_rep_available")
    with unit_of_work(db_url) as s:  # still nobody: no second waiting row
        assert assignment.retry_waiting(s, NOW + timedelta(minutes=1)).assigned == 0
    assert len(assignments(db_url, waiting)) == 1
    with unit_of_work(db_url) as s:  # rep a is back
        assert assignment.retry_waiting(s, NOW + timedelta(hours=3)).assigned == 1
    assert lead_row(db_url, waiting).owner_id == a


def test_a_manager_reassigns_within_their_team_and_open_tasks_follow(db_url: str) -> None:
    t = build_teams(db_url)
    lead_id = ready_lead(db_url, t.admin, "Hà Nội")
    old = lead_row(db_url, lead_id).owner_id
    new = next(r.user_id for r in t.north_reps if r.user_id != old)
    with unit_of_work(db_url) as s, pytest.raises(Invalid):
        reassign.reassign(s, t.north_manager, lead_id, t.south_reps[0].user_id, NOW)
    with unit_of_work(db_url) as s, pytest.raises(NotFound):  # not their team's lead
        reassign.reassign(s, t.south_manager, lead_id, t.south_reps[0].user_id, NOW)
    with unit_of_work(db_url) as s, pytest.raises(Forbidden):
        reassign.reassign(s, t.north_reps[0], lead_id, new, NOW)
    with unit_of_work(db_url) as s:
        reassign.reassign(s, t.north_manager, lead_id, new, NOW + timedelta(minutes=3), note="đi công tác")
    last = assignments(db_url, lead_id)[-1]
    assert (last.user_id, last.previous_user_id, last.reason, last.actor_user_id) == (
        new,
        old,
        "manual",
        t.north_manager.user_id,
    )
    assert [task.owner_id for task in tasks(db_url, lead_id)] == [new]
    assert notices(db_url, new)[-1].kind == "reassigned"


def test_managers_see_their_team_and_unassigned_leads_only(db_url: str) -> None:
    t = build_teams(db_url)
    north = ready_lead(db_url, t.admin, "Hà Nội")
    south = ready_lead(db_url, t.admin, "Cần Thơ")
    pool = add_lead(db_url, t.admin, NOW, full_name="Chưa giao", email="pool@example.vn")
    with unit_of_work(db_url) as s:
        seen_north = {lead.id for lead in leads.list_leads(s, t.north_manager, LeadQuery()).items}
        seen_admin = {lead.id for lead in leads.list_leads(s, t.admin, LeadQuery()).items}
        rep_seen = {lead.id for lead in leads.list_leads(s, t.north_reps[0], LeadQuery()).items}
        with pytest.raises(NotFound):
            leads.get_lead(s, t.north_manager, south)
    assert seen_north == {north, pool}
    assert seen_admin == {north, south, pool}
    assert rep_seen == {north}


def test_a_lead_the_scoring_model_moves_to_mql_is_handed_off(db_url: str) -> None:
    from tests.score_service.helpers import director, touch

    t = build_teams(db_url)
    lead_id = director(db_url, t.admin, province="Quảng Ninh")
    touch(db_url, t.admin, lead_id, "form_submit", NOW - timedelta(hours=5))
    touch(db_url, t.admin, lead_id, "pricing_page_view", NOW - timedelta(hours=4))
    assert lead_row(db_url, lead_id).owner_id is None  # still IQL: not ready for sales
    touch(db_url, t.admin, lead_id, "reply", NOW - timedelta(hours=3))
    lead = lead_row(db_url, lead_id)
    assert (lead.stage, lead.temperature) == ("mql", "warm")
    assert lead.owner_id in {r.user_id for r in t.north_reps}
    [a] = assignments(db_url, lead_id)
    assert a.reason == "least_loaded" and a.at == NOW - timedelta(hours=3)


def test_leads_moved_by_a_set_wise_rescore_are_handed_off_together(db_url: str) -> None:
    from pheu.services.scoring_bulk import rescore_all
    from pheu.store import Event
    from tests.score_service.helpers import director

    t = build_teams(db_url)
    ids = [director(db_url, t.admin, province="Đồng Nai", email=f"gd{i}@example.vn") for i in range(4)]
    with unit_of_work(db_url) as s:  # touches the model has not scored yet (as an import would leave them)
        for lead_id in ids:
            for kind, hours in (("form_submit", 5), ("pricing_page_view", 4), ("reply", 3)):
                s.add(
                    Event(lead_id=lead_id, type=kind, occurred_at=NOW - timedelta(hours=hours), source="test")
                )
    assert all(lead_row(db_url, i).owner_id is None for i in ids)
    summary = rescore_all(db_url, NOW)
    assert summary.moved == 4
    owners = sorted(lead_row(db_url, i).owner_id or 0 for i in ids)
    south = sorted(r.user_id for r in t.south_reps)
    assert owners == sorted(south * 2)  # least-loaded: two each
    assert all(len(tasks(db_url, i)) == 1 for i in ids)
