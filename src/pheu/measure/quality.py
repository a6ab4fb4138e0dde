"""Channel quality: how far each channel's leads get, and bought lists against everything else.

Computed on the cohort (leads created in the period, followed to ``as_of``). A lead counts as *from a bought
list* when it carries the ``bought_list`` flag (set by imports declared as bought or third-party) or came
through a channel marked low quality; the comparison shows whether such lists earn their keep. Value by channel is the
won value of the cohort's customers (``revenue``): per currency, with the average deal value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pheu.measure.counts import LEVELS, Origin, WonSums, grouped, level_counts, won_sums
from pheu.measure.paths import Journey
from pheu.measure.revenue import Revenue, revenue_grouped
from pheu.measure.stats import ratio, rounded

BOUGHT_LIST_FLAG = "bought_list"


@dataclass(frozen=True, slots=True)
class GroupQuality:
    """Cohort leads of one channel (or group) and how far they got."""

    name: str | None
    leads: int
    mqls: int
    sqls: int
    customers: int
    low_quality: bool = False
    revenue: tuple[Revenue, ...] = ()

    @property
    def lead_to_mql(self) -> float | None:
        return ratio(self.mqls, self.leads)

    @property
    def mql_to_sql(self) -> float | None:
        return ratio(self.sqls, self.mqls)

    @property
    def lead_to_customer(self) -> float | None:
        return ratio(self.customers, self.leads)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "low_quality": self.low_quality,
            "leads": self.leads,
            "mqls": self.mqls,
            "sqls": self.sqls,
            "customers": self.customers,
            "lead_to_mql": rounded(self.lead_to_mql),
            "mql_to_sql": rounded(self.mql_to_sql),
            "lead_to_customer": rounded(self.lead_to_customer),
            "revenue": [r.to_dict() for r in self.revenue],
        }


@dataclass(frozen=True, slots=True)
class ChannelQuality:
    channels: tuple[GroupQuality, ...]
    bought_lists: GroupQuality
    rest: GroupQuality

    def to_dict(self) -> dict[str, Any]:
        return {
            "channels": [c.to_dict() for c in self.channels],
            "bought_lists": self.bought_lists.to_dict(),
            "rest": self.rest.to_dict(),
        }


def is_bought(journey: Journey, low_quality_channels: frozenset[str]) -> bool:
    lead = journey.lead
    return lead.bought_list or (lead.channel is not None and lead.channel in low_quality_channels)


def channel_quality(cohort: Iterable[Journey], low_quality_channels: frozenset[str]) -> ChannelQuality:
    """Per channel (most leads first; leads with no channel under ``None``), then bought lists vs the rest."""
    journeys = list(cohort)
    return quality_from_counts(level_counts(journeys), low_quality_channels, won_sums(journeys))


def quality_from_counts(
    at_level: Mapping[Origin, Sequence[int]],
    low_quality_channels: frozenset[str],
    won: WonSums | None = None,
) -> ChannelQuality:
    """``channel_quality`` from counted cohort leads (``counts.PeriodCounts.at_level`` and ``won``)."""

    def bought(origin: Origin) -> bool:
        return origin.bought_list or (origin.channel is not None and origin.channel in low_quality_channels)

    per_channel = grouped(at_level, lambda origin: origin.channel)
    split = grouped(at_level, bought)
    value = revenue_grouped(won or {}, lambda origin: origin.channel)
    split_value = revenue_grouped(won or {}, bought)
    channels = [
        _group(
            name,
            per_channel[name],
            low_quality=name in low_quality_channels if name else False,
            revenue=value.get(name, ()),
        )
        for name in per_channel
    ]
    channels.sort(key=lambda g: (-g.leads, g.name is None, g.name or ""))
    empty = (0,) * LEVELS
    return ChannelQuality(
        tuple(channels),
        _group("bought_lists", split.get(True, empty), low_quality=True, revenue=split_value.get(True, ())),
        _group("rest", split.get(False, empty), revenue=split_value.get(False, ())),
    )


def _group(
    name: str | None, reached: Sequence[int], *, low_quality: bool = False, revenue: tuple[Revenue, ...] = ()
) -> GroupQuality:
    leads, mqls, sqls, _, customers = reached
    return GroupQuality(name, leads, mqls, sqls, customers, low_quality=low_quality, revenue=revenue)
