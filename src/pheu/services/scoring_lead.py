"""One lead's score, at once: after each new event, and "why this score" for the lead page and the API.

A new event is scored by ``event_scoring.rescore`` (through ``events.add_event``) from plain columns;
``score_lead`` does the same from the loaded entity, and is what that path is tested against. Both run inside
the caller's unit of work (the event's own), so the event, the new score and a stage move the model makes
land together or not at all. The model moves a lead only forward from IQL or MQL, never a recruitment lead,
and not after a person's move until the lead shows new evidence (``pheu.score.stages.next_stage``); its move
is signed "model <name> v<version>" with the reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from pheu.auth.roles import Principal
from pheu.lifecycle import LeadKind, Stage
from pheu.score import Contribution, LeadFacts, ScoreResult, ScoringModel, next_stage, score
from pheu.score.stages import next_gaps
from pheu.services.leads import get_lead
from pheu.services.scoring_bant import opportunity_gaps
from pheu.services.scoring_facts import last_manual_move, lead_facts, lead_inputs, model_actor
from pheu.services.stages import move_by_model, move_stage
from pheu.store import Lead, StageChange
from pheu.store.leads import LEAD_SCORES
from pheu.store.scoring import SCORE_BEHAVIOUR, SCORE_FIT, SCORE_MODEL_ID, SCORED_AT, TEMPERATURE


@dataclass(frozen=True, slots=True)
class LeadScore:
    lead_id: int
    result: ScoreResult
    moved: StageChange | None


def whole_points(total: float) -> int:
    """The total as lists show and sort it: whole points, halves rounded up (the same in ``scoring_bulk``)."""
    return math.floor(total + 0.5)


_COLUMNS = ("score", SCORE_FIT, SCORE_BEHAVIOUR, TEMPERATURE, SCORED_AT, SCORE_MODEL_ID)
_STORE = (
    LEAD_SCORES.update()
    .where(LEAD_SCORES.c.lead_id == bindparam("of_lead"))
    .values({c: bindparam(c) for c in _COLUMNS})
)


def store_result(
    session: Session, lead: Lead | int, result: ScoreResult, model_row_id: int | None, now: datetime
) -> None:
    """Write the score with one prepared UPDATE. A lead this session holds (the one given, or one loaded
    earlier in the unit of work) is marked as holding those values, which keeps the ORM's bookkeeping (and its
    flush) off the path of every event while later reads of the entity still see the new score."""
    lead_id = lead if isinstance(lead, int) else lead.id
    values = dict(
        zip(
            _COLUMNS,
            (whole_points(result.total), result.fit, result.behaviour, result.temperature, now, model_row_id),
            strict=True,
        )
    )
    session.execute(_STORE, {"of_lead": lead_id, **values})
    loaded = lead if isinstance(lead, Lead) else session.identity_map.get(identity_key(Lead, lead_id))
    if loaded is not None:
        for name, value in values.items():
            set_committed_value(loaded, name, value)


def propose_and_move(
    session: Session, model: ScoringModel, lead: Lead, facts: LeadFacts, result: ScoreResult, now: datetime
) -> StageChange | None:
    """Apply the model's stage proposal, if any. The last manual move is only looked up when there is a
    proposal to check against it, which keeps the common case (nothing to move) at no extra query."""
    stage = Stage(lead.stage)
    proposal = next_stage(model, facts, result, stage, None, now)
    if proposal is None:
        return None
    manual = last_manual_move(session, lead.id)
    if manual is not None:
        proposal = next_stage(model, facts, result, stage, manual, now)
        if proposal is None:
            return None
    return move_stage(
        session, None, lead, proposal.target, reason=proposal.reason_vi, now=now, actor=model_actor(model)
    )


def move_if_proposed(
    session: Session,
    model: ScoringModel,
    lead_id: int,
    stage: str,
    facts: LeadFacts,
    result: ScoreResult,
    last_manual_move_at: datetime | None,
    now: datetime,
) -> StageChange | None:
    """``propose_and_move`` for a lead read as plain columns, with its last manual move read alongside: the
    proposal is checked on those values, and a move is written with Core (``stages.move_by_model``)."""
    proposal = next_stage(model, facts, result, Stage(stage), last_manual_move_at, now)
    if proposal is None:
        return None
    return move_by_model(
        session,
        lead_id,
        facts.kind,
        Stage(stage),
        proposal.target,
        reason=proposal.reason_vi,
        now=now,
        actor=model_actor(model),
    )


def score_lead(session: Session, lead_id: int, now: datetime) -> LeadScore | None:
    """Score one lead at ``now`` with the active model, store the total, parts and temperature, and move its
    stage when the model's thresholds and conditions are met. ``None`` when there is no such lead."""
    lead = session.get(Lead, lead_id)
    if lead is None:
        return None
    active, events = lead_inputs(session, lead.id, now)
    facts = lead_facts(lead)
    result = score(active.model, facts, events, now)
    store_result(session, lead, result, active.row_id, now)
    moved = propose_and_move(session, active.model, lead, facts, result, now)
    return LeadScore(lead.id, result, moved)


@dataclass(frozen=True, slots=True)
class Gap:
    code: str
    vi: str
    en: str


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a lead has its score now: every rule that contributed (points before and after decay), the parts,
    the temperature, and what would move it on (``next_stage`` and its ``gaps``; past SQL that is the BANT
    gate to Opportunity, which people decide). ``stored_score`` is what lists show until the next rescore."""

    lead_id: int
    stage: str
    model_id: int | None
    model: str
    at: datetime
    total: float
    fit: float
    behaviour: float
    negative: float
    temperature: str
    contributions: list[Contribution]
    next_stage: Stage | None
    gaps: list[Gap]
    stored_score: int
    scored_at: datetime | None


_PART_ORDER = {"fit": 0, "behaviour": 1, "negative": 2}


def explain(session: Session, principal: Principal, lead_id: int, now: datetime) -> Explanation:
    """ "Why this score" for a lead the principal may see (another rep's lead is a ``NotFound``)."""
    lead = get_lead(session, principal, lead_id)
    active, events = lead_inputs(session, lead.id, now)
    facts = lead_facts(lead)
    result = score(active.model, facts, events, now)
    stage = Stage(lead.stage)
    target, gaps = _what_next(session, active.model, lead, facts, result, stage, now)
    contributions = sorted(
        result.contributions, key=lambda c: (_PART_ORDER[c.part], -abs(c.points_after_decay), c.rule_id)
    )
    return Explanation(
        lead_id=lead.id,
        stage=lead.stage,
        model_id=active.row_id,
        model=active.model.label,
        at=now,
        total=result.total,
        fit=result.fit,
        behaviour=result.behaviour,
        negative=result.negative,
        temperature=result.temperature,
        contributions=contributions,
        next_stage=target,
        gaps=gaps,
        stored_score=lead.score,
        scored_at=lead.scored_at,
    )


def _what_next(
    session: Session,
    model: ScoringModel,
    lead: Lead,
    facts: LeadFacts,
    result: ScoreResult,
    stage: Stage,
    now: datetime,
) -> tuple[Stage | None, list[Gap]]:
    if facts.kind is LeadKind.SALES and stage is Stage.SQL:
        return Stage.OPPORTUNITY, [Gap(g.part, g.vi, g.en) for g in opportunity_gaps(session, lead, now)]
    target, gaps = next_gaps(model, facts, result, stage)
    return target, [Gap(g.code, g.vi, g.en) for g in gaps]
