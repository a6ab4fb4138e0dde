"""A weighted choice that is cheap to draw from many times.

``random.choices`` rebuilds its cumulative weights on every call; the generator draws millions of times from
the same few tables, so the sums are built once here.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from itertools import accumulate
from typing import Generic, TypeVar

T = TypeVar("T")


class Weighted(Generic[T]):
    __slots__ = ("_cum", "_items", "_total")

    def __init__(self, pairs: Iterable[tuple[T, float]]) -> None:
        items: list[T] = []
        weights: list[float] = []
        for item, weight in pairs:
            if weight > 0:
                items.append(item)
                weights.append(weight)
        if not items:
            raise ValueError("a weighted choice needs at least one positive weight")
        self._items: Sequence[T] = items
        self._cum = list(accumulate(weights))
        self._total = self._cum[-1]

    def pick(self, rng: random.Random) -> T:
        index = bisect_right(self._cum, rng.random() * self._total)
        return self._items[min(index, len(self._items) - 1)]

    def share(self, item: T) -> float:
        """The probability of drawing ``item`` (0 if absent)."""
        total = 0.0
        previous = 0.0
        for candidate, cum in zip(self._items, self._cum, strict=True):
            if candidate == item:
                total += cum - previous
            previous = cum
        return total / self._total

    @property
    def items(self) -> Sequence[T]:
        return self._items


def chance(rng: random.Random, p: float) -> bool:
    return rng.random() < p
