"""Channel quality: how far each channel's leads get, and bought lists against everything else.

Computed on the cohort (leads created in the period, followed to ``as_of``). A lead counts as *from a bought
list* when it carries the ``bought_list`` flag (set by imports declared as bought or third-party) or came
through a channel marked low quality; the comparison shows whether such lists earn their keep. Value per
channel (won revenue) is not recorded yet, so quality is measured by conversion alone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pheu.measure.paths import Journey, tally
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
    per_channel: dict[str | None, list[Journey]] = defaultdict(list)
    bought: list[Journey] = []
    rest: list[Journey] = []
    for journey in cohort:
        per_channel[journey.lead.channel].append(journey)
        (bought if is_bought(journey, low_quality_channels) else rest).append(journey)
    channels = [
        _group(name, group, low_quality=name in low_quality_channels if name else False)
        for name, group in per_channel.items()
    ]
    channels.sort(key=lambda g: (-g.leads, g.name is None, g.name or ""))
    return ChannelQuality(
        tuple(channels), _group("bought_lists", bought, low_quality=True), _group("rest", rest)
    )


def _group(name: str | None, journeys: list[Journey], *, low_quality: bool = False) -> GroupQuality:
    leads, mqls, sqls, _, customers = tally(journeys)
    return GroupQuality(name, leads, mqls, sqls, customers, low_quality=low_quality)
