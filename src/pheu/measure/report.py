"""All the figures of one period, computed from plain inputs: the pure heart of ``pheu report`` and of the
dashboard. The service layer fetches the inputs; nothing here reads a database or the clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from pheu.measure.contact import FirstContact
from pheu.measure.costs import CostLine, Money, Spend, campaign_costs, channel_costs, total_spend
from pheu.measure.counts import PeriodCounts, reached_counts, summarise
from pheu.measure.funnel import Rates, StageCount, funnel_rows, rates
from pheu.measure.paths import LeadPath
from pheu.measure.period import Period
from pheu.measure.quality import ChannelQuality, quality_from_counts
from pheu.measure.revenue import Return, Revenue, return_on, revenue_of
from pheu.measure.timing import Times, times_from_hours

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
    revenue: tuple[Revenue, ...] = ()
    first_contact: FirstContact | None = None

    @property
    def leads(self) -> int:
        return self.cohort_funnel[0].leads

    @property
    def valued(self) -> bool:
        """Whether any won value exists in scope; without one, revenue and return are not stated."""
        return bool(self.revenue)

    @property
    def returns(self) -> Return | None:
        """All revenue against all spend, when both are in one and the same currency."""
        return return_on([(m.currency, m.amount_minor) for m in self.spend], self.revenue, valued=self.valued)

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
                "by_currency": [r.to_dict() for r in self.revenue],
                "return": self.returns.to_dict() if self.returns else None,
                "note": None if self.valued else REVENUE_NOTE,
            },
            "channel_quality": self.channel_quality.to_dict(),
            "first_contact": self.first_contact.to_dict() if self.first_contact else None,
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
    counts = summarise(paths, start=start, end=end, as_of=as_of)
    return figures(
        counts, spend, period=period, zone=zone, as_of=as_of, low_quality_channels=low_quality_channels
    )


def figures(
    counts: PeriodCounts,
    spend: Sequence[Spend],
    *,
    period: Period,
    zone: tzinfo,
    as_of: datetime,
    low_quality_channels: frozenset[str] = frozenset(),
    first_contact: FirstContact | None = None,
    times: Times | None = None,
) -> Figures:
    """The period's figures from its leads already counted (``counts.PeriodCounts``): what the service uses,
    having let the database do the counting. Same definitions as ``measure``."""
    start, end = period.bounds(zone)
    funnel = funnel_rows(reached_counts(counts.at_level.values()))
    won = counts.won
    return Figures(
        period=period,
        start=start,
        end=end,
        as_of=as_of,
        cohort_funnel=funnel,
        period_funnel=funnel_rows(counts.entered),
        rates=rates(funnel),
        times=times if times is not None else times_from_hours(counts.step_hours),
        spend=total_spend(spend),
        cost_by_channel=channel_costs(spend, counts.at_level, won),
        cost_by_campaign=campaign_costs(spend, counts.at_level, won),
        channel_quality=quality_from_counts(counts.at_level, low_quality_channels, won),
        revenue=revenue_of(won.values()),
        first_contact=first_contact,
    )
