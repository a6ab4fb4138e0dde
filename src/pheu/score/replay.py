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

Leads come as columns (``PastLeads``) and events' properties coded per distinct value (``EventProperties``),
so a fit rule, a stage condition on the lead alone and a property condition are each decided once per
distinct value, not once per lead or event; a rule's scan covers only the leads it gives points to; models
replayed together (``replay_all``) share the timeline and every rule they have in common. At 100,000 leads
the work per lead and per event in Python, not the arithmetic, was most of a backtest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from pheu.lifecycle import Stage
from pheu.score.bulk import Bools, EventBatch, Floats, Ints, counted, event_keys
from pheu.score.engine import CompiledBehaviour, CompiledFit, CompiledModel, compiled
from pheu.score.facts import DAY_SECONDS, EventFact, LeadFacts, seconds
from pheu.score.model import BehaviourRule, Condition, FitRule, ScoringModel, StageRule
from pheu.score.past_leads import LeadConditions, PastLeads

NEVER = np.iinfo(np.int64).max
_SHIFT = 34


@dataclass(frozen=True, slots=True)
class EventProperties:
    """Events' properties coded per distinct value: event ``i`` has ``values[codes[i]]``. Only the keys the
    rules' property conditions read need be there."""

    codes: NDArray[np.int32]
    values: Sequence[Mapping[str, object]]


@dataclass(frozen=True, slots=True)
class History:
    """Past leads, their events (``events.lead`` indexes ``leads``; their properties in ``properties``, or
    in ``events.properties`` when that is ``None``), when each became a customer (``None``: never), and the
    end of the replay."""

    leads: PastLeads
    events: EventBatch
    customer_at: Sequence[datetime | None]
    end: datetime
    properties: EventProperties | None = None

    @classmethod
    def from_facts(
        cls,
        leads: Sequence[LeadFacts],
        events_per_lead: Sequence[Sequence[EventFact]],
        customer_at: Sequence[datetime | None],
        end: datetime,
    ) -> History:
        return cls(PastLeads.from_facts(leads), EventBatch.from_facts(events_per_lead), customer_at, end)

    def event_properties(self) -> EventProperties | None:
        """The events' properties coded; each event its own value when they come in ``events``."""
        if self.properties is not None or self.events.properties is None:
            return self.properties
        return EventProperties(np.arange(len(self.events.time), dtype=np.int32), self.events.properties)


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
class _Timeline:
    """The kept events sorted by (lead, time) (``order``: their positions in the history's batch), with the
    lead each one starts or belongs to and the run of same-second events it ends."""

    order: Ints
    lead: Ints
    type_code: NDArray[np.int32]
    time: Ints
    types: tuple[str, ...]
    base: int
    starts: Bools
    gap_days: Floats
    group_start: Ints
    group_lead: Ints
    group_of: Ints
    run_last: Ints


def _cutoffs(history: History) -> tuple[Bools, Bools, Ints]:
    size = history.leads.size
    end = seconds(history.end)
    cut = np.fromiter(
        (end if at is None else min(end, seconds(at) - 1) for at in history.customer_at), np.int64, size
    )
    customer = np.fromiter((at is not None for at in history.customer_at), np.bool_, size)
    return history.leads.sales, customer, cut


def _timeline(batch: EventBatch, included: Bools, cut: Ints) -> _Timeline:
    kept = np.flatnonzero(included[batch.lead] & (batch.time <= cut[batch.lead]))
    base = int(batch.time[kept].min()) if len(kept) else 0
    order = kept[np.argsort(event_keys(batch.lead[kept], batch.time[kept], base))]
    lead, time = batch.lead[order], batch.time[order]
    n = len(time)
    starts = np.ones(n, np.bool_)
    starts[1:] = lead[1:] != lead[:-1]
    change = np.ones(n + 1, np.bool_)
    change[1:n] = starts[1:] | (time[1:] != time[:-1])
    run_of = np.cumsum(change[:n]) - 1
    run_last = np.flatnonzero(change[1:])[run_of]
    group_start = np.flatnonzero(starts)
    gap_days = np.diff(time, prepend=time[:1]) / DAY_SECONDS
    return _Timeline(
        order,
        lead,
        batch.type_code[order],
        time,
        batch.types,
        base,
        starts,
        gap_days,
        group_start,
        lead[group_start],
        np.cumsum(starts) - 1,
        run_last,
    )


class _Shared:
    """What the models replayed on one history have in common, worked out once: the timeline, the stage
    conditions on the lead alone, and each rule's work (a candidate model usually changes a few rules or
    only thresholds, so most of its rules are the active model's)."""

    def __init__(self, history: History) -> None:
        self.history = history
        self.included, self.customer, self.cut = _cutoffs(history)
        self.line = _timeline(history.events, self.included, self.cut)
        self.alone = LeadConditions(history.leads.table)
        self._fits: dict[FitRule, Bools] = {}
        self._rules: dict[BehaviourRule, tuple[Ints, Ints]] = {}

    def fit_hits(self, f: CompiledFit) -> Bools:
        """Which leads the fit rule matches, its test run once per distinct value of the field."""
        hit = self._fits.get(f.rule)
        if hit is None:
            table = self.history.leads.table
            column = table.columns.get(f.rule.field)
            if column is None:
                hit = np.full(table.size, f.test(None))
            elif not len(column.values):
                hit = np.zeros(table.size, np.bool_)
            else:
                by_value = np.fromiter((f.test(v) for v in column.values), np.bool_, len(column.values))
                hit = by_value[column.codes]
            self._fits[f.rule] = hit
        return hit

    def rule_tenths(self, b: CompiledBehaviour) -> tuple[Ints, Ints]:
        found = self._rules.get(b.rule)
        if found is None:
            found = self._rules[b.rule] = _rule_tenths(b, self.line, self._matches(b))
        return found

    def _matches(self, b: CompiledBehaviour) -> Bools:
        """Which events of the timeline rule ``b`` matches (its type, its property conditions)."""
        line = self.line
        if b.rule.event_type not in line.types:
            return np.zeros(len(line.time), np.bool_)
        hit: Bools = line.type_code == line.types.index(b.rule.event_type)
        if b.when is not None:
            hit &= _property_mask(b, self.history)[line.order]
        return hit


def _property_mask(b: CompiledBehaviour, history: History) -> Bools:
    """Which events of the history's batch satisfy ``b``'s property conditions (only events of its type
    are looked at), each distinct properties value tested once."""
    batch, props = history.events, history.event_properties()
    if props is None:
        raise ValueError(f"rule '{b.rule.id}' reads event properties; the history has none")
    assert b.when is not None
    of_type = batch.type_code == batch.types.index(b.rule.event_type)
    seen = np.unique(props.codes[of_type])
    by_value = np.zeros(len(props.values), np.bool_)
    by_value[seen] = np.fromiter((b.when(props.values[v]) for v in seen.tolist()), np.bool_, len(seen))
    mask: Bools = of_type & by_value[props.codes]
    return mask


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


def _rule_tenths(b: CompiledBehaviour, line: _Timeline, matches: Bools) -> tuple[Ints, Ints]:
    """The rule's worth in tenths right after each event of the leads it gives points to: (those events'
    positions in the timeline, the worth); elsewhere it is worth nothing. A lead's scan reads only its own
    events, so leaving the other leads out changes no figure, and most rules touch few leads."""
    where = np.flatnonzero(matches)
    keep = counted(event_keys(line.lead[where], line.time[where], line.base), b.slots, b.window)
    earning = where[keep]
    touched = np.zeros(len(line.group_start), np.bool_)
    touched[line.group_of[earning]] = True
    at = np.flatnonzero(touched[line.group_of])
    points = np.zeros(len(at))
    points[np.searchsorted(at, earning)] = b.rule.points
    if b.rule.half_life_days is None:
        factor = np.ones(len(at))
    else:
        factor = np.power(0.5, line.gap_days[at] / b.rule.half_life_days)
    factor[line.starts[at]] = 0.0
    return at, np.rint(decay_scan(factor, points) * 10).astype(np.int64)


def _last_seen(types: Sequence[str], line: _Timeline) -> Ints:
    """Per event, the latest time (up to it) the lead had an event of one of ``types``; -1 when none."""
    codes = [line.types.index(t) for t in types if t in line.types]
    hit = np.isin(line.type_code, codes)
    base = line.time.min() if len(line.time) else 0
    key = (line.group_of << _SHIFT) + np.where(hit, line.time - base + 1, 0)
    running = np.maximum.accumulate(key) - (line.group_of << _SHIFT)
    return np.where(running > 0, running - 1 + base, -1)


def _meets(rule: StageRule, alone: LeadConditions, line: _Timeline, total: Floats, fit: Floats) -> Bools:
    """Whether the stage's requirements hold right after each event (read at the end of its run)."""
    ok = total >= rule.min_score
    for cond in rule.conditions:
        ok &= _condition(cond, alone, line, fit)
    return ok[line.run_last] if len(ok) else ok


def _condition(cond: Condition, alone: LeadConditions, line: _Timeline, fit: Floats) -> Bools:
    if cond.kind == "min_fit":
        return fit[line.lead] >= (cond.value or 0)
    if cond.kind == "has_event":
        last = _last_seen(cond.event_types, line)
        if cond.within_days is None:
            return last >= 0
        return (last >= 0) & (last >= line.time - round(cond.within_days * DAY_SECONDS))
    return alone.holds(cond)[line.lead]


def _first(ok: Bools, line: _Timeline, size: int) -> Ints:
    out = np.full(size, NEVER, np.int64)
    if len(ok):
        times = np.where(ok, line.time, NEVER)
        out[line.group_lead] = np.minimum.reduceat(times, line.group_start)
    return out


def replay(model: ScoringModel | CompiledModel, history: History) -> Replay:
    """Score and stage every lead of ``history`` as the model would have at each of its events."""
    return replay_all([model], history)[0]


def replay_all(models: Sequence[ScoringModel | CompiledModel], history: History) -> list[Replay]:
    """``replay`` of each model, doing what they have in common once."""
    shared = _Shared(history)
    return [_replay(compiled(model), shared) for model in models]


def _replay(c: CompiledModel, shared: _Shared) -> Replay:
    line, size = shared.line, shared.history.leads.size
    fit_t = np.zeros(size, np.int64)
    negative_fit_t = np.zeros(size, np.int64)
    for f in c.fits:
        (fit_t if f.part == "fit" else negative_fit_t)[shared.fit_hits(f)] += f.tenths
    tenths = fit_t[line.lead] + negative_fit_t[line.lead]
    for b in c.behaviours:
        at, worth = shared.rule_tenths(b)
        tenths[at] += worth
    total = tenths[line.run_last] / 10
    peak = (fit_t + negative_fit_t) / 10
    if len(total):
        np.maximum.at(peak, line.lead, total)
    fit = fit_t / 10
    at_mql, at_sql = (_stage(c.model, s) for s in (Stage.MQL, Stage.SQL))
    sql_ok = _meets(at_sql, shared.alone, line, total, fit)
    mql_ok = _meets(at_mql, shared.alone, line, total, fit) | sql_ok
    return Replay(
        shared.included, shared.customer, peak, _first(mql_ok, line, size), _first(sql_ok, line, size)
    )


def _stage(model: ScoringModel, stage: Stage) -> StageRule:
    rule = model.stage_rule(stage)
    assert rule is not None  # a model always has both (checked when it is built)
    return rule
