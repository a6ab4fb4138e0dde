"""The scoring engine: a model, a lead, its events and a time in; the score and every reason for it out.

Pure and deterministic: the order of the events does not matter, events after ``at`` are ignored, and the
same inputs always give the same result. The exact arithmetic, which ``pheu.score.bulk`` repeats set-wise:

- times are whole seconds (``facts.seconds``); an event's age in days is ``(at - t) / 86400``;
- a behaviour rule's matching events are taken oldest first through its cap (``model.BehaviourRule``); each
  counted event is worth ``points * 0.5 ** (age_days / half_life_days)`` (no half-life: ``points``), and
  the rule's worth is their sum, added oldest first;
- each contribution is rounded once, to a tenth of a point (half to even); the fit, behaviour and negative
  parts and the total are sums of those rounded contributions, so the "why" list always adds up to the
  total shown.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

from pheu.score.facts import DAY_SECONDS, EventFact, LeadFacts, from_seconds, seconds
from pheu.score.matching import EventPredicate, FieldPredicate, event_predicate, fit_predicate
from pheu.score.model import BehaviourRule, FitRule, ScoringModel, Temperature

Part = Literal["fit", "behaviour", "negative"]


@dataclass(frozen=True, slots=True)
class Contribution:
    """One rule's share of a score. ``points_raw`` is what the counted events (or the fit) were worth before
    decay; ``count`` events counted, ``matched`` matched (the difference went over the cap)."""

    rule_id: str
    part: Part
    label_vi: str
    label_en: str
    points_raw: float
    points_after_decay: float
    count: int
    matched: int

    def label(self, lang: str = "vi") -> str:
        return self.label_en if lang == "en" else self.label_vi


@dataclass(frozen=True, slots=True)
class ScoreResult:
    """A lead's score at ``at``. ``last_event_at`` is the newest event of each type up to ``at`` and
    ``last_evidence_at`` the newest event that earned points under a positive behaviour rule (counted or
    over the cap); the stage rules read both."""

    total: float
    fit: float
    behaviour: float
    negative: float
    contributions: tuple[Contribution, ...]
    temperature: Temperature
    at: datetime
    last_event_at: Mapping[str, datetime]
    last_evidence_at: datetime | None


@dataclass(frozen=True, slots=True)
class CompiledFit:
    rule: FitRule
    part: Part
    test: FieldPredicate
    tenths: int


@dataclass(frozen=True, slots=True)
class CompiledBehaviour:
    index: int
    rule: BehaviourRule
    part: Part
    when: EventPredicate | None
    slots: int | None
    window: int | None

    @property
    def positive(self) -> bool:
        return self.part == "behaviour"


@dataclass(frozen=True, slots=True)
class CompiledModel:
    """A model with its predicates built, for scoring many leads without rebuilding them."""

    model: ScoringModel
    fits: tuple[CompiledFit, ...]
    behaviours: tuple[CompiledBehaviour, ...]
    by_type: Mapping[str, tuple[CompiledBehaviour, ...]]


def window_seconds(rule: BehaviourRule) -> int | None:
    """A cap's period in whole seconds; ``None`` for a lifetime cap or no cap."""
    return None if rule.period_days is None else round(rule.period_days * DAY_SECONDS)


def compile_model(model: ScoringModel) -> CompiledModel:
    fits = [CompiledFit(r, "fit", fit_predicate(r), round(r.points * 10)) for r in model.fit_rules]
    tagged: list[tuple[BehaviourRule, Part]] = [(r, "behaviour") for r in model.behaviour_rules]
    for rule in model.negative_rules:
        if isinstance(rule, FitRule):
            fits.append(CompiledFit(rule, "negative", fit_predicate(rule), round(rule.points * 10)))
        else:
            tagged.append((rule, "negative"))
    behaviours = tuple(
        CompiledBehaviour(i, r, part, event_predicate(r), r.slots, window_seconds(r))
        for i, (r, part) in enumerate(tagged)
    )
    by_type: dict[str, tuple[CompiledBehaviour, ...]] = {}
    for b in behaviours:
        by_type[b.rule.event_type] = (*by_type.get(b.rule.event_type, ()), b)
    return CompiledModel(model, tuple(fits), behaviours, by_type)


_CACHE: dict[int, CompiledModel] = {}
_CACHE_SIZE: Final = 16


def compiled(model: ScoringModel | CompiledModel) -> CompiledModel:
    """The compiled form, remembered per model object so a loop over leads compiles once."""
    if isinstance(model, CompiledModel):
        return model
    hit = _CACHE.get(id(model))
    if hit is not None and hit.model is model:
        return hit
    built = compile_model(model)
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[id(model)] = built
    return built


def counted_times(times: Sequence[int], slots: int | None, window: int | None) -> list[int]:
    """The events (sorted times) that count under a cap of ``slots`` events per rolling ``window`` seconds:
    oldest first, one counts unless ``slots`` counted ones lie in the window before it."""
    if slots is None:
        return list(times)
    if window is None:
        return list(times[:slots])
    kept: list[int] = []
    for t in times:
        if len(kept) < slots or t >= kept[-slots] + window:
            kept.append(t)
    return kept


def decayed(points: float, times: Sequence[int], at: int, half_life_days: float | None) -> float:
    """The worth at ``at`` of events at ``times`` (oldest first), each ``points`` halving per half-life."""
    if half_life_days is None:
        return sum(points * 1.0 for _ in times)
    return sum(points * math.pow(0.5, (at - t) / DAY_SECONDS / half_life_days) for t in times)


def score(
    model: ScoringModel | CompiledModel, lead: LeadFacts, events: Sequence[EventFact], at: datetime
) -> ScoreResult:
    """Score ``lead`` at ``at`` (aware) from the events that happened up to then."""
    c = compiled(model)
    at_s = seconds(at)
    matched: dict[int, list[int]] = {}
    last: dict[str, int] = {}
    evidence: int | None = None
    for event in events:
        t = seconds(event.occurred_at)
        if t > at_s:
            continue
        if last.get(event.type, t - 1) < t:
            last[event.type] = t
        for b in c.by_type.get(event.type, ()):
            if b.when is None or b.when(event.properties):
                matched.setdefault(b.index, []).append(t)
                if b.positive and (evidence is None or t > evidence):
                    evidence = t
    contributions = [*_fit_contributions(c, lead), *_behaviour_contributions(c, matched, at_s)]
    return _result(c.model, contributions, at, last, evidence)


def _fit_contributions(c: CompiledModel, lead: LeadFacts) -> list[tuple[Contribution, int]]:
    return [
        (
            Contribution(
                f.rule.id, f.part, f.rule.label_vi, f.rule.label_en, f.rule.points, f.tenths / 10, 1, 1
            ),
            f.tenths,
        )
        for f in c.fits
        if f.test(lead.value(f.rule.field))
    ]


def _behaviour_contributions(
    c: CompiledModel, matched: Mapping[int, list[int]], at: int
) -> list[tuple[Contribution, int]]:
    out: list[tuple[Contribution, int]] = []
    for b in c.behaviours:
        times = matched.get(b.index)
        if not times:
            continue
        times.sort()
        kept = counted_times(times, b.slots, b.window)
        tenths = round(decayed(b.rule.points, kept, at, b.rule.half_life_days) * 10)
        raw = b.rule.points * len(kept)
        rule = b.rule
        out.append(
            (
                Contribution(
                    rule.id, b.part, rule.label_vi, rule.label_en, raw, tenths / 10, len(kept), len(times)
                ),
                tenths,
            )
        )
    return out


def _result(
    model: ScoringModel,
    contributions: list[tuple[Contribution, int]],
    at: datetime,
    last: Mapping[str, int],
    evidence: int | None,
) -> ScoreResult:
    parts = {"fit": 0, "behaviour": 0, "negative": 0}
    for contribution, tenths in contributions:
        parts[contribution.part] += tenths
    total = sum(parts.values()) / 10
    return ScoreResult(
        total=total,
        fit=parts["fit"] / 10,
        behaviour=parts["behaviour"] / 10,
        negative=parts["negative"] / 10,
        contributions=tuple(c for c, _ in contributions),
        temperature=model.temperature.of(total),
        at=at,
        last_event_at={kind: from_seconds(t) for kind, t in last.items()},
        last_evidence_at=None if evidence is None else from_seconds(evidence),
    )
