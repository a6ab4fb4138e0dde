"""Funnel counts per stage and conversion between consecutive stages, by cohort and by period.

- **Cohort view**: the leads created in the period, followed to ``as_of``. Each stage counts the cohort leads
  that reached it; conversion from a stage to the next is ``reached(next) / reached(this)``, a true per-lead
  conversion (never above 1, because reaching a stage implies reaching every one before it).
- **Period view**: what happened in the period, whoever the lead: each stage counts the leads that reached it
  for the first time in the period (a lead moving back and forward again is not counted twice; a lead that
  skips a stage enters both at once). Its conversion is a ratio of flows, ``entered(next) / entered(this)``,
  which can exceed 1 when the period moves older leads on.

The rates marketers quote — MQL → SQL, SQL → Opportunity, Opportunity → Customer and lead → customer — come
from the cohort view.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pheu.lifecycle import Stage
from pheu.measure.counts import entered_counts
from pheu.measure.paths import FUNNEL, Journey, tally
from pheu.measure.stats import ratio, rounded


@dataclass(frozen=True, slots=True)
class StageCount:
    """Leads at one stage and the share of them that reached the next (``None`` after the last stage or
    when no lead is at this stage)."""

    stage: Stage
    leads: int
    conversion_to_next: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage.value,
            "leads": self.leads,
            "conversion_to_next": rounded(self.conversion_to_next),
        }


@dataclass(frozen=True, slots=True)
class Rates:
    """Cohort conversion rates; each is ``None`` when its base is empty."""

    iql_to_mql: float | None
    mql_to_sql: float | None
    sql_to_opportunity: float | None
    opportunity_to_customer: float | None
    lead_to_customer: float | None

    def to_dict(self) -> dict[str, float | None]:
        return {
            "iql_to_mql": rounded(self.iql_to_mql),
            "mql_to_sql": rounded(self.mql_to_sql),
            "sql_to_opportunity": rounded(self.sql_to_opportunity),
            "opportunity_to_customer": rounded(self.opportunity_to_customer),
            "lead_to_customer": rounded(self.lead_to_customer),
        }


def cohort_funnel(cohort: Iterable[Journey]) -> tuple[StageCount, ...]:
    """How many of the cohort's leads reached each stage, with conversion to the next."""
    return funnel_rows(tally(cohort))


def period_funnel(journeys: Iterable[Journey], start: datetime, end: datetime) -> tuple[StageCount, ...]:
    """How many leads reached each stage for the first time in ``[start, end)``."""
    return funnel_rows(entered_counts(journeys, start, end))


def funnel_rows(counts: Sequence[int]) -> tuple[StageCount, ...]:
    """One row per funnel stage (IQL first) from its count, with conversion to the next."""
    return _with_conversions(dict(zip(FUNNEL, counts, strict=True)))


def rates(funnel: Sequence[StageCount]) -> Rates:
    """The named rates from a cohort funnel (``lead_to_customer`` = customers / all cohort leads)."""
    by_stage = {row.stage: row.leads for row in funnel}
    return Rates(
        iql_to_mql=ratio(by_stage[Stage.MQL], by_stage[Stage.IQL]),
        mql_to_sql=ratio(by_stage[Stage.SQL], by_stage[Stage.MQL]),
        sql_to_opportunity=ratio(by_stage[Stage.OPPORTUNITY], by_stage[Stage.SQL]),
        opportunity_to_customer=ratio(by_stage[Stage.CUSTOMER], by_stage[Stage.OPPORTUNITY]),
        lead_to_customer=ratio(by_stage[Stage.CUSTOMER], by_stage[Stage.IQL]),
    )


def _with_conversions(counts: Mapping[Stage, int]) -> tuple[StageCount, ...]:
    rows = []
    for i, stage in enumerate(FUNNEL):
        following = FUNNEL[i + 1] if i + 1 < len(FUNNEL) else None
        conversion = ratio(counts[following], counts[stage]) if following else None
        rows.append(StageCount(stage, counts[stage], conversion))
    return tuple(rows)
