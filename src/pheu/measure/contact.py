"""Time to first contact, and how it bears on conversion.

Counted on the cohort's leads that reached SQL — the moment marketing hands a lead to sales (``hand-off``)
— with the clock running from that moment (their first entry into SQL or a later stage, see ``paths``) to
the first call logged for them at or after it: calls are what sales log when they reach out, by hand or
through the hand-off's call log (both are ``call`` events). A lead with no call yet is *not yet contacted*
and has no time. The effect on conversion is the SQL → Opportunity rate of the leads in each band of
contact speed: if quick calls pay, the first bands convert best.

When hand-off records when each lead was assigned, that moment replaces reaching SQL as the start of the
clock; the bands and their meaning stay.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pheu.measure.stats import percentile, ratio, rounded

# Contact speed bands: the name and the longest wait (hours) that still falls in it.
BANDS: tuple[tuple[str, float], ...] = (
    ("within_1h", 1.0),
    ("within_24h", 24.0),
    ("within_3d", 72.0),
    ("later", float("inf")),
)
NOT_CONTACTED = "not_yet"


@dataclass(frozen=True, slots=True)
class ContactBand:
    """Leads first contacted within a band of time after hand-off, and how many became opportunities."""

    name: str
    leads: int
    opportunities: int

    @property
    def to_opportunity(self) -> float | None:
        return ratio(self.opportunities, self.leads)

    def to_dict(self) -> dict[str, Any]:
        return {
            "leads": self.leads,
            "opportunities": self.opportunities,
            "sql_to_opportunity": rounded(self.to_opportunity),
        }


@dataclass(frozen=True, slots=True)
class FirstContact:
    """``handed_off``: cohort leads that reached SQL; ``contacted``: those with a call since; the median
    and p90 wait in hours over the contacted; ``bands`` in ``BANDS`` order, then the not yet contacted."""

    handed_off: int
    contacted: int
    median_hours: float | None
    p90_hours: float | None
    bands: tuple[ContactBand, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": "sql",
            "handed_off": self.handed_off,
            "contacted": self.contacted,
            "median_hours": rounded(self.median_hours, 2),
            "p90_hours": rounded(self.p90_hours, 2),
            "bands": {band.name: band.to_dict() for band in self.bands},
        }


def first_contact(waits: Sequence[float | None], advanced: Sequence[bool]) -> FirstContact:
    """The figures from each handed-off lead's wait for its first call in hours (``None``: no call yet)
    and whether it went on to reach Opportunity. Raises ``ValueError`` when the two do not pair up."""
    if len(waits) != len(advanced):
        raise ValueError("one wait and one outcome per lead")
    counts = {name: [0, 0] for name, _ in BANDS} | {NOT_CONTACTED: [0, 0]}
    hours: list[float] = []
    for wait, moved_on in zip(waits, advanced, strict=True):
        name = NOT_CONTACTED if wait is None else _band(wait)
        counts[name][0] += 1
        counts[name][1] += int(moved_on)
        if wait is not None:
            hours.append(wait)
    bands = tuple(ContactBand(name, leads, opportunities) for name, (leads, opportunities) in counts.items())
    return FirstContact(
        handed_off=len(waits),
        contacted=len(hours),
        median_hours=percentile(hours, 0.5),
        p90_hours=percentile(hours, 0.9),
        bands=bands,
    )


def _band(wait: float) -> str:
    return next(name for name, longest in BANDS if wait <= longest)
