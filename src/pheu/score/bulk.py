"""Set-wise rescoring: every lead at once with numpy, for when the active model changes.

It repeats ``pheu.score.engine``'s arithmetic exactly (same second-resolution times, same cap walk, same
decay formula, each rule's worth summed oldest first and rounded once to a tenth), so a lead gets the same
score either way. The work is per rule, not per lead:

- each rule selects its events with a mask and sorts them by one (lead, time) integer key;
- a cap is applied group-wise: a lead whose events never crowd more than the allowed number into one window
  keeps them all; only leads that do are walked, all of them together, one counted event per round
  (``k``-th counted event = the first event after the ``k-1``-th that is at least one period after the
  ``k - slots``-th);
- fit rules are evaluated once per distinct value of a column and spread to the leads by index.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from pheu.score.engine import CompiledBehaviour, CompiledModel, compiled
from pheu.score.facts import DAY_SECONDS, EventFact, FieldValue, LeadFacts, seconds
from pheu.score.matching import event_predicate
from pheu.score.model import ScoringModel

Ints = NDArray[np.int64]
Bools = NDArray[np.bool_]
Floats = NDArray[np.float64]
KEY_SHIFT = 33  # event times within 2**33 s (272 years) of each other; leads below 2**29 per batch
_TIME_BITS = (1 << KEY_SHIFT) - 1


def _hashable(value: FieldValue) -> FieldValue:
    if isinstance(value, list | tuple | set | frozenset):
        return tuple(value)
    return value


@dataclass(frozen=True, slots=True)
class Column:
    """One lead field for every lead: ``values[codes[i]]`` is lead ``i``'s value."""

    codes: NDArray[np.int32]
    values: tuple[FieldValue, ...]


@dataclass(frozen=True, slots=True)
class LeadTable:
    """Lead fields column by column; a field with no column is missing for every lead."""

    size: int
    columns: Mapping[str, Column] = field(default_factory=dict)

    @classmethod
    def from_facts(cls, leads: Sequence[LeadFacts], names: Sequence[str]) -> LeadTable:
        """Columns ``names`` (lead or derived fields, as ``LeadFacts.value`` reads them)."""
        columns: dict[str, Column] = {}
        for name in names:
            index: dict[FieldValue, int] = {}
            codes = np.fromiter(
                (index.setdefault(_hashable(lead.value(name)), len(index)) for lead in leads),
                np.int32,
                len(leads),
            )
            columns[name] = Column(codes, tuple(index))
        return cls(len(leads), columns)


def fields_read(model: ScoringModel | CompiledModel) -> list[str]:
    """The lead fields a model's fit and negative fit rules read: the columns a ``LeadTable`` needs."""
    return sorted({f.rule.field for f in compiled(model).fits})


@dataclass(frozen=True, slots=True)
class EventBatch:
    """Events as arrays: ``lead`` indexes the ``LeadTable``, ``type_code`` indexes ``types``, ``time`` is
    whole seconds UTC. ``properties`` (parallel, optional) lets ``property_masks`` evaluate ``when``."""

    lead: Ints
    type_code: NDArray[np.int32]
    time: Ints
    types: tuple[str, ...]
    properties: Sequence[Mapping[str, object]] | None = None

    @classmethod
    def from_facts(cls, events_per_lead: Sequence[Sequence[EventFact]]) -> EventBatch:
        types: dict[str, int] = {}
        flat = [(i, e) for i, events in enumerate(events_per_lead) for e in events]
        return cls(
            lead=np.fromiter((i for i, _ in flat), np.int64, len(flat)),
            type_code=np.fromiter(
                (types.setdefault(e.type, len(types)) for _, e in flat), np.int32, len(flat)
            ),
            time=np.fromiter((seconds(e.occurred_at) for _, e in flat), np.int64, len(flat)),
            types=tuple(types),
            properties=[e.properties for _, e in flat],
        )


@dataclass(frozen=True, slots=True)
class BulkScores:
    """Per lead, in points (tenths exact); the same numbers ``engine.score`` gives one lead at a time."""

    fit: Floats
    behaviour: Floats
    negative: Floats
    total: Floats


def property_masks(model: ScoringModel | CompiledModel, batch: EventBatch) -> dict[str, Bools]:
    """For each behaviour rule with ``when`` conditions, which events satisfy them (only events of the
    rule's type are looked at). Needs ``batch.properties``."""
    c = compiled(model)
    masks: dict[str, Bools] = {}
    for b in c.behaviours:
        test = event_predicate(b.rule)
        if test is None:
            continue
        if batch.properties is None:
            raise ValueError(f"rule '{b.rule.id}' reads event properties; pass them or precomputed masks")
        mask = np.zeros(len(batch.time), np.bool_)
        if b.rule.event_type in batch.types:
            props = batch.properties
            for i in np.flatnonzero(batch.type_code == batch.types.index(b.rule.event_type)).tolist():
                mask[i] = test(props[i])
        masks[b.rule.id] = mask
    return masks


def rule_mask(
    b: CompiledBehaviour,
    types: Sequence[str],
    type_code: NDArray[np.int32],
    time: Ints,
    masks: Mapping[str, Bools],
    until: int | None = None,
) -> Bools:
    """Which events rule ``b`` matches (its type, its property mask), at or before ``until`` when given."""
    if b.rule.event_type not in types:
        return np.zeros(len(time), np.bool_)
    hit: Bools = type_code == types.index(b.rule.event_type)
    if until is not None:
        hit &= time <= until
    if b.when is not None:
        mask = masks.get(b.rule.id)
        if mask is None:
            raise ValueError(f"rule '{b.rule.id}' reads event properties; no mask was given for it")
        hit &= mask
    return hit


def event_keys(lead: Ints, time: Ints, base: int) -> Ints:
    """One sortable int per event, lead first then time: sorting keys (fast, vectorised) instead of
    arg-sorting two columns is what keeps a 10-million-event rescore within seconds."""
    span = int(time.max()) - base if len(time) else 0
    if span >= 1 << KEY_SHIFT or (len(lead) and int(lead.max()) >= 1 << (62 - KEY_SHIFT)):
        raise ValueError("events span more than 272 years, or more than 2**29 leads in one batch")
    return (lead << KEY_SHIFT) | (time - base)


def counted(keys: Ints, slots: int | None, window: int | None) -> Bools:
    """Which events (sorted ``event_keys``) count under a cap; see ``engine.counted_times``."""
    n = len(keys)
    if slots is None or n == 0:
        return np.ones(n, np.bool_)
    lead = keys >> KEY_SHIFT
    starts = np.ones(n, np.bool_)
    starts[1:] = lead[1:] != lead[:-1]
    group = np.cumsum(starts) - 1
    first = np.flatnonzero(starts)
    position = np.arange(n)
    if window is None:
        lifetime: Bools = position - first[group] < slots
        return lifetime
    low = np.maximum(np.searchsorted(keys, keys - window, side="right"), first[group])
    crowded = position - low + 1 > slots
    if not crowded.any():
        return np.ones(n, np.bool_)
    hard = np.unique(group[crowded])
    keep = ~np.isin(group, hard)
    ends = np.append(first[1:], n)
    _walk(keys, first[hard], ends[hard], slots, window, keep)
    return keep


def _walk(key: Ints, start: Ints, end: Ints, slots: int, window: int, keep: Bools) -> None:
    """The cap walk for crowded leads, one counted event per round for all of them at once. ``chosen[s+j]``
    holds the position of a lead's ``j``-th counted event (a lead never counts more events than it has)."""
    chosen = np.full(len(key), -1, np.int64)
    size = end - start
    first_ones = np.repeat(start, np.minimum(size, slots)) + _ranks(np.minimum(size, slots))
    chosen[first_ones] = first_ones
    keep[first_ones] = True
    base, last, rank = start, start + slots - 1, slots
    while len(base):
        back = chosen[base + rank - slots]
        candidate = np.maximum(last + 1, np.searchsorted(key, key[back] + window, side="left"))
        alive = candidate < end
        base, end, candidate = base[alive], end[alive], candidate[alive]
        chosen[base + rank] = candidate
        keep[candidate] = True
        last, rank = candidate, rank + 1


def _ranks(sizes: Ints) -> Ints:
    """0, 1, …, size-1 for each size, concatenated."""
    total = int(sizes.sum())
    offsets = np.repeat(np.cumsum(sizes) - sizes, sizes)
    return np.arange(total) - offsets


def decayed_points(b: CompiledBehaviour, time: Ints, at: int | Ints) -> Floats:
    """Each counted event's worth at ``at``, computed as the engine does."""
    if b.rule.half_life_days is None:
        return np.full(len(time), b.rule.points * 1.0)
    age_days = (at - time) / DAY_SECONDS
    return b.rule.points * np.power(0.5, age_days / b.rule.half_life_days)


def fit_tenths(model: ScoringModel | CompiledModel, table: LeadTable) -> tuple[Ints, Ints]:
    """(fit, negative fit) per lead in tenths of a point."""
    c = compiled(model)
    fit = np.zeros(table.size, np.int64)
    negative = np.zeros(table.size, np.int64)
    for f in c.fits:
        column = table.columns.get(f.rule.field)
        if column is None:
            hit = np.full(table.size, f.test(None))
        else:
            by_value = np.fromiter((f.test(v) for v in column.values), np.bool_, len(column.values))
            hit = by_value[column.codes] if len(column.values) else np.zeros(table.size, np.bool_)
        (fit if f.part == "fit" else negative)[hit] += f.tenths
    return fit, negative


def rescore(
    model: ScoringModel | CompiledModel,
    table: LeadTable,
    batch: EventBatch,
    at: datetime,
    masks: Mapping[str, Bools] | None = None,
) -> BulkScores:
    """Every lead's score at ``at``. ``masks`` are the rules' property matches in batch order (computed from
    ``batch.properties`` when not given)."""
    c = compiled(model)
    at_s = seconds(at)
    masks = property_masks(c, batch) if masks is None else masks
    base = int(batch.time.min()) if len(batch.time) else 0
    fit, negative = fit_tenths(c, table)
    behaviour = np.zeros(table.size, np.int64)
    for b in c.behaviours:
        hit = rule_mask(b, batch.types, batch.type_code, batch.time, masks, at_s)
        keys = np.sort(event_keys(batch.lead[hit], batch.time[hit], base))
        keys = keys[counted(keys, b.slots, b.window)]
        worth = decayed_points(b, (keys & _TIME_BITS) + base, at_s)
        sums = np.bincount(keys >> KEY_SHIFT, weights=worth, minlength=table.size)
        (behaviour if b.positive else negative)[:] += np.rint(sums * 10).astype(np.int64)
    return BulkScores(fit / 10, behaviour / 10, negative / 10, (fit + behaviour + negative) / 10)
