"""A lead's way through the sales funnel, read the way every measure reads it.

*Reached stage S* means the lead has at some time entered S or any later funnel stage: skipping a level counts
as passing through it (IQL → SQL has reached MQL too) and moving back never un-reaches a level. The moment a
lead reached S is therefore its first entry into S *or any later stage*, which keeps the funnel monotone: no
stage ever holds more leads than the one before it, and no step takes negative time. Lost and Disqualified
are exits, not levels; a recycled lead keeps what it had reached. Every counted lead reached IQL when it was
created (moving back to IQL later changes nothing) — or at its first later-stage entry, should a merge have
brought in a history older than the kept lead.

Recruitment leads never count, and neither does a lead merged away into another: merging moves its history
onto the kept lead, which then counts once with both histories.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from pheu.lifecycle import SALES_FUNNEL, LeadKind, Stage

FUNNEL: tuple[Stage, ...] = SALES_FUNNEL
# The levels a lead moves up to; IQL is where every lead starts.
ABOVE_IQL: tuple[Stage, ...] = FUNNEL[1:]
_ABOVE_IQL_DOWNWARDS = tuple(reversed(ABOVE_IQL))
LEVEL: Mapping[Stage, int] = {stage: i for i, stage in enumerate(FUNNEL)}


@dataclass(frozen=True, slots=True)
class LeadPath:
    """What the measures need of one lead: when it was created, where it came from, the first time it
    entered each stage (``entries``; IQL and the side exits are not needed and ignored) and the value of its
    won deal, if any (integer minor units of ``won_currency``). Times are aware UTC."""

    lead_id: int
    created_at: datetime
    entries: Mapping[Stage, datetime] = field(default_factory=dict)
    kind: LeadKind = LeadKind.SALES
    channel: str | None = None
    campaign_id: int | None = None
    bought_list: bool = False
    merged_away: bool = False
    won_amount_minor: int | None = None
    won_currency: str | None = None


@dataclass(frozen=True, slots=True)
class Journey:
    """A counted lead with the moment it first reached each funnel stage, as seen at ``as_of``."""

    lead: LeadPath
    reached: Mapping[Stage, datetime]

    @property
    def level(self) -> int:
        """How far up the funnel the lead got: 0 for IQL to 4 for Customer (reached stages are contiguous)."""
        return len(self.reached) - 1

    def has_reached(self, stage: Stage) -> bool:
        return LEVEL[stage] <= self.level


def counts(path: LeadPath) -> bool:
    """Whether the lead belongs in any sales measure at all."""
    return path.kind is LeadKind.SALES and not path.merged_away


def reached(path: LeadPath, as_of: datetime) -> dict[Stage, datetime]:
    """The first moment the lead reached each funnel stage before ``as_of``; stages not reached are absent.

    Entries at or after ``as_of`` have not happened yet as far as the report is concerned.
    """
    if not path.entries:
        return {Stage.IQL: path.created_at}
    result: dict[Stage, datetime] = {}
    earliest: datetime | None = None
    for stage in _ABOVE_IQL_DOWNWARDS:
        at = path.entries.get(stage)
        if at is not None and at < as_of and (earliest is None or at < earliest):
            earliest = at
        if earliest is not None:
            result[stage] = earliest
    result[Stage.IQL] = path.created_at if earliest is None else min(path.created_at, earliest)
    return result


def follow(paths: Iterable[LeadPath], as_of: datetime) -> list[Journey]:
    """The counted leads created before ``as_of``, each with what it had reached by then."""
    return [Journey(path, reached(path, as_of)) for path in paths if counts(path) and path.created_at < as_of]


def created_between(journeys: Iterable[Journey], start: datetime, end: datetime) -> list[Journey]:
    """The cohort: leads created in ``[start, end)``."""
    return [j for j in journeys if start <= j.lead.created_at < end]


def tally(journeys: Iterable[Journey]) -> tuple[int, ...]:
    """How many of the journeys reached each funnel stage, IQL first."""
    at_level = [0] * len(FUNNEL)
    for journey in journeys:
        at_level[len(journey.reached) - 1] += 1
    reached_counts, running = [], 0
    for count in reversed(at_level):
        running += count
        reached_counts.append(running)
    return tuple(reversed(reached_counts))
