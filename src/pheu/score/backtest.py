"""Backtest: how a candidate model would have done on past leads, side by side with the active one.

The measures, each per model over the history's sales leads (see ``pheu.score.replay`` for how a lead is
replayed):
- ROC-AUC and top-decile lift of each lead's peak score against who became a customer;
- the MQLs and SQLs it would have made per month (in ``tz``, Vietnam by default), MQL→SQL and SQL→customer
  rates (an SQL counts as converted when it became a customer, which by construction was after the model
  made it an SQL).
Undefined figures (no customer at all, no MQL…) are ``nan`` rather than an error, so a comparison page can
show "—" for them.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta, timezone, tzinfo
from typing import Final

import numpy as np
from numpy.typing import ArrayLike

from pheu.score.engine import CompiledModel, compiled
from pheu.score.facts import EPOCH
from pheu.score.model import ScoringModel
from pheu.score.replay import NEVER, History, Replay, replay, replay_all

# Vietnam has kept UTC+7 without daylight saving since 1975, so a fixed offset is exact and needs no tz data.
VIETNAM: Final = timezone(timedelta(hours=7), "Asia/Ho_Chi_Minh")


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks from 1, ties sharing the mean of the ranks they span."""
    order = np.argsort(values, kind="mergesort")
    ordered = values[order]
    new = np.ones(len(values), np.bool_)
    new[1:] = ordered[1:] != ordered[:-1]
    run = np.cumsum(new) - 1
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], len(values))
    ranks = np.empty(len(values))
    ranks[order] = ((starts + 1 + ends) / 2)[run]
    return ranks


def roc_auc(scores: ArrayLike, labels: ArrayLike) -> float:
    """The chance that a random positive scores above a random negative (ties count half): 1.0 ranks every
    positive first, 0.5 is a coin, 0.0 is exactly backwards; ``nan`` without both kinds of lead."""
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels, dtype=np.bool_)
    positives = int(y.sum())
    negatives = len(y) - positives
    if positives == 0 or negatives == 0:
        return math.nan
    ranks = _average_ranks(s)
    return float((ranks[y].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def top_decile_lift(scores: ArrayLike, labels: ArrayLike, fraction: float = 0.1) -> float:
    """How many times the base rate of positives the top ``fraction`` of scores holds. Scores tied across
    the cut share it in proportion, so the answer does not depend on the order of the input."""
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    n = len(s)
    if n == 0 or y.sum() == 0:
        return math.nan
    top = n * fraction
    _, inverse, counts = np.unique(-s, return_inverse=True, return_counts=True)
    positives = np.bincount(inverse, weights=y, minlength=len(counts))
    cumulative = np.cumsum(counts)
    edge = int(np.searchsorted(cumulative, top, side="left"))
    taken = float(cumulative[edge - 1]) if edge > 0 else 0.0
    hits = float(positives[:edge].sum()) + (top - taken) / float(counts[edge]) * float(positives[edge])
    return (hits / top) / (float(y.sum()) / n)


def per_month(times: ArrayLike, tz: tzinfo = VIETNAM) -> dict[str, int]:
    """How many of ``times`` (seconds UTC) fall in each month ("2026-03") in ``tz``, months in order. A
    fixed offset (Vietnam's) is counted with numpy; a zone with daylight saving one time at a time."""
    seconds = np.asarray(times, dtype=np.int64)
    offset = tz.utcoffset(None) if isinstance(tz, timezone) else None
    if offset is None or offset % timedelta(seconds=1):
        months = Counter(
            (EPOCH + timedelta(seconds=t)).astimezone(tz).strftime("%Y-%m") for t in seconds.tolist()
        )
        return dict(sorted(months.items()))
    local = (seconds + offset // timedelta(seconds=1)).astype("datetime64[s]").astype("datetime64[M]")
    found, counts = np.unique(local, return_counts=True)
    return {str(month): int(n) for month, n in zip(found, counts, strict=True)}


def _rate(part: int, whole: int) -> float:
    return part / whole if whole else math.nan


@dataclass(frozen=True, slots=True)
class BacktestResult:
    model: str
    leads: int
    customers: int
    roc_auc: float
    top_decile_lift: float
    mqls: int
    sqls: int
    mql_per_month: dict[str, int]
    sql_per_month: dict[str, int]
    mql_to_sql: float
    sql_to_customer: float


def measure(label: str, result: Replay, tz: tzinfo = VIETNAM) -> BacktestResult:
    """The backtest figures from one replay."""
    inc = result.included
    customer = result.customer[inc]
    peak = result.peak[inc]
    mql_at = result.mql_at[inc]
    sql_at = result.sql_at[inc]
    sql = sql_at != NEVER
    mqls, sqls = int((mql_at != NEVER).sum()), int(sql.sum())
    return BacktestResult(
        model=label,
        leads=int(inc.sum()),
        customers=int(customer.sum()),
        roc_auc=roc_auc(peak, customer),
        top_decile_lift=top_decile_lift(peak, customer),
        mqls=mqls,
        sqls=sqls,
        mql_per_month=per_month(mql_at[mql_at != NEVER], tz),
        sql_per_month=per_month(sql_at[sql], tz),
        mql_to_sql=_rate(sqls, mqls),
        sql_to_customer=_rate(int((sql & customer).sum()), sqls),
    )


def backtest(model: ScoringModel | CompiledModel, history: History, tz: tzinfo = VIETNAM) -> BacktestResult:
    c = compiled(model)
    return measure(c.model.label, replay(c, history), tz)


@dataclass(frozen=True, slots=True)
class Comparison:
    """Two backtests over the same history; ``months`` covers both models' MQL and SQL months."""

    active: BacktestResult
    candidate: BacktestResult
    months: tuple[str, ...]


def compare(
    active: ScoringModel | CompiledModel,
    candidate: ScoringModel | CompiledModel,
    history: History,
    tz: tzinfo = VIETNAM,
) -> Comparison:
    """The active and the candidate model side by side on the same history."""
    c1, c2 = compiled(active), compiled(candidate)
    replays = replay_all([c1, c2], history)
    first, second = measure(c1.model.label, replays[0], tz), measure(c2.model.label, replays[1], tz)
    months = {month for result in (first, second) for month in (*result.mql_per_month, *result.sql_per_month)}
    return Comparison(first, second, tuple(sorted(months)))
