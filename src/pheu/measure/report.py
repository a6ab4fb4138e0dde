"""All the figures of one period, computed from plain inputs: the pure heart of ``pheu report`` and of the
dashboard. The service layer fetches the inputs; nothing here reads a database or the clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from pheu.measure.costs import CostLine, Money, Spend, cost_by_campaign, cost_by_channel, total_spend
from pheu.measure.funnel import Rates, StageCount, cohort_funnel, period_funnel, rates
from pheu.measure.paths import LeadPath, created_between, follow
from pheu.measure.period import Period
from pheu.measure.quality import ChannelQuality, channel_quality
from pheu.measure.timing import Times, stage_times

REVENUE_NOTE = "Won value is not recorded yet: revenue and return per channel and campaign appear once deals carry a value."


@dataclass(frozen=True, slots=True)
class Figures:
    """One period's measures. ``start``/``end`` are the period's UTC bounds; ``as_of`` is the moment the
    cohort is followed to (later moves and costs have not happened yet as far as these figures go)."""

    period: Period
    start: datetime
    end: datetime
    as_of: datetime
    cohort_funnel: tuple[StageCount, ...]
    period_funnel: tuple[StageCount, ...]
    rates: Rates
    times: Times
    spend: tuple[Money, ...]
    cost_by_channel: tuple[CostLine, ...]
    cost_by_campaign: tuple[CostLine, ...]
    channel_quality: ChannelQuality
    revenue: Money | None = None

    @property
    def leads(self) -> int:
        return self.cohort_funnel[0].leads

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": {
                "from": self.period.first_day.isoformat(),
                "to": self.period.last_day.isoformat(),
                "days": self.period.days,
                "start": self.start.isoformat(),
                "end": self.end.isoformat(),
            },
            "as_of": self.as_of.isoformat(),
            "funnel": {
                "cohort": [row.to_dict() for row in self.cohort_funnel],
                "period": [row.to_dict() for row in self.period_funnel],
            },
            "rates": self.rates.to_dict(),
            "times": self.times.to_dict(),
            "spend": [m.to_dict() for m in self.spend],
            "cost_per_lead_by_channel": [line.to_dict() for line in self.cost_by_channel],
            "cost_by_campaign": [line.to_dict() for line in self.cost_by_campaign],
            "revenue": {
                "amount": self.revenue.to_dict() if self.revenue else None,
                "return_on_spend": None,
                "note": None if self.revenue else REVENUE_NOTE,
            },
            "channel_quality": self.channel_quality.to_dict(),
        }


def measure(
    paths: Iterable[LeadPath],
    spend: Sequence[Spend],
    *,
    period: Period,
    zone: tzinfo,
    as_of: datetime,
    low_quality_channels: frozenset[str] = frozenset(),
) -> Figures:
    """The period's figures from the leads that matter to it and its summed campaign spend.

    ``paths`` must hold every lead created in the period and every older lead that moved above IQL in it
    (others are harmless, just ignored); recruitment and merged-away leads are skipped here. ``spend`` is already summed
    over the period's days up to ``as_of``.
    """
    start, end = period.bounds(zone)
    journeys = follow(paths, as_of)
    cohort = created_between(journeys, start, end)
    funnel = cohort_funnel(cohort)
    return Figures(
        period=period,
        start=start,
        end=end,
        as_of=as_of,
        cohort_funnel=funnel,
        period_funnel=period_funnel(journeys, start, end),
        rates=rates(funnel),
        times=stage_times(cohort),
        spend=total_spend(spend),
        cost_by_channel=cost_by_channel(spend, cohort),
        cost_by_campaign=cost_by_campaign(spend, cohort),
        channel_quality=channel_quality(cohort, low_quality_channels),
    )
