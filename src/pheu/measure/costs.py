"""What leads cost: spend per channel and campaign, and cost per lead, MQL, SQL and customer.

Spend is the sum of the daily campaign costs booked on the period's days, kept **per currency**: amounts in
different currencies are never added (VND is listed first, being the default). Cost per lead divides a line's
spend by the leads created in the period from that channel (every one of them, campaign or not) or campaign;
cost per MQL / SQL / customer divides it by those same cohort leads that had reached the stage by ``as_of``.
A line whose spend is in several currencies gets no cost-per figures (no single amount to divide), and a
channel with no recorded spend gets no line at all: its cost is unknown, not zero. Figures are integer minor
units of the line's currency, halves rounded up; ``None`` when there is nothing to divide by. Each line also
carries its cohort customers' won value and the return on its spend (``revenue``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pheu.measure.counts import K, Origin, WonSums, grouped, level_counts, won_sums
from pheu.measure.paths import Journey
from pheu.measure.revenue import Return, Revenue, return_on, revenue_grouped
from pheu.measure.stats import per_unit, rounded

DEFAULT_CURRENCY = "VND"


@dataclass(frozen=True, slots=True)
class Spend:
    """A campaign's summed spend over the period in one currency, in integer minor units."""

    campaign_id: int
    campaign: str
    channel: str
    currency: str
    amount_minor: int


@dataclass(frozen=True, slots=True)
class Money:
    currency: str
    amount_minor: int

    def to_dict(self) -> dict[str, Any]:
        return {"currency": self.currency, "amount_minor": self.amount_minor}


@dataclass(frozen=True, slots=True)
class CostLine:
    """Spend and cost per funnel level for one channel (``campaign_id`` None) or one campaign."""

    channel: str
    campaign_id: int | None
    campaign: str | None
    spend: tuple[Money, ...]
    leads: int
    mqls: int
    sqls: int
    customers: int
    revenue: tuple[Revenue, ...] = ()
    valued: bool = False  # some won value exists in the report's scope: return can be stated

    @property
    def currency(self) -> str | None:
        """The one currency the spend is in, or ``None`` when it is in several."""
        return self.spend[0].currency if len(self.spend) == 1 else None

    def _per(self, units: int) -> int | None:
        return per_unit(self.spend[0].amount_minor, units) if self.currency else None

    @property
    def cost_per_lead(self) -> int | None:
        return self._per(self.leads)

    @property
    def cost_per_mql(self) -> int | None:
        return self._per(self.mqls)

    @property
    def cost_per_sql(self) -> int | None:
        return self._per(self.sqls)

    @property
    def cost_per_customer(self) -> int | None:
        return self._per(self.customers)

    @property
    def returns(self) -> Return | None:
        """Revenue against spend, when both are in one and the same currency (``revenue.return_on``)."""
        return return_on([(m.currency, m.amount_minor) for m in self.spend], self.revenue, valued=self.valued)

    def to_dict(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "campaign_id": self.campaign_id,
            "campaign": self.campaign,
            "spend": [m.to_dict() for m in self.spend],
            "currency": self.currency,
            "leads": self.leads,
            "mqls": self.mqls,
            "sqls": self.sqls,
            "customers": self.customers,
            "cost_per_lead": self.cost_per_lead,
            "cost_per_mql": self.cost_per_mql,
            "cost_per_sql": self.cost_per_sql,
            "cost_per_customer": self.cost_per_customer,
            "revenue": [r.to_dict() for r in self.revenue],
            "return_on_spend": rounded(self.returns.return_on_spend) if self.returns else None,
            "net_return": self.returns.net_return if self.returns else None,
        }


def total_spend(spend: Iterable[Spend]) -> tuple[Money, ...]:
    """All spend, one amount per currency."""
    return _by_currency(spend)


def cost_by_channel(spend: Sequence[Spend], cohort: Sequence[Journey]) -> tuple[CostLine, ...]:
    """One line per channel with spend, biggest spenders first."""
    return channel_costs(spend, level_counts(cohort), won_sums(cohort))


def cost_by_campaign(spend: Sequence[Spend], cohort: Sequence[Journey]) -> tuple[CostLine, ...]:
    """One line per campaign with spend, biggest spenders first."""
    return campaign_costs(spend, level_counts(cohort), won_sums(cohort))


def channel_costs(
    spend: Sequence[Spend], at_level: Mapping[Origin, Sequence[int]], won: WonSums | None = None
) -> tuple[CostLine, ...]:
    """``cost_by_channel`` from counted cohort leads (``counts.PeriodCounts.at_level`` and ``won``)."""
    return _lines(spend, at_level, won or {}, lambda origin: origin.channel, lambda s: s.channel, False)


def campaign_costs(
    spend: Sequence[Spend], at_level: Mapping[Origin, Sequence[int]], won: WonSums | None = None
) -> tuple[CostLine, ...]:
    """``cost_by_campaign`` from counted cohort leads."""
    return _lines(spend, at_level, won or {}, lambda o: o.campaign_id, lambda s: s.campaign_id, True)


def _lines(
    spend: Sequence[Spend],
    at_level: Mapping[Origin, Sequence[int]],
    won: WonSums,
    origin_key: Callable[[Origin], K],
    key: Callable[[Spend], K],
    campaigns: bool,
) -> tuple[CostLine, ...]:
    """One line per ``key`` with spend: the cohort's reached counts and revenue under the same key."""
    tallies = grouped(at_level, origin_key)
    revenue = revenue_grouped(won, origin_key)
    valued = bool(won) and any(won.values())
    groups: dict[K, list[Spend]] = defaultdict(list)
    for item in spend:
        groups[key(item)].append(item)
    lines = []
    for group_key, items in groups.items():
        first = items[0]
        leads, mqls, sqls, _, customers = tallies.get(group_key, (0, 0, 0, 0, 0))
        lines.append(
            CostLine(
                channel=first.channel,
                campaign_id=first.campaign_id if campaigns else None,
                campaign=first.campaign if campaigns else None,
                spend=_by_currency(items),
                leads=leads,
                mqls=mqls,
                sqls=sqls,
                customers=customers,
                revenue=revenue.get(group_key, ()),
                valued=valued,
            )
        )
    return tuple(sorted(lines, key=_biggest_first))


def _by_currency(spend: Iterable[Spend]) -> tuple[Money, ...]:
    sums: dict[str, int] = defaultdict(int)
    for item in spend:
        sums[item.currency] += item.amount_minor
    return tuple(Money(c, sums[c]) for c in sorted(sums, key=lambda c: (c != DEFAULT_CURRENCY, c)))


def _biggest_first(line: CostLine) -> tuple[bool, str, int, str, int]:
    first = line.spend[0]
    return (
        first.currency != DEFAULT_CURRENCY,
        first.currency,
        -first.amount_minor,
        line.channel,
        line.campaign_id or 0,
    )
