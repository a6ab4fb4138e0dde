"""Backtest: replay the stored history with a candidate model, side by side with the active one, before a
team switches models.

The history is every lead now in the store, its events up to ``now`` and when it first became a customer
(``pheu.score.replay`` drops what happened after the sale, leaves recruitment leads out and explains the
rest). Contact details, consents and flags are taken as they are now, since their history is not kept.
Admins and marketers may run it (it reads every lead).
"""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pheu.auth.roles import Principal
from pheu.db import unit_of_work
from pheu.lifecycle import LeadKind, Stage
from pheu.score import LeadFacts, ScoringModel
from pheu.score.backtest import BacktestResult, Comparison, compare
from pheu.score.model import LEAD_FIELDS
from pheu.score.replay import History
from pheu.services.scoring import active_model, read_model, require_model_editor
from pheu.services.scoring_arrays import load
from pheu.services.scoring_facts import needs
from pheu.store import Channel, Consent, Lead, StageChange


@dataclass(frozen=True, slots=True)
class BacktestReport:
    """The comparison, how many leads the history held, and the wall-clock seconds it took."""

    comparison: Comparison
    leads: int
    seconds: float

    def as_json(self) -> dict[str, Any]:
        return {
            "active": result_json(self.comparison.active),
            "candidate": result_json(self.comparison.candidate),
            "months": list(self.comparison.months),
            "leads": self.leads,
            "seconds": round(self.seconds, 3),
        }


def _number(value: float) -> float | None:
    """Undefined figures (no customer at all, no MQL…) travel as ``null``."""
    return None if math.isnan(value) else round(value, 6)


def result_json(result: BacktestResult) -> dict[str, Any]:
    return {
        "model": result.model,
        "leads": result.leads,
        "customers": result.customers,
        "roc_auc": _number(result.roc_auc),
        "top_decile_lift": _number(result.top_decile_lift),
        "mqls": result.mqls,
        "sqls": result.sqls,
        "mql_per_month": result.mql_per_month,
        "sql_per_month": result.sql_per_month,
        "mql_to_sql": _number(result.mql_to_sql),
        "sql_to_customer": _number(result.sql_to_customer),
    }


def backtest(
    url: str,
    candidate: ScoringModel | str | Mapping[str, Any],
    now: datetime,
    principal: Principal | None = None,
) -> BacktestReport:
    """Compare ``candidate`` (a model, or its YAML or loaded data) with the active model on every lead's
    history up to ``now``."""
    require_model_editor(principal)
    if not isinstance(candidate, ScoringModel):
        candidate = read_model(candidate)[0]
    started = time.perf_counter()
    with _collector_paused(), unit_of_work(url) as session:
        if session.get_bind().dialect.name == "postgresql":
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        active = active_model(session).model
        history = _history(session, [active, candidate], now)
        comparison = compare(active, candidate, history)
    return BacktestReport(comparison, len(history.leads), time.perf_counter() - started)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The history is a few hundred thousand small objects (rows, facts, property dicts) that form no cycles:
    the cyclic collector walks them again and again as they pile up and frees none of them. Measured on 5,000
    demo leads, pausing it cut a backtest by ~40 %. Process-wide, hence restored as it was found."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _history(session: Session, models: list[ScoringModel], now: datetime) -> History:
    snap = load(session, models, now, properties=True)
    ids = snap.ids.tolist()
    facts = _facts(session, models)
    first_sale = (
        select(StageChange.lead_id, func.min(StageChange.at))
        .where(StageChange.to_stage == Stage.CUSTOMER.value)
        .group_by(StageChange.lead_id)
    )
    won = dict(session.execute(first_sale).all())
    return History(
        leads=[facts[i] for i in ids],
        events=snap.events,
        customer_at=[won.get(i) for i in ids],
        end=now,
    )


def _facts(session: Session, models: list[ScoringModel]) -> dict[int, LeadFacts]:
    """Every lead as the rules see it: the columns fit rules read, contacts, flags, kind and consents."""
    fields = sorted({f for f in needs(*models).fields if f in LEAD_FIELDS} | {"email", "phone"})
    consents: dict[int, dict[str, bool]] = {}
    for lead_id, purpose, granted in session.execute(
        select(Consent.lead_id, Consent.purpose, Consent.granted)
    ):
        consents.setdefault(lead_id, {})[purpose] = granted
    codes = dict(session.execute(select(Channel.id, Channel.code)).all())
    columns = [getattr(Lead, f) for f in fields]
    stmt = select(Lead.id, Lead.kind, Lead.flags, Lead.channel_id, *columns)
    out: dict[int, LeadFacts] = {}
    for lead_id, kind, flags, channel_id, *values in session.execute(
        stmt.execution_options(yield_per=50_000)
    ):
        row = dict(zip(fields, values, strict=True))
        row["channel"] = codes.get(channel_id)
        out[lead_id] = LeadFacts(row, frozenset(flags or ()), LeadKind(kind), consents.get(lead_id, {}))
    return out
