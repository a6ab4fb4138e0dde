"""Demo hand-off work: each rep's queue for today (some of it late), the calls they made before, the value of
every won deal and a code from the managed list on every lost lead.

Runs after the leads are written and scored, set-wise with Core statements, so the demo's reports, queue and
calendar all have something to show from the first login.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import Engine, bindparam, insert, select, update
from sqlalchemy.orm import Session

from pheu.handoff.outcomes import CallOutcome
from pheu.services import lost_reasons
from pheu.services.calls import EVENT_SOURCE
from pheu.store import Base, Lead, User

TASKS_PER_REP: Final = 14
# The demo's lost reasons (vocab_business.LOST_REASONS) mapped to the managed list's codes.
LOST_CODES: Final[dict[str, str]] = {
    "Giá cao": "price",
    "Chọn đối thủ": "competitor",
    "Không liên lạc được": "unreachable",
    "Chưa có nhu cầu": "no_need",
    "Chưa đủ ngân sách": "no_budget",
    "Không phải người quyết định": "no_authority",
    "Thời điểm chưa phù hợp": "bad_timing",
}
TITLES: Final[dict[str, tuple[str, ...]]] = {
    "call": ("Gọi lần đầu", "Gọi lại", "Gọi tư vấn gói dịch vụ", "Gọi chốt báo giá"),
    "meeting": ("Gặp tư vấn tại văn phòng", "Demo sản phẩm qua Zoom"),
    "email": ("Gửi báo giá", "Gửi tài liệu giới thiệu"),
}
WON_VALUES_VND: Final = (4_900_000, 9_900_000, 15_000_000, 24_000_000, 36_000_000, 60_000_000, 120_000_000)


def _open_tasks(
    rng: random.Random, leads_by_rep: dict[int, list[Any]], now: datetime
) -> list[dict[str, Any]]:
    rows = []
    for rep, leads in leads_by_rep.items():
        for i, (lead_id, _stage) in enumerate(rng.sample(leads, min(TASKS_PER_REP, len(leads)))):
            kind = rng.choices(("call", "meeting", "email"), (8, 1, 1))[0]
            late = i < 4  # a few from this morning are still waiting
            minutes = -rng.randint(15, 240) if late else rng.randint(10, 540)
            rows.append(
                {
                    "lead_id": lead_id,
                    "owner_id": rep,
                    "kind": kind,
                    "title": rng.choice(TITLES[kind]),
                    "due_at": now + timedelta(minutes=minutes),
                    "ends_at": now + timedelta(minutes=minutes + 60) if kind == "meeting" else None,
                    "status": "open",
                    "first_contact": late and kind == "call" and i % 2 == 0,
                    "created_at": now - timedelta(days=1),
                    "created_by": rep,
                }
            )
    return rows


def _past_calls(
    rng: random.Random, worked: list[Any], now: datetime
) -> tuple[list[dict[str, Any]], dict[int, datetime]]:
    """One to three calls per worked lead, after it was created; the first is its first contact."""
    events: list[dict[str, Any]] = []
    first: dict[int, datetime] = {}
    for lead_id, created_at, owner in worked:
        at = created_at + timedelta(minutes=rng.choice((4, 9, 25, 70, 180, 900)))
        for n in range(rng.randint(1, 3)):
            if at >= now:
                break
            outcome = CallOutcome.REACHED if n == 0 and rng.random() < 0.6 else rng.choice(list(CallOutcome))
            events.append(
                {
                    "lead_id": lead_id,
                    "type": "call",
                    "occurred_at": at,
                    "properties": {"outcome": outcome.value, "by": f"user {owner}"},
                    "source": EVENT_SOURCE,
                    "created_at": at,
                }
            )
            first.setdefault(lead_id, at)
            at += timedelta(hours=rng.randint(2, 72))
    return events, first


def seed_tasks(engine: Engine, now: datetime, seed: int = 42) -> dict[str, int]:
    """Write the demo's tasks, past calls, won values and lost codes; returns rows written per kind."""
    rng = random.Random(seed + 5)
    with Session(engine) as session, session.begin():
        lost_reasons.ensure_defaults(session)
        reps = list(session.scalars(select(User.id).where(User.role == "sales_rep", User.active.is_(True))))
        rows = session.execute(
            select(
                Lead.id, Lead.stage, Lead.owner_id, Lead.created_at, Lead.lost_reason, Lead.first_contact_at
            ).where(Lead.kind == "sales")
        ).all()
        leads_by_rep: dict[int, list[Any]] = defaultdict(list)
        worked, customers, lost = [], [], []
        for lead_id, stage, owner, created_at, reason, contacted in rows:
            if stage in {"mql", "sql", "opportunity"} and owner in reps:
                leads_by_rep[owner].append((lead_id, stage))
            if (
                stage in {"sql", "opportunity", "customer", "lost"}
                and contacted is None
                and owner is not None
            ):
                worked.append((lead_id, created_at, owner))
            if stage == "customer":
                customers.append(lead_id)
            if stage == "lost":
                lost.append((lead_id, LOST_CODES.get(reason or "", "other")))
        tasks = _open_tasks(rng, leads_by_rep, now)
        events, first = _past_calls(rng, worked, now)
        if tasks:
            session.execute(insert(Base.metadata.tables["tasks"]), tasks)
        if events:
            session.execute(insert(Base.metadata.tables["events"]), events)
        b = bindparam
        leads = Base.metadata.tables["leads"]
        stmt = update(leads).where(leads.c.id == b("b_id"))
        if first:
            session.execute(
                stmt.values(first_contact_at=b("b_at")), [{"b_id": k, "b_at": v} for k, v in first.items()]
            )
        if customers:
            values = [{"b_id": c, "b_amount": rng.choice(WON_VALUES_VND)} for c in customers]
            session.execute(stmt.values(won_amount_minor=b("b_amount"), won_currency="VND"), values)
        if lost:
            session.execute(stmt.values(lost_reason=b("b_code")), [{"b_id": i, "b_code": c} for i, c in lost])
    return {
        "tasks": len(tasks),
        "call_events": len(events),
        "won_values": len(customers),
        "lost_codes": len(lost),
    }
