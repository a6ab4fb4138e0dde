"""What the scoring core knows about a lead and its events: plain values, built by the service layer.

Times are aware datetimes (a naive one is refused, as the store refuses it) and the core works in whole
seconds since 1970-01-01 UTC: a fraction of a second is dropped, so the per-lead engine and the set-wise
rescoring see exactly the same times.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final

from pheu.lifecycle import LeadKind

FieldValue = str | int | float | bool | Sequence[str] | None
EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
DAY_SECONDS: Final = 86_400
_SECOND: Final = timedelta(seconds=1)
_FLOAT_EXACT: Final = 2.0**33  # seconds, about the year 2242


@dataclass(frozen=True, slots=True)
class LeadFacts:
    """A lead as the scoring rules see it. ``fields`` holds lead columns by name (``job_title``,
    ``company_size``, ``email``…, plus ``channel`` as the channel's code when known); ``consents`` holds
    the current answer per purpose."""

    fields: Mapping[str, FieldValue] = field(default_factory=dict)
    flags: frozenset[str] = frozenset()
    kind: LeadKind = LeadKind.SALES
    consents: Mapping[str, bool] = field(default_factory=dict)

    def value(self, name: str) -> FieldValue:
        """A field by name, including the derived ones a fit rule may read (see ``model.DERIVED_FIELDS``)."""
        if name == "flags":
            return tuple(sorted(self.flags))
        if name == "kind":
            return self.kind.value
        if name == "consents":
            return tuple(sorted(p for p, granted in self.consents.items() if granted))
        if name == "email_domain":
            email = self.fields.get("email")
            if isinstance(email, str) and "@" in email:
                return email.rpartition("@")[2].strip().lower() or None
            return None
        return self.fields.get(name)

    def has(self, name: str) -> bool:
        return not is_missing(self.fields.get(name))

    def consented(self, purpose: str) -> bool:
        return self.consents.get(purpose, False)


@dataclass(frozen=True, slots=True)
class EventFact:
    """One touch: ``type`` as stored (``page_view``, ``email_open``…), when it happened, its properties."""

    type: str
    occurred_at: datetime
    properties: Mapping[str, object] = field(default_factory=dict)


def is_missing(value: object) -> bool:
    """``None``, blank text and an empty list all mean "we do not know"."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple | frozenset | set):
        return not value
    return False


def seconds(at: datetime) -> int:
    """Whole seconds since 1970-01-01 UTC, rounded down; raise ``ValueError`` on a naive datetime."""
    if at.tzinfo is None:
        raise ValueError("naive datetime given; pass an aware datetime (UTC)")
    stamp = at.timestamp()
    if abs(stamp) < _FLOAT_EXACT:  # a float resolves microseconds here, so flooring it is exact (and fast)
        return math.floor(stamp)
    return (at - EPOCH) // _SECOND


def from_seconds(value: int) -> datetime:
    return EPOCH + timedelta(seconds=value)
