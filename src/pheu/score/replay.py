"""Replaying history with a model: each lead's score and stage checks at each of its events, using only the
events it had by then — set-wise, for all leads at once, never lead by event by event.

How, per rule: the rule's counted events are found once (the cap walk depends only on earlier events, so
an event counted in the full history was counted at its time too); then the rule's worth at every event of
the lead follows the recurrence ``S_i = S_{i-1} * 0.5 ** (gap_i / half_life) + points_i``, solved for all
leads together as a parallel prefix scan (log2 of the longest lead's event count rounds). The decay then
comes as a product of per-gap factors instead of one power, so a replayed score can differ from the
per-lead engine's in the last bit and, very rarely, by a tenth in rounding.

The rules of the replay:
- recruitment leads are left out; a customer's events from the moment it became a customer are dropped
  (what happens after the sale cannot predict it), and so are events after the replay's end;
- a lead is checked right after each of its events (events at the same second count together); contact
  details, consents and flags are taken as they are now, since their history is not kept;
- the model moves a lead forward only: its MQL time is the first time it met the MQL or the SQL
  requirements, its SQL time the first time it met the SQL ones;
- a lead's "peak" is its highest score up to its outcome (the fit-only score before any event included):
  between events a score only decays, so the peak is always right after an event.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from pheu.lifecycle import LeadKind, Stage
from pheu.score.bulk import (
    Bools,
    EventBatch,
    Floats,
    Ints,
    LeadTable,
    counted,
    event_keys,
    fields_read,
    fit_tenths,
    property_masks,
    rule_mask,
)
from pheu.score.engine import CompiledBehaviour, CompiledModel, compiled
from pheu.score.facts import DAY_SECONDS, EventFact, LeadFacts, seconds
from pheu.score.model import Condition, ScoringModel, StageRule
from pheu.score.stages import lead_condition

NEVER = np.iinfo(np.int64).max
_SHIFT = 34


@dataclass(frozen=True, slots=True)
class History:
    """Past leads: their facts, their events (``events.lead`` indexes ``leads``), when each became a
    customer (``None``: never), and the end of the replay."""

    leads: Sequence[LeadFacts]
    events: EventBatch
    customer_at: Sequence[datetime | None]
    end: datetime

    @classmethod
    def from_facts(
        cls,
        leads: Sequence[LeadFacts],
        events_per_lead: Sequence[Sequence[EventFact]],
        customer_at: Sequence[datetime | None],
        end: datetime,
    ) -> History:
        return cls(leads, EventBatch.from_facts(events_per_lead), customer_at, end)


@dataclass(frozen=True, slots=True)
class Replay:
    """Per lead of the history: whether it took part (sales leads), became a customer, its peak score, and
    when (seconds UTC, ``NEVER`` if not) the model would have made it an MQL and an SQL."""

    included: Bools
    customer: Bools
    peak: Floats
    mql_at: Ints
    sql_at: Ints


@dataclass(frozen=True, slots=True)
class SortedEvents:
    """Events sorted by (lead, time), each rule's property mask in the same order."""

    lead: Ints
    type_code: NDArray[np.int32]
    time: Ints
    types: tuple[str, ...]
    masks: Mapping[str, Bools]
    base: int


def sort_events(batch: EventBatch, masks: Mapping[str, Bools]) -> SortedEvents:
    base = int(batch.time.min()) if len(batch.time) else 0
    order = np.argsort(event_keys(batch.lead, batch.time, base))
    return SortedEvents(
        batch.lead[order],
        batch.type_code[order],
        batch.time[order],
        batch.types,
        {rule_id: mask[order] for rule_id, mask in masks.items()},
        base,
    )


@dataclass(frozen=True, slots=True)
class _Timeline:
    """The kept events, sorted, with the run of same-second events each one belongs to."""

    events: SortedEvents
    group_start: Ints
    group_lead: Ints
    group_of: Ints
    run_last: Ints


def _cutoffs(history: History) -> tuple[Bools, Bools, Ints]:
    included = np.fromiter(
        (lead.kind is LeadKind.SALES for lead in history.leads), np.bool_, len(history.leads)
    )
    end = seconds(history.end)
    cut = np.fromiter(
        (end if at is None else min(end, seconds(at) - 1) for at in history.customer_at),
        np.int64,
        len(history.leads),
    )
    customer = np.fromiter((at is not None for at in history.customer_at), np.bool_, len(history.leads))
    return included, customer, cut


def _timeline(c: CompiledModel, history: History, included: Bools, cut: Ints) -> _Timeline:
    batch = history.events
    masks = property_masks(c, batch)
    keep = included[batch.lead] & (batch.time <= cut[batch.lead])
    kept = EventBatch(batch.lead[keep], batch.type_code[keep], batch.time[keep], batch.types)
    events = sort_events(kept, {rule_id: mask[keep] for rule_id, mask in masks.items()})
    n = len(events.time)
    starts = np.ones(n, np.bool_)
    starts[1:] = events.lead[1:] != events.lead[:-1]
    change = np.ones(n + 1, np.bool_)
    change[1:n] = starts[1:] | (events.time[1:] != events.time[:-1])
    run_of = np.cumsum(change[:n]) - 1
    run_last = np.flatnonzero(change[1:])[run_of]
    group_start = np.flatnonzero(starts)
    return _Timeline(events, group_start, events.lead[group_start], np.cumsum(starts) - 1, run_last)


def decay_scan(factor: Floats, points: Floats) -> Floats:
    """``S_i = factor_i * S_{i-1} + points_i`` for every i at once; a factor of 0 starts a new lead.
    Hillis–Steele scan: after the round with offset k each element holds its last 2k steps combined."""
    a, b = factor.copy(), points.copy()
    k, n = 1, len(b)
    while k < n and a[k:].any():
        b_next = b.copy()
        b_next[k:] += a[k:] * b[:-k]
        a_next = a.copy()
        a_next[k:] *= a[:-k]
        a, b, k = a_next, b_next, k * 2
    return b


def _rule_tenths(b: CompiledBehaviour, line: _Timeline) -> Ints:
    """The rule's worth in tenths right after each event of the timeline."""
    events = line.events
    where = np.flatnonzero(rule_mask(b, events.types, events.type_code, events.time, events.masks))
    keep = counted(event_keys(events.lead[where], events.time[where], events.base), b.slots, b.window)
    points = np.zeros(len(events.time))
    points[where[keep]] = b.rule.points
    if b.rule.half_life_days is None:
        factor = np.ones(len(events.time))
    else:
        gaps = np.diff(events.time, prepend=events.time[:1]) / DAY_SECONDS
        factor = np.power(0.5, gaps / b.rule.half_life_days)
    factor[line.group_start] = 0.0
    return np.rint(decay_scan(factor, points) * 10).astype(np.int64)


def _last_seen(types: Sequence[str], line: _Timeline) -> Ints:
    """Per event, the latest time (up to it) the lead had an event of one of ``types``; -1 when none."""
    events = line.events
    codes = [events.types.index(t) for t in types if t in events.types]
    hit = np.isin(events.type_code, codes)
    base = events.time.min() if len(events.time) else 0
    key = (line.group_of << _SHIFT) + np.where(hit, events.time - base + 1, 0)
    running = np.maximum.accumulate(key) - (line.group_of << _SHIFT)
    return np.where(running > 0, running - 1 + base, -1)


def _meets(rule: StageRule, leads: Sequence[LeadFacts], line: _Timeline, total: Floats, fit: Floats) -> Bools:
    """Whether the stage's requirements hold right after each event (read at the end of its run)."""
    ok = total >= rule.min_score
    for cond in rule.conditions:
        ok &= _condition(cond, leads, line, fit)
    return ok[line.run_last] if len(ok) else ok


def _condition(cond: Condition, leads: Sequence[LeadFacts], line: _Timeline, fit: Floats) -> Bools:
    events = line.events
    if cond.kind == "min_fit":
        return fit[events.lead] >= (cond.value or 0)
    if cond.kind == "has_event":
        last = _last_seen(cond.event_types, line)
        if cond.within_days is None:
            return last >= 0
        return (last >= 0) & (last >= events.time - round(cond.within_days * DAY_SECONDS))
    by_group = np.fromiter((bool(lead_condition(cond, leads[i])) for i in line.group_lead.tolist()), np.bool_)
    return by_group[line.group_of]


def _first(ok: Bools, line: _Timeline, size: int) -> Ints:
    out = np.full(size, NEVER, np.int64)
    if len(ok):
        times = np.where(ok, line.events.time, NEVER)
        out[line.group_lead] = np.minimum.reduceat(times, line.group_start)
    return out


def replay(model: ScoringModel | CompiledModel, history: History) -> Replay:
    """Score and stage every lead of ``history`` as the model would have at each of its events."""
    c = compiled(model)
    size = len(history.leads)
    included, customer, cut = _cutoffs(history)
    line = _timeline(c, history, included, cut)
    fit_t, negative_fit_t = fit_tenths(c, LeadTable.from_facts(history.leads, fields_read(c)))
    lead = line.events.lead
    tenths = fit_t[lead] + negative_fit_t[lead]
    for b in c.behaviours:
        tenths = tenths + _rule_tenths(b, line)
    total = tenths[line.run_last] / 10
    peak = (fit_t + negative_fit_t) / 10
    if len(total):
        np.maximum.at(peak, lead, total)
    fit = fit_t / 10
    at_mql, at_sql = (_stage(c.model, s) for s in (Stage.MQL, Stage.SQL))
    sql_ok = _meets(at_sql, history.leads, line, total, fit)
    mql_ok = _meets(at_mql, history.leads, line, total, fit) | sql_ok
    return Replay(included, customer, peak, _first(mql_ok, line, size), _first(sql_ok, line, size))


def _stage(model: ScoringModel, stage: Stage) -> StageRule:
    rule = model.stage_rule(stage)
    assert rule is not None  # a model always has both (checked when it is built)
    return rule
