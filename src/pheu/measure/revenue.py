"""Revenue and return: what the customers won from a channel or campaign are worth, against what they cost.

Revenue is measured on the cohort, like cost per customer: the won values (``leads.won_amount_minor`` in
``won_currency``) of the leads created in the period that had reached Customer by ``as_of``. A customer whose
win carried no value adds nothing (it is not a zero-value deal either: the average deal value counts only
deals with a value). Amounts stay **per currency**: values in different currencies are never added, VND (the
default) first. The average deal value divides a currency's revenue by its deals, halves rounded up.

Return compares a line's revenue with its spend (``costs``): ``return_on_spend`` = revenue / spend and
``net_return`` = revenue − spend, both only when the spend is in one currency and every won value of the line
is in that same currency (a line with no won value has revenue 0 then). When no won value exists anywhere in
the report's scope, nothing is compared and the report says that won values are not recorded yet.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pheu.measure.counts import K, Origin, WonSums
from pheu.measure.stats import per_unit, ratio, rounded

DEFAULT_CURRENCY = "VND"


@dataclass(frozen=True, slots=True)
class Revenue:
    """Won value in one currency, in integer minor units, and how many deals it came from."""

    currency: str
    amount_minor: int
    deals: int

    @property
    def average_deal(self) -> int | None:
        return per_unit(self.amount_minor, self.deals)

    def to_dict(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "amount_minor": self.amount_minor,
            "deals": self.deals,
            "average_deal": self.average_deal,
        }


@dataclass(frozen=True, slots=True)
class Return:
    """Revenue against spend in one currency."""

    currency: str
    revenue_minor: int
    spend_minor: int

    @property
    def return_on_spend(self) -> float | None:
        return ratio(self.revenue_minor, self.spend_minor)

    @property
    def net_return(self) -> int:
        return self.revenue_minor - self.spend_minor

    def to_dict(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "revenue_minor": self.revenue_minor,
            "spend_minor": self.spend_minor,
            "return_on_spend": rounded(self.return_on_spend),
            "net_return": self.net_return,
        }


def revenue_of(sums: Iterable[Mapping[str, Sequence[int]]]) -> tuple[Revenue, ...]:
    """Per-currency sums added up (within each currency only), VND first."""
    amounts: dict[str, int] = defaultdict(int)
    deals: dict[str, int] = defaultdict(int)
    for by_currency in sums:
        for currency, (amount, count) in by_currency.items():
            amounts[currency] += amount
            deals[currency] += count
    order = sorted(amounts, key=lambda c: (c != DEFAULT_CURRENCY, c))
    return tuple(Revenue(c, amounts[c], deals[c]) for c in order)


def revenue_grouped(won: WonSums, key: Callable[[Origin], K]) -> dict[K, tuple[Revenue, ...]]:
    """Revenue per ``key(origin)`` (a channel, a campaign, bought or not)."""
    groups: dict[K, list[Mapping[str, Sequence[int]]]] = defaultdict(list)
    for origin, by_currency in won.items():
        groups[key(origin)].append(by_currency)
    return {k: revenue_of(v) for k, v in groups.items()}


def return_on(spend: Sequence[tuple[str, int]], revenue: Sequence[Revenue], *, valued: bool) -> Return | None:
    """The return of a line spending ``spend`` (currency, minor units), or ``None`` when it cannot be
    stated: no won value in scope, spend in several currencies (or none), or revenue in another currency."""
    if not valued or len(spend) != 1:
        return None
    currency, amount = spend[0]
    if any(r.currency != currency for r in revenue):
        return None
    return Return(currency, sum(r.amount_minor for r in revenue), amount)
