"""Backtest: replay the stored history with a candidate model, side by side with the active one, before a
team switches models.

The history is every lead now in the store, its events up to ``now`` and when it first became a customer,
read as columns and arrays (``scoring_history``; ``pheu.score.replay`` drops what happened after the sale,
leaves recruitment leads out and explains the rest). Contact details, consents and flags are taken as they
are now, since their history is not kept.
Admins and marketers may run it (it reads every lead).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pheu import collector
from pheu.auth.roles import Principal
from pheu.db import unit_of_work
from pheu.score import ScoringModel
from pheu.score.backtest import BacktestResult, Comparison, compare
from pheu.services.scoring import active_model, read_model, require_model_editor
from pheu.services.scoring_history import read_history


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
    with collector.paused(), unit_of_work(url) as session:
        if session.get_bind().dialect.name == "postgresql":
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        active = active_model(session).model
        history = read_history(session, [active, candidate], now)
        comparison = compare(active, candidate, history)
    return BacktestReport(comparison, history.leads.size, time.perf_counter() - started)
