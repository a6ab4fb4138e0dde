"""The lead lifecycle: which stages exist, which moves between them are allowed, and what a move records.

Pure: no database, no clock. The allowed moves are data (``SALES_MOVES`` and ``RECRUITMENT_MOVES``) so the
rules can be read, tested and shown in the UI from one place. A refused move raises ``IllegalMove`` with a
message code and parameters, which the shells translate for the person who asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class LeadKind(StrEnum):
    SALES = "sales"
    RECRUITMENT = "recruitment"


class Stage(StrEnum):
    IQL = "iql"
    MQL = "mql"
    SQL = "sql"
    OPPORTUNITY = "opportunity"
    CUSTOMER = "customer"
    LOST = "lost"
    DISQUALIFIED = "disqualified"
    # Recruitment has its own short pipeline: applicants never mix with the sales funnel.
    APPLICANT = "applicant"
    INTERVIEW = "interview"
    HIRED = "hired"
    REJECTED = "rejected"


class ActorType(StrEnum):
    USER = "user"
    API = "api"
    SYSTEM = "system"
    MODEL = "model"
    IMPORT = "import"


SALES_FUNNEL: tuple[Stage, ...] = (Stage.IQL, Stage.MQL, Stage.SQL, Stage.OPPORTUNITY, Stage.CUSTOMER)
SALES_STAGES: tuple[Stage, ...] = (*SALES_FUNNEL, Stage.LOST, Stage.DISQUALIFIED)
RECRUITMENT_STAGES: tuple[Stage, ...] = (Stage.APPLICANT, Stage.INTERVIEW, Stage.HIRED, Stage.REJECTED)

# Forward moves may skip levels (a demo request can make an IQL an SQL at once); backward moves are the
# "recycle to nurturing" path. Lost and Disqualified are side exits from every open stage.
SALES_MOVES: dict[Stage, frozenset[Stage]] = {
    Stage.IQL: frozenset({Stage.MQL, Stage.SQL, Stage.LOST, Stage.DISQUALIFIED}),
    Stage.MQL: frozenset({Stage.IQL, Stage.SQL, Stage.LOST, Stage.DISQUALIFIED}),
    Stage.SQL: frozenset({Stage.MQL, Stage.OPPORTUNITY, Stage.LOST, Stage.DISQUALIFIED}),
    # A stalled Opportunity can be recycled straight to nurturing (hand-off, issue 5).
    Stage.OPPORTUNITY: frozenset({Stage.SQL, Stage.MQL, Stage.CUSTOMER, Stage.LOST, Stage.DISQUALIFIED}),
    Stage.CUSTOMER: frozenset(),
    Stage.LOST: frozenset({Stage.IQL, Stage.MQL}),
    Stage.DISQUALIFIED: frozenset({Stage.IQL}),
}

RECRUITMENT_MOVES: dict[Stage, frozenset[Stage]] = {
    Stage.APPLICANT: frozenset({Stage.INTERVIEW, Stage.REJECTED}),
    Stage.INTERVIEW: frozenset({Stage.HIRED, Stage.REJECTED}),
    Stage.HIRED: frozenset(),
    Stage.REJECTED: frozenset({Stage.APPLICANT}),
}

# Leaving through a side door must say why, or the funnel reports cannot explain their losses.
REASON_REQUIRED: frozenset[Stage] = frozenset({Stage.LOST, Stage.DISQUALIFIED, Stage.REJECTED})


class IllegalMove(ValueError):
    """A move the lifecycle does not allow; ``code`` names the message, ``params`` fill it in."""

    def __init__(self, code: str, message: str, **params: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.params = params


@dataclass(frozen=True, slots=True)
class Actor:
    type: ActorType
    label: str
    user_id: int | None = None


@dataclass(frozen=True, slots=True)
class StageMove:
    from_stage: Stage | None
    to_stage: Stage
    at: datetime
    actor: Actor
    reason: str


def initial_stage(kind: LeadKind) -> Stage:
    return Stage.APPLICANT if kind is LeadKind.RECRUITMENT else Stage.IQL


def stages_for(kind: LeadKind) -> tuple[Stage, ...]:
    return RECRUITMENT_STAGES if kind is LeadKind.RECRUITMENT else SALES_STAGES


def allowed_moves(kind: LeadKind, current: Stage) -> frozenset[Stage]:
    moves = RECRUITMENT_MOVES if kind is LeadKind.RECRUITMENT else SALES_MOVES
    return moves.get(current, frozenset())


def is_open(stage: Stage) -> bool:
    """Open leads are still being worked; closed ones only move again by an explicit recycle."""
    return stage not in {Stage.CUSTOMER, Stage.LOST, Stage.DISQUALIFIED, Stage.HIRED, Stage.REJECTED}


def plan_move(
    kind: LeadKind, current: Stage, target: Stage, *, at: datetime, actor: Actor, reason: str = ""
) -> StageMove:
    """Check a move against the rules and return the record to store, or raise ``IllegalMove``."""
    reason = reason.strip()
    if target not in stages_for(kind):
        if kind is LeadKind.RECRUITMENT:
            raise IllegalMove(
                "recruitment_not_sales",
                f"A recruitment lead cannot enter the sales stage '{target}'.",
                target=target.value,
            )
        raise IllegalMove(
            "sales_not_recruitment",
            f"A sales lead cannot enter the recruitment stage '{target}'.",
            target=target.value,
        )
    if target == current:
        raise IllegalMove("same_stage", f"The lead is already in stage '{current}'.", current=current.value)
    allowed = allowed_moves(kind, current)
    if target not in allowed:
        options = ", ".join(sorted(s.value for s in allowed)) or "none"
        raise IllegalMove(
            "move_not_allowed",
            f"Cannot move from '{current}' to '{target}'. Allowed from '{current}': {options}.",
            current=current.value,
            target=target.value,
            allowed=options,
        )
    if target in REASON_REQUIRED and not reason:
        raise IllegalMove("reason_required", f"Moving to '{target}' needs a reason.", target=target.value)
    return StageMove(from_stage=current, to_stage=target, at=at, actor=actor, reason=reason)
