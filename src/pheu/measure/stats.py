"""Small arithmetic every measure shares, with one answer for an empty base: ``None``, never a crash or a 0
that would read as a real figure."""

from __future__ import annotations

import math
from collections.abc import Sequence


def ratio(part: int, whole: int) -> float | None:
    """``part / whole``, or ``None`` when there is nothing to divide by."""
    return part / whole if whole else None


def per_unit(amount_minor: int, units: int) -> int | None:
    """Money per unit in integer minor units, halves rounded up; ``None`` for no units."""
    if units <= 0:
        return None
    return (2 * amount_minor + units) // (2 * units)


def percentile(values: Sequence[float], p: float) -> float | None:
    """The ``p``-th quantile (0 ≤ p ≤ 1) by linear interpolation between closest ranks (position p·(n−1) in
    the sorted values), so ``p=0.5`` is the usual median. ``None`` for no values."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must lie between 0 and 1, got {p}")
    if not values:
        return None
    ordered = sorted(values)
    position = p * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def rounded(value: float | None, digits: int = 4) -> float | None:
    """For JSON: enough digits for a rate, none of the float noise."""
    return None if value is None else round(value, digits)


def relative_change(current: int, previous: int) -> float | None:
    """How much ``current`` grew (or shrank, negative) against ``previous``; ``None`` from nothing."""
    return (current - previous) / previous if previous else None
