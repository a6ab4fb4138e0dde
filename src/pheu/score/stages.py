"""Which stage the model would move a lead to, why, and what the lead still lacks for the next one.

The model only moves leads forward through the part of the funnel marketing owns: IQL → MQL → SQL (IQL → SQL
in one step when it is ready for both). Opportunity and Customer are decided by people (BANT, a sale), side
exits too, and recruitment leads are never touched.

A person's move wins. When a person (a user, or an API key acting for one) last moved the lead at time M,
the model proposes nothing until the lead shows new evidence: an event strictly after M (to the second) that
matched one of the model's positive behaviour rules, counted or over its cap. Penalties, fit changes and old
points never count as new evidence, so a lead a salesperson sent back to nurturing stays there until it
engages again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from pheu.lifecycle import Actor, ActorType, LeadKind, Stage, StageMove, plan_move
from pheu.score import texts
from pheu.score.engine import ScoreResult
from pheu.score.facts import DAY_SECONDS, LeadFacts, seconds
from pheu.score.model import Condition, ScoringModel, StageRule

_RANK: Final = {Stage.IQL: 0, Stage.MQL: 1, Stage.SQL: 2}
_NEXT: Final = {Stage.IQL: Stage.MQL, Stage.MQL: Stage.SQL}
# A contact detail cleaning found unusable does not count as known.
_BAD_EMAIL: Final = frozenset({"email_invalid", "email_fake"})
_BAD_PHONE: Final = frozenset({"phone_invalid", "phone_fake"})


@dataclass(frozen=True, slots=True)
class Gap:
    """One thing a lead lacks for a stage; ``code`` is ``points`` or the condition's kind."""

    code: str
    vi: str
    en: str

    def text(self, lang: str = "vi") -> str:
        return self.en if lang == "en" else self.vi


@dataclass(frozen=True, slots=True)
class Proposal:
    """A move the model would make; ``move`` is checked by the lifecycle and signed by the model, its reason
    in Vietnamese (the stored language of reasons), ``reason_en`` for English readers."""

    target: Stage
    reason_vi: str
    reason_en: str
    move: StageMove


def has_email(lead: LeadFacts) -> bool:
    return lead.has("email") and not (lead.flags & _BAD_EMAIL)


def has_phone(lead: LeadFacts) -> bool:
    return lead.has("phone") and not (lead.flags & _BAD_PHONE)


def lead_condition(cond: Condition, lead: LeadFacts) -> bool | None:
    """Whether a condition that depends on the lead alone holds; ``None`` for those that need a score."""
    if cond.kind == "has_email_or_phone":
        return has_email(lead) or has_phone(lead)
    if cond.kind == "has_email":
        return has_email(lead)
    if cond.kind == "has_phone":
        return has_phone(lead)
    if cond.kind == "has_consent":
        return any(lead.consented(p) for p in cond.purposes)
    if cond.kind == "no_flag":
        return cond.flag not in lead.flags
    return None


def condition_met(cond: Condition, lead: LeadFacts, result: ScoreResult) -> bool:
    alone = lead_condition(cond, lead)
    if alone is not None:
        return alone
    if cond.kind == "min_fit":
        return result.fit >= (cond.value or 0)
    since = None if cond.within_days is None else seconds(result.at) - round(cond.within_days * DAY_SECONDS)
    return any(
        (last := result.last_event_at.get(kind)) is not None and (since is None or seconds(last) >= since)
        for kind in cond.event_types
    )


def gaps(rule: StageRule, lead: LeadFacts, result: ScoreResult) -> list[Gap]:
    """Everything ``lead`` lacks for ``rule``'s stage, the points first; empty when it qualifies."""
    found: list[Gap] = []
    if result.total < rule.min_score:
        found.append(
            Gap(
                "points",
                texts.points_missing(result.total, rule.min_score, "vi"),
                texts.points_missing(result.total, rule.min_score, "en"),
            )
        )
    for cond in rule.conditions:
        if not condition_met(cond, lead, result):
            found.append(
                Gap(cond.kind, texts.missing(cond, result.fit, "vi"), texts.missing(cond, result.fit, "en"))
            )
    return found


def _reason(model: ScoringModel, rule: StageRule, result: ScoreResult, lang: str) -> str:
    parts = [texts.points_met(result.total, rule.min_score, lang)]
    parts.extend(texts.met(cond, result.fit, lang) for cond in rule.conditions)
    head = f"Mô hình {model.label}" if lang != "en" else f"Model {model.label}"
    return f"{head}: " + "; ".join(parts)


def _new_evidence(result: ScoreResult, last_manual_move_at: datetime | None) -> bool:
    if last_manual_move_at is None:
        return True
    evidence = result.last_evidence_at
    return evidence is not None and seconds(evidence) > seconds(last_manual_move_at)


def next_stage(
    model: ScoringModel,
    lead: LeadFacts,
    result: ScoreResult,
    current: Stage,
    last_manual_move_at: datetime | None,
    at: datetime,
) -> Proposal | None:
    """The forward move the model would make now, or ``None``.

    ``last_manual_move_at`` is the time of the lead's latest stage move made by a person (actor ``user`` or
    ``api``; ``None`` if there was none). The record of the lead's creation is not a move: passing it would
    make the form filled in at that same second "old" evidence. ``result`` should be the score at ``at``.
    """
    if lead.kind is LeadKind.RECRUITMENT or current not in (Stage.IQL, Stage.MQL):
        return None
    if not _new_evidence(result, last_manual_move_at):
        return None
    target: StageRule | None = None
    for stage in (Stage.SQL, Stage.MQL):
        rule = model.stage_rule(stage)
        if rule is not None and not gaps(rule, lead, result):
            target = rule
            break
    if target is None or _RANK[target.stage] <= _RANK[current]:
        return None
    reason_vi = _reason(model, target, result, "vi")
    actor = Actor(ActorType.MODEL, model.label)
    move = plan_move(lead.kind, current, target.stage, at=at, actor=actor, reason=reason_vi)
    return Proposal(target.stage, reason_vi, _reason(model, target, result, "en"), move)


def next_gaps(
    model: ScoringModel, lead: LeadFacts, result: ScoreResult, current: Stage
) -> tuple[Stage | None, list[Gap]]:
    """The next stage the model can move the lead to and what it lacks for it (``None, []`` past SQL)."""
    stage = _NEXT.get(current) if lead.kind is LeadKind.SALES else None
    rule = model.stage_rule(stage) if stage is not None else None
    if stage is None or rule is None:
        return None, []
    return stage, gaps(rule, lead, result)


def what_next(
    model: ScoringModel, lead: LeadFacts, result: ScoreResult, current: Stage, lang: str = "vi"
) -> list[str]:
    """What is missing for the next stage, as sentences ("cần thêm 12 điểm…", "cần đồng ý nhận email");
    empty when the lead already qualifies or the next stage is not the model's to give."""
    return [gap.text(lang) for gap in next_gaps(model, lead, result, current)[1]]
