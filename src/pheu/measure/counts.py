"""A period's leads, counted: the shape the database can add up itself, so a report over a million leads does
not need a Python object per lead.

Every figure of a period is a function of three things: how many cohort leads of each *origin* (channel,
campaign, bought-list flag) stopped at each funnel level, how long the cohort's leads took over each step,
and how many leads (cohort or older) first reached each stage inside the period. ``PeriodCounts`` holds
exactly that; ``summarise`` builds it from ``LeadPath``s (the reference definition, used by the tests and
small callers) and ``pheu.services.reports`` builds the same from grouped SQL.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from pheu.lifecycle import Stage
from pheu.measure.paths import FUNNEL, Journey, LeadPath, follow

LEVELS = len(FUNNEL)
K = TypeVar("K", bound=Hashable)
Moments = npt.NDArray[np.datetime64]
_NP_HOUR = np.timedelta64(3_600_000_000, "us")
_HOUR = timedelta(hours=1)
# The steps whose time is measured: consecutive stages, then lead (IQL) to customer.
_STEP_STAGES: tuple[tuple[Stage, Stage], ...] = (*pairwise(FUNNEL), (Stage.IQL, Stage.CUSTOMER))
STEP_NAMES: tuple[str, ...] = (*(f"{a}_to_{b}" for a, b in pairwise(FUNNEL)), "lead_to_customer")
CUSTOMER_LEVEL = LEVELS - 1


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a group of leads came from; ``bought_list`` is the import flag (a low-quality channel is
    told apart later, by ``pheu.measure.quality``)."""

    channel: str | None
    campaign_id: int | None
    bought_list: bool = False


# Per origin, per currency: [sum of the cohort customers' won values in minor units, deals with a value].
WonSums = Mapping[Origin, Mapping[str, Sequence[int]]]


@dataclass(frozen=True, slots=True)
class PeriodCounts:
    """``at_level[origin][k]``: cohort leads of that origin whose highest funnel level is ``k`` (0 = IQL …
    4 = Customer). ``step_hours[name]``: each cohort lead's time over a step (``STEP_NAMES``), for the leads
    that reached its later stage. ``entered[k]``: leads that first reached level ``k`` inside the period.
    ``won[origin][currency]``: the won values of that origin's cohort customers (``measure.revenue``)."""

    at_level: Mapping[Origin, Sequence[int]]
    step_hours: Mapping[str, Sequence[float]] = field(default_factory=dict)
    entered: Sequence[int] = (0,) * LEVELS
    won: WonSums = field(default_factory=dict)


def reached_counts(at_level: Iterable[Sequence[int]]) -> tuple[int, ...]:
    """Leads that reached each level, IQL first, from counts of leads stopping at each level: reaching a
    level means stopping there or higher."""
    totals = [0] * LEVELS
    for counts in at_level:
        for level, n in enumerate(counts):
            totals[level] += n
    running, out = 0, [0] * LEVELS
    for level in reversed(range(LEVELS)):
        running += totals[level]
        out[level] = running
    return tuple(out)


def grouped(at_level: Mapping[Origin, Sequence[int]], key: Callable[[Origin], K]) -> dict[K, tuple[int, ...]]:
    """Reached counts per ``key(origin)`` (a channel, a campaign…)."""
    groups: dict[K, list[Sequence[int]]] = defaultdict(list)
    for origin, counts in at_level.items():
        groups[key(origin)].append(counts)
    return {k: reached_counts(v) for k, v in groups.items()}


class Counter:
    """Adds leads up into ``PeriodCounts`` one at a time or many at once (as columns), so the SQL
    path and the ``LeadPath`` path share one definition of levels, step times and first entries.

    A lead is given by ``reached``: the moments it first reached IQL, MQL, … in funnel order, as far as it
    got (see ``paths.reached``). ``start``/``end`` bound the period (UTC, end excluded).
    """

    def __init__(self, start: datetime, end: datetime) -> None:
        self.start, self.end = start, end
        self.at_level: dict[Origin, list[int]] = defaultdict(lambda: [0] * LEVELS)
        self.hours: dict[str, list[float]] = {name: [] for name in STEP_NAMES}
        self.entered = [0] * LEVELS
        self.won: dict[Origin, dict[str, list[int]]] = defaultdict(dict)

    def add_won(self, origin: Origin, currency: str, amount_minor: int, deals: int = 1) -> None:
        """A cohort customer's won value (or several, already summed), kept apart per currency."""
        sums = self.won[origin].setdefault(currency, [0, 0])
        sums[0] += amount_minor
        sums[1] += deals

    def cohort_lead(
        self, origin: Origin, reached: Sequence[datetime], won: tuple[int, str] | None = None
    ) -> None:
        """A lead created in the period: counted at its level, timed over its steps, and entered; its won
        value (amount in minor units, currency) counts when it reached Customer."""
        level = len(reached) - 1
        self.at_level[origin][level] += 1
        if won is not None and level == CUSTOMER_LEVEL:
            self.add_won(origin, won[1], won[0])
        hours = self.hours
        for step in range(level):
            hours[STEP_NAMES[step]].append((reached[step + 1] - reached[step]) / _HOUR)
        if level == LEVELS - 1:
            hours["lead_to_customer"].append((reached[level] - reached[0]) / _HOUR)
        self.older_lead(reached)

    def cohort_columns(
        self,
        origins: Sequence[Origin],
        groups: Sequence[int],
        created: Moments,
        firsts: Sequence[Moments],
        won: Sequence[tuple[int, str] | None] = (),
    ) -> None:
        """Many cohort leads at once, column by column: lead ``i`` comes from ``origins[groups[i]]``, was
        created at ``created[i]`` and first entered level k+1 or a later one at ``firsts[k][i]`` (``NaT``
        when never; naive UTC); ``won[i]`` is its won value (amount, currency) or ``None``. The same
        definitions as ``cohort_lead``, done by numpy, so a million leads cost array operations rather than
        Python objects."""
        moved = [~np.isnat(first) for first in firsts]
        levels = np.sum(moved, axis=0) if moved else np.zeros(len(created), dtype=int)
        # A merge can bring in moves older than the kept lead: it became a lead at the earliest of the two.
        became = np.where(firsts[0] < created, firsts[0], created)
        reached = [became, *firsts]
        start, end = _naive(self.start), _naive(self.end)
        for level, moment in enumerate(reached):
            self.entered[level] += int(np.count_nonzero((moment >= start) & (moment < end)))
        spans = [*pairwise(reached), (became, firsts[-1])]
        for name, (earlier, later) in zip(STEP_NAMES, spans, strict=True):
            taken = ~np.isnat(later)
            self.hours[name].extend(((later[taken] - earlier[taken]) / _NP_HOUR).tolist())
        level_list = levels.tolist()
        for (group, level), leads in Tally(zip(groups, level_list, strict=True)).items():
            self.at_level[origins[group]][level] += leads
        for group, level, value in zip(groups, level_list, won, strict=False):
            if value is not None and level == CUSTOMER_LEVEL:
                self.add_won(origins[group], value[1], value[0])

    def older_lead(self, reached: Sequence[datetime]) -> None:
        """A lead outside the cohort: only its first entries inside the period count."""
        start, end = self.start, self.end
        for level, at in enumerate(reached):
            if start <= at < end:
                self.entered[level] += 1

    def add_entered(self, entered: Sequence[int]) -> None:
        """First entries in the period, already counted per level elsewhere (in SQL)."""
        for level, n in enumerate(entered):
            self.entered[level] += n

    def result(self) -> PeriodCounts:
        return PeriodCounts(dict(self.at_level), self.hours, tuple(self.entered), dict(self.won))


def _naive(at: datetime) -> np.datetime64:
    """An aware time as numpy's naive UTC microseconds, the unit the database columns come in."""
    return np.datetime64(at.astimezone(UTC).replace(tzinfo=None), "us")


def _ordered(journey: Journey) -> list[datetime]:
    return [journey.reached[stage] for stage in FUNNEL[: journey.level + 1]]


def _origin(journey: Journey) -> Origin:
    lead = journey.lead
    return Origin(lead.channel, lead.campaign_id, lead.bought_list)


def _won(journey: Journey) -> tuple[int, str] | None:
    lead = journey.lead
    if lead.won_amount_minor is None or not lead.won_currency:
        return None
    return lead.won_amount_minor, lead.won_currency


def won_sums(journeys: Iterable[Journey]) -> dict[Origin, dict[str, list[int]]]:
    """The won values of the journeys that reached Customer, per origin and currency."""
    counter = Counter(datetime.max.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC))
    for journey in journeys:
        counter.cohort_lead(_origin(journey), _ordered(journey), _won(journey))
    return dict(counter.won)


def level_counts(journeys: Iterable[Journey]) -> dict[Origin, list[int]]:
    """How many journeys of each origin stopped at each level."""
    out: dict[Origin, list[int]] = defaultdict(lambda: [0] * LEVELS)
    for journey in journeys:
        out[_origin(journey)][journey.level] += 1
    return dict(out)


def step_hours(cohort: Iterable[Journey]) -> dict[str, list[float]]:
    """Each step's duration in hours for the journeys that reached its later stage (see ``timing``)."""
    counter = Counter(datetime.max.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC))
    for journey in cohort:
        counter.cohort_lead(_origin(journey), _ordered(journey))
    return counter.hours


def entered_counts(journeys: Iterable[Journey], start: datetime, end: datetime) -> tuple[int, ...]:
    """Per level, the journeys that first reached it in ``[start, end)``."""
    counter = Counter(start, end)
    for journey in journeys:
        counter.older_lead(_ordered(journey))
    return tuple(counter.entered)


def summarise(paths: Iterable[LeadPath], *, start: datetime, end: datetime, as_of: datetime) -> PeriodCounts:
    """The counts of one period from its leads' paths (every lead created in the period and every older
    lead that moved up in it; recruitment and merged-away leads are skipped)."""
    counter = Counter(start, end)
    for journey in follow(paths, as_of):
        if start <= journey.lead.created_at < end:
            counter.cohort_lead(_origin(journey), _ordered(journey), _won(journey))
        else:
            counter.older_lead(_ordered(journey))
    return counter.result()
