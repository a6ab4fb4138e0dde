"""Stage moves after set-wise scoring: every lead whose new score meets the model's requirements, at once.

Only leads that could move are looked at (sales leads in IQL with at least the lower of the MQL and SQL
thresholds, in MQL with at least the SQL one). For them the arrays already hold what the stage rules read —
the newest event per type and the newest evidence — so each gets the same ``ScoreResult`` the per-lead
engine would give the rules, and the same pure ``next_stage`` decides, reason and all. The moves are then
written together: the stage changes, the leads' new stage and the audit entries, re-checked under lock so a
person's move made meanwhile is not overwritten.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import numpy as np
from sqlalchemy import Text, cast, select
from sqlalchemy.orm import Session

from pheu.lifecycle import LeadKind, Stage
from pheu.score import LeadFacts, Proposal, ScoreResult, ScoringModel, next_stage
from pheu.score.bulk import Bools, BulkScores, Ints, rule_mask
from pheu.score.engine import compiled
from pheu.score.facts import DAY_SECONDS, from_seconds, seconds
from pheu.score.model import StageRule
from pheu.score.stages import lead_condition
from pheu.services import assignment, audit, stages
from pheu.services.scoring_arrays import Snapshot
from pheu.services.scoring_facts import last_manual_moves, model_actor
from pheu.services.scoring_writes import update_leads
from pheu.store import AuditEntry, Consent, Lead, StageChange
from pheu.store.bulk import insert_many
from pheu.store.filters import one_of


@dataclass(frozen=True, slots=True)
class _Evidence:
    """Per candidate: the newest positive-rule event and the newest event of each type (-1: none)."""

    evidence: Ints
    last: dict[str, Ints]


def candidates(model: ScoringModel, snap: Snapshot, scores: BulkScores) -> Ints:
    mql, sql = model.stage_rule(Stage.MQL), model.stage_rule(Stage.SQL)
    assert mql is not None  # a model always has both
    assert sql is not None
    stages = np.array(snap.stages, dtype=object)
    iql = snap.sales & (stages == Stage.IQL.value) & (scores.total >= min(mql.min_score, sql.min_score))
    to_sql = snap.sales & (stages == Stage.MQL.value) & (scores.total >= sql.min_score)
    return np.flatnonzero(iql | to_sql)


def _evidence(model: ScoringModel, snap: Snapshot, chosen: Ints, at: int) -> _Evidence:
    """The candidates' newest evidence and newest event per type, from their events only."""
    c = compiled(model)
    events = snap.events
    slot = np.full(snap.size, -1, np.int64)
    slot[chosen] = np.arange(len(chosen))
    mine = np.flatnonzero((slot[events.lead] >= 0) & (events.time <= at))
    owner, code, time = slot[events.lead[mine]], events.type_code[mine], events.time[mine]
    masks = {rule_id: mask[mine] for rule_id, mask in snap.masks.items()}
    hit = np.zeros(len(mine), np.bool_)
    for b in c.behaviours:
        if b.positive:
            hit |= rule_mask(b, events.types, code, time, masks)
    types = {t for s in model.stages for cond in s.conditions for t in cond.event_types}
    last = {
        t: _newest(owner, time, code == events.types.index(t), len(chosen))
        for t in types
        if t in events.types
    }
    return _Evidence(_newest(owner, time, hit, len(chosen)), last)


def _newest(owner: Ints, time: Ints, where: Bools, size: int) -> Ints:
    out = np.full(size, -1, np.int64)
    np.maximum.at(out, owner[where], time[where])
    return out


_KINDS: Final = {k.value: k for k in LeadKind}


def _facts(session: Session, ids: Sequence[int]) -> dict[int, LeadFacts]:
    """What the stage conditions read about a lead: contacts, flags, kind and consents (flags decoded once
    per distinct list, since they repeat)."""
    consents: dict[int, dict[str, bool]] = {}
    for lead_id, purpose, granted in session.execute(
        select(Consent.lead_id, Consent.purpose, Consent.granted).where(one_of(session, Consent.lead_id, ids))
    ):
        consents.setdefault(lead_id, {})[purpose] = granted
    rows = session.execute(
        select(Lead.id, Lead.email, Lead.phone, cast(Lead.flags, Text), Lead.kind).where(
            one_of(session, Lead.id, ids)
        )
    )
    flags_of: dict[str | None, frozenset[str]] = {}
    out: dict[int, LeadFacts] = {}
    for lead_id, email, phone, flags, kind in rows:
        found = flags_of.get(flags)
        if found is None:
            found = flags_of[flags] = frozenset(json.loads(flags) or ()) if flags else frozenset()
        out[lead_id] = LeadFacts(
            {"email": email, "phone": phone}, found, _KINDS[kind], consents.get(lead_id, {})
        )
    return out


_RANK = {Stage.IQL: 0, Stage.MQL: 1, Stage.SQL: 2}


def _meets_numbers(rule: StageRule, scores: BulkScores, chosen: Ints, found: _Evidence, at: int) -> Bools:
    """Per candidate, whether the points, ``min_fit`` and ``has_event`` requirements hold (the conditions on
    the lead itself are checked afterwards, for the few that pass these)."""
    ok: Bools = scores.total[chosen] >= rule.min_score
    for cond in rule.conditions:
        if cond.kind == "min_fit":
            ok &= scores.fit[chosen] >= (cond.value or 0)
        elif cond.kind == "has_event":
            last = np.full(len(chosen), -1, np.int64)
            for kind in cond.event_types:
                if kind in found.last:
                    last = np.maximum(last, found.last[kind])
            since = -1 if cond.within_days is None else at - round(cond.within_days * DAY_SECONDS)
            ok &= (last >= 0) & (last >= since)
    return ok


def _screen(
    session: Session,
    model: ScoringModel,
    snap: Snapshot,
    scores: BulkScores,
    chosen: Ints,
    found: _Evidence,
    at: int,
) -> tuple[list[int], dict[int, LeadFacts]]:
    """Positions (into ``chosen``) of the leads whose requirements for a higher stage all hold."""
    rules = [r for r in (model.stage_rule(Stage.SQL), model.stage_rule(Stage.MQL)) if r is not None]
    numbers = [_meets_numbers(r, scores, chosen, found, at) for r in rules]
    maybe = np.flatnonzero(np.logical_or.reduce(numbers)) if numbers else np.zeros(0, np.int64)
    facts = _facts(session, [int(i) for i in snap.ids[chosen[maybe]]])
    passing: list[int] = []
    for k in maybe.tolist():
        lead = facts.get(int(snap.ids[chosen[k]]))
        if lead is None:
            continue
        current = _RANK[Stage(snap.stages[chosen[k]])]
        for rule, ok in zip(rules, numbers, strict=True):
            if ok[k] and all(lead_condition(c, lead) is not False for c in rule.conditions):
                if _RANK[rule.stage] > current:
                    passing.append(k)
                break
    return passing, facts


def _result(
    model: ScoringModel, scores: BulkScores, i: int, found: _Evidence, k: int, now: datetime
) -> ScoreResult:
    """What the per-lead engine would hand the stage rules (its contributions aside)."""
    evidence = int(found.evidence[k])
    total = float(scores.total[i])
    return ScoreResult(
        total=total,
        fit=float(scores.fit[i]),
        behaviour=float(scores.behaviour[i]),
        negative=float(scores.negative[i]),
        contributions=(),
        temperature=model.temperature.of(total),
        at=now,
        last_event_at={t: from_seconds(int(v[k])) for t, v in found.last.items() if v[k] >= 0},
        last_evidence_at=from_seconds(evidence) if evidence >= 0 else None,
    )


def plan(
    session: Session, model: ScoringModel, snap: Snapshot, scores: BulkScores, now: datetime
) -> list[tuple[int, Stage, Proposal]]:
    """The moves the model would make now: (lead id, current stage, proposal). Screened set-wise; the pure
    ``next_stage`` then decides for the leads that pass, with their last manual move, so a set-wise move is
    exactly the move the per-lead path would make."""
    chosen = candidates(model, snap, scores)
    if not len(chosen):
        return []
    at = seconds(now)
    found = _evidence(model, snap, chosen, at)
    passing, facts = _screen(session, model, snap, scores, chosen, found, at)
    ids = [int(snap.ids[chosen[k]]) for k in passing]
    manual = last_manual_moves(session, ids)
    moves: list[tuple[int, Stage, Proposal]] = []
    for k, lead_id in zip(passing, ids, strict=True):
        i = int(chosen[k])
        stage = Stage(snap.stages[i])
        result = _result(model, scores, i, found, k, now)
        proposal = next_stage(model, facts[lead_id], result, stage, manual.get(lead_id), now)
        if proposal is not None:
            moves.append((lead_id, stage, proposal))
    return moves


def apply(session: Session, model: ScoringModel, snap: Snapshot, scores: BulkScores, now: datetime) -> int:
    """Make the model's moves set-wise; the number of leads moved."""
    moves = plan(session, model, snap, scores, now)
    if not moves:
        return 0
    ids = [lead_id for lead_id, _, _ in moves]
    stmt = select(Lead.id, Lead.stage).where(one_of(session, Lead.id, ids))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    current = dict(session.execute(stmt).all())
    moves = [m for m in moves if current.get(m[0]) == m[1].value]
    actor = model_actor(model).label
    insert_many(session, StageChange, [_change(lead_id, p, actor) for lead_id, _, p in moves])
    update_leads(
        session,
        {"id": [m[0] for m in moves], "stage": [m[2].target.value for m in moves]},
        {"stage_changed_at": now, "updated_at": now, "lost_reason": None},
    )
    insert_many(session, AuditEntry, [_audit(lead_id, p, actor) for lead_id, _, p in moves])
    assignment.hand_off(session, [m[0] for m in moves], now)
    return len(moves)


def _change(lead_id: int, proposal: Proposal, actor: str) -> dict[str, Any]:
    """The move's row as ``stages`` writes it, signed as the model signs its moves (``model_actor``)."""
    return {**stages.move_row(lead_id, proposal.move), "actor_label": actor}


def _audit(lead_id: int, proposal: Proposal, actor: str) -> dict[str, Any]:
    move = proposal.move
    return audit.system_row(
        at=move.at,
        actor_label=actor,
        action="move_stage",
        entity="lead",
        entity_id=lead_id,
        changes=stages.audited(move),
    )
