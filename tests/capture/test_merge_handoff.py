"""A reviewed merge keeps the person's hand-off work and won deal, and its undo gives them back."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from pheu.auth.roles import Role
from pheu.db import unit_of_work
from pheu.services import merges
from pheu.store import Lead, LeadBant, Task
from tests.conftest import NOW
from tests.factories import add_channels, add_lead, add_user


def test_merge_moves_tasks_and_bant_and_keeps_the_won_value(db_url: str) -> None:
    add_channels(db_url)
    admin = add_user(db_url, "admin@pheu.test", Role.ADMIN, NOW)
    keep = add_lead(db_url, admin, NOW, full_name="Lê Thị Hoa", email="hoa@congty.vn")
    drop = add_lead(db_url, admin, NOW, full_name="Le Thi Hoa", email="hoa.le@gmail.com")
    with unit_of_work(db_url) as s:
        s.add(Task(lead_id=drop, kind="call", title="Gọi lại", due_at=NOW + timedelta(hours=2)))
        s.add(LeadBant(lead_id=drop, need="CRM cho 20 người", authority="decision_maker"))
        dropped = s.get(Lead, drop)
        assert dropped is not None
        dropped.won_amount_minor, dropped.won_currency = 90_000_000, "VND"
    with unit_of_work(db_url) as s:
        merge = merges.merge_leads(s, admin, keep, drop, NOW)
        merge_id = merge.id
    with unit_of_work(db_url) as s:
        kept = s.get(Lead, keep)
        assert kept is not None and (kept.won_amount_minor, kept.won_currency) == (90_000_000, "VND")
        assert s.scalars(select(Task.lead_id)).all() == [keep]
        assert s.scalars(select(LeadBant.lead_id)).all() == [keep]
    with unit_of_work(db_url) as s:
        merges.undo_merge(s, admin, merge_id, NOW + timedelta(minutes=5))
    with unit_of_work(db_url) as s:
        kept = s.get(Lead, keep)
        assert kept is not None and kept.won_amount_minor is None
        assert s.scalars(select(Task.lead_id)).all() == [drop]
        assert s.scalars(select(LeadBant.lead_id)).all() == [drop]
