"""The lead-list filters behind report figures, on SQLite and PostgreSQL: they return exactly the leads the
report counts (reached a stage, first reached it in a span, bought lists or the rest, a team's leads)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session

from pheu.auth.roles import Principal, Role
from pheu.db import unit_of_work
from pheu.lifecycle import Stage
from pheu.measure.period import Period
from pheu.services import leads
from pheu.services.errors import Invalid
from pheu.services.reports import ReportFilters, build_report
from pheu.services.schemas import LeadQuery
from pheu.store import Channel, Lead, StageChange, Team, User

ADMIN = Principal(user_id=1, name="Admin", role=Role.ADMIN)
MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))
START, END = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)


def t(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 9, tzinfo=UTC)


def add(s: Session, name: str, moves: list[tuple[str, datetime]], **fields: Any) -> None:
    created = moves[0][1]
    lead = Lead(full_name=name, email=f"{name}@x.vn", created_at=created, updated_at=created,
                stage=moves[-1][0], stage_changed_at=moves[-1][1], **fields)  # fmt: skip
    s.add(lead)
    s.flush()
    previous = None
    for stage, at in moves:
        s.add(StageChange(lead_id=lead.id, from_stage=previous, to_stage=stage, at=at, actor_type="system"))
        previous = stage


@pytest.fixture
def history(db_url: str) -> str:
    with unit_of_work(db_url) as s:
        fb = Channel(code="facebook_ads", name="Facebook Ads", paid=True)
        bought = Channel(code="import", name="Danh sách", low_quality=True)
        team = Team(name="Miền Nam")
        s.add_all([fb, bought, team])
        s.flush()
        owner = User(email="rep@x.vn", name="Rep", password_hash="x", role="sales_rep", team_id=team.id)
        s.add(owner)
        s.flush()
        add(s, "skipper", [("iql", t(3, 2)), ("sql", t(3, 3))], channel_id=fb.id, owner_id=owner.id)
        add(s, "backer", [("iql", t(3, 4)), ("mql", t(3, 5)), ("iql", t(3, 6))], channel_id=fb.id)
        add(s, "cold", [("iql", t(3, 7))], channel_id=bought.id)
        add(s, "loser", [("iql", t(3, 8)), ("lost", t(3, 9))], flags=["bought_list"])
        add(s, "february", [("iql", t(2, 1)), ("mql", t(3, 10))], channel_id=fb.id)
        add(s, "old_mql", [("iql", t(2, 1)), ("mql", t(2, 2)), ("sql", t(3, 11))])
        add(s, "applicant", [("applicant", t(3, 12))], kind="recruitment")
    return db_url


def names(url: str, **query: Any) -> set[str]:
    with unit_of_work(url) as s:
        page = leads.list_leads(s, ADMIN, LeadQuery(limit=500, **query))
        assert leads.count_leads(s, ADMIN, LeadQuery(**query)) == len(page.items)
        return {lead.full_name or "" for lead in page.items}


def test_reached_counts_skipped_stages_and_keeps_stages_a_lead_moved_back_from(history: str) -> None:
    march = {"created_from": START, "created_to": END}
    assert names(history, reached=Stage.MQL, **march) == {"skipper", "backer"}
    assert names(history, reached=Stage.SQL, **march) == {"skipper"}
    assert names(history, reached=Stage.IQL, **march) == {"skipper", "backer", "cold", "loser"}


def test_reached_in_a_span_is_the_first_time_whenever_the_lead_was_created(history: str) -> None:
    span = {"reached_from": START, "reached_to": END}
    assert names(history, reached=Stage.MQL, **span) == {"skipper", "backer", "february"}
    assert names(history, reached=Stage.SQL, **span) == {"skipper", "old_mql"}


def test_bought_lists_are_flagged_leads_and_low_quality_channels_and_the_rest_is_everything_else(
    history: str,
) -> None:
    assert names(history, bought_list=True) == {"cold", "loser"}
    assert names(history, bought_list=False, kind="sales") == {"skipper", "backer", "february", "old_mql"}


def test_a_team_filter_lists_the_leads_its_members_own(history: str) -> None:
    with unit_of_work(history) as s:
        team_id = s.query(Team.id).scalar()
    assert names(history, team_id=team_id) == {"skipper"}


def test_only_funnel_stages_can_be_reached(history: str) -> None:
    with pytest.raises(Invalid), unit_of_work(history) as s:
        leads.list_leads(s, ADMIN, LeadQuery(reached=Stage.LOST))


def test_the_filters_return_exactly_what_the_report_counts(history: str) -> None:
    with unit_of_work(history) as s:
        report = build_report(s, ReportFilters(MARCH), datetime(2026, 4, 15, tzinfo=UTC), zone=UTC)
    cohort = {row.stage: row.leads for row in report.current.cohort_funnel}
    entered = {row.stage: row.leads for row in report.current.period_funnel}
    for stage in (Stage.IQL, Stage.MQL, Stage.SQL, Stage.CUSTOMER):
        assert len(names(history, reached=stage, created_from=START, created_to=END)) == cohort[stage]
        assert len(names(history, reached=stage, reached_from=START, reached_to=END)) == entered[stage]
    quality = report.current.channel_quality
    assert len(names(history, reached=Stage.IQL, created_from=START, created_to=END, bought_list=True)) == (
        quality.bought_lists.leads
    )
