"""Time to first contact after hand-off (reaching SQL) and SQL → Opportunity by contact speed: the pure bands,
and ``build_report`` on SQLite and PostgreSQL over a history whose answers are worked out by hand.

March 2026 (UTC), seen on 15 April; fb = facebook_ads:

    A fb  2 Mar IQL, call 2 Mar 12:00 (before hand-off: ignored), 3 Mar 09:00 SQL, call 09:30, 5 Mar Opportunity
    B     4 Mar IQL → 5 Mar MQL → 6 Mar 09:00 SQL, call 7 Mar 21:00 (36 h)
    C fb  6 Mar IQL → 8 Mar 09:00 Opportunity (skips MQL and SQL: handed off then), call 19:00 (10 h)
    D     9 Mar IQL → 10 Mar SQL → 12 Mar MQL (moved back: still handed off), never called
    E     9 Mar IQL → 10 Mar 09:00 SQL, calls 20 Mar 09:00 (240 h) and 20 Apr (after the report's moment)
    F fb 10 Feb IQL → 3 Mar SQL, call 3 Mar: created before March, not in the cohort
    G     5 Mar IQL → 6 Mar MQL, calls: never reached SQL
    H     job applicant with a call: never counts

Handed off A B C D E = 5; called A 0.5 h, C 10 h, B 36 h, E 240 h = 4. Median (10 + 36) / 2 = 23 h;
p90 at rank 0.9 × 3 = 2.7: 36 + 0.7 × (240 − 36) = 178.8 h. Bands: within an hour A (opportunity), within a
day C (opportunity), within three days B, later E, not called D.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session

from pheu.db import unit_of_work
from pheu.measure.contact import first_contact
from pheu.measure.period import Period
from pheu.services.reports import ReportFilters, build_report
from pheu.store import Channel, Event, Lead, StageChange

MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))
AS_OF = datetime(2026, 4, 15, tzinfo=UTC)


def t(month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def add(s: Session, moves: list[tuple[str, datetime]], calls: list[datetime], **fields: Any) -> None:
    created = moves[0][1]
    lead = Lead(full_name="Khách", created_at=created, updated_at=created, stage=moves[-1][0],
                stage_changed_at=moves[-1][1], **fields)  # fmt: skip
    s.add(lead)
    s.flush()
    previous = None
    for stage, at in moves:
        s.add(StageChange(lead_id=lead.id, from_stage=previous, to_stage=stage, at=at, actor_type="user"))
        previous = stage
    for at in calls:
        s.add(Event(lead_id=lead.id, type="call", occurred_at=at, properties={"user_id": 1}, source="crm"))
    # Other touches after hand-off are not contact by sales.
    s.add(Event(lead_id=lead.id, type="email_open", occurred_at=moves[-1][1], source="crm"))


@pytest.fixture
def history(db_url: str) -> str:
    with unit_of_work(db_url) as s:
        fb = Channel(code="facebook_ads", name="Facebook Ads", paid=True)
        s.add(fb)
        s.flush()
        on_fb = {"channel_id": fb.id}
        add(
            s,
            [("iql", t(3, 2)), ("sql", t(3, 3)), ("opportunity", t(3, 5))],
            [t(3, 2, 12), t(3, 3, 9, 30)],
            **on_fb,
        )
        add(s, [("iql", t(3, 4)), ("mql", t(3, 5)), ("sql", t(3, 6))], [t(3, 7, 21)])
        add(s, [("iql", t(3, 6)), ("opportunity", t(3, 8))], [t(3, 8, 19)], **on_fb)
        add(s, [("iql", t(3, 9)), ("sql", t(3, 10)), ("mql", t(3, 12))], [])
        add(s, [("iql", t(3, 9)), ("sql", t(3, 10))], [t(3, 20), t(4, 20)])
        add(s, [("iql", t(2, 10)), ("sql", t(3, 3))], [t(3, 3, 15)], **on_fb)
        add(s, [("iql", t(3, 5)), ("mql", t(3, 6))], [t(3, 6, 10)])
        add(s, [("applicant", t(3, 5))], [t(3, 5, 10)], kind="recruitment")
    return db_url  # fmt: skip


def test_first_contact_and_its_effect_on_conversion_as_worked_out_by_hand(history: str) -> None:
    with unit_of_work(history) as s:
        contact = build_report(s, ReportFilters(MARCH), AS_OF, zone=UTC).current.first_contact
    assert contact is not None
    assert (contact.handed_off, contact.contacted) == (5, 4)
    assert contact.median_hours == pytest.approx(23.0)
    assert contact.p90_hours == pytest.approx(178.8)
    bands = {band.name: (band.leads, band.opportunities) for band in contact.bands}
    assert bands == {"within_1h": (1, 1), "within_24h": (1, 1), "within_3d": (1, 0), "later": (1, 0),
                     "not_yet": (1, 0)}  # fmt: skip


def test_first_contact_follows_the_filters_and_the_report_moment(history: str) -> None:
    with unit_of_work(history) as s:
        fb = build_report(s, ReportFilters(MARCH, channels=("facebook_ads",)), AS_OF, zone=UTC)
        early = build_report(s, ReportFilters(MARCH), t(3, 8, 12), zone=UTC)
    assert fb.current.first_contact is not None
    assert (fb.current.first_contact.handed_off, fb.current.first_contact.contacted) == (2, 2)  # A and C
    # Seen on 8 March at noon: A and B were called; C reached Opportunity at 09:00 but its call comes at 19:00;
    # D and E do not exist yet.
    contact = early.current.first_contact
    assert contact is not None
    assert (contact.handed_off, contact.contacted) == (3, 2)
    assert {b.name: (b.leads, b.opportunities) for b in contact.bands}["not_yet"] == (1, 1)
    as_dict = early.to_dict()["first_contact"]
    assert as_dict["handed_off"] == 3
    assert as_dict["bands"]["within_1h"] == {"leads": 1, "opportunities": 1, "sql_to_opportunity": 1.0}


def test_bands_are_cut_at_an_hour_a_day_and_three_days() -> None:
    contact = first_contact(
        [0.0, 1.0, 1.01, 24.0, 72.0, 72.5, None], [True, False, True, True, False, False, True]
    )
    assert [(b.name, b.leads, b.opportunities) for b in contact.bands] == [
        ("within_1h", 2, 1), ("within_24h", 2, 2), ("within_3d", 1, 0), ("later", 1, 0), ("not_yet", 1, 1),
    ]  # fmt: skip
    assert (contact.handed_off, contact.contacted) == (7, 6)
    assert contact.median_hours == pytest.approx((1.01 + 24.0) / 2)
    assert contact.bands[0].to_opportunity == 0.5


def test_no_hand_off_gives_no_figures_rather_than_zeros() -> None:
    contact = first_contact([], [])
    assert (contact.handed_off, contact.median_hours, contact.p90_hours) == (0, None, None)
    assert all(band.to_opportunity is None for band in contact.bands)
    with pytest.raises(ValueError):
        first_contact([1.0], [])
