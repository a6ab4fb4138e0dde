"""Likely duplicates: finding leads that look like one person, for a person to review.

Look-alikes (fuzzy name + company, a phone one digit off…) are never merged automatically: ``scan`` only
proposes pairs. A person then compares the two leads side by side and merges them (``pheu.services.merges``)
or dismisses the pair. This module holds what both halves share: who may review, the fields a merge lets a
person choose, and the merge policy the side-by-side view shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from pheu.auth.roles import Principal, Role
from pheu.capture.intake import MERGEABLE, ORIGIN_FIELDS
from pheu.clean.dedupe import DuplicatePair, PersonKey, likely_duplicates
from pheu.services import audit
from pheu.services.errors import Conflict, Forbidden, NotFound
from pheu.store import Consent, DuplicateCandidate, Event, Lead, StageChange
from pheu.store.leads import LEAD_SCORES, LEADS, SCORE_COLUMNS

REVIEWERS: Final = frozenset({Role.ADMIN, Role.MARKETING, Role.SALES_MANAGER})
# Fields a person picks from one lead or the other; list fields are always united.
CHOOSABLE: Final = (*(f for f in MERGEABLE if f != "interests"), "owner_id")
UNITED: Final = ("interests", "flags")


def require_reviewer(principal: Principal) -> None:
    """Reviewing duplicates and rejected records sees every lead, so sales reps are kept out."""
    if principal.role not in REVIEWERS:
        raise Forbidden(
            "Only an admin, a marketer or a sales manager can review duplicates and rejected records."
        )


@dataclass(frozen=True, slots=True)
class ScanResult:
    leads: int
    pairs: int
    added: int


@dataclass(frozen=True, slots=True)
class CandidateView:
    candidate: DuplicateCandidate
    a: Lead
    b: Lead


@dataclass(frozen=True, slots=True)
class Side:
    lead: Lead
    events: int
    stage_changes: int
    consents: int


@dataclass(frozen=True, slots=True)
class FieldRow:
    """One line of the side-by-side view; ``default`` is the id of the lead whose value the merge policy takes
    (``None`` for united lists)."""

    name: str
    a: Any
    b: Any
    differs: bool
    default: int | None


@dataclass(frozen=True, slots=True)
class Comparison:
    candidate: DuplicateCandidate
    a: Side
    b: Side
    rows: list[FieldRow]
    keep: int  # the lead suggested to survive: the first touch, which holds the longer history


def scan(
    session: Session, now: datetime, principal: Principal | None = None, threshold: int = 90
) -> ScanResult:
    """Compare every lead with every other of its pipeline and store new likely pairs as ``open`` candidates.
    Pairs already stored (open, dismissed or decided) are never proposed again."""
    if principal is not None:
        require_reviewer(principal)
    by_kind: dict[str, list[PersonKey]] = {}
    rows = session.execute(select(Lead.id, Lead.kind, Lead.full_name, Lead.company, Lead.email, Lead.phone))
    for lead_id, kind, name, company, email, phone in rows:
        by_kind.setdefault(kind, []).append(PersonKey(lead_id, name, company, email, phone))
    pairs = [pair for people in by_kind.values() for pair in likely_duplicates(people, threshold)]
    pairs_stored = select(DuplicateCandidate.lead_a_id, DuplicateCandidate.lead_b_id)
    known = {(a, b) for a, b in session.execute(pairs_stored)}
    new = [_candidate_row(p, now) for p in pairs if (p.a_id, p.b_id) not in known]
    if new:
        session.execute(insert_ignoring_known_pairs(session), new)
    return ScanResult(sum(len(v) for v in by_kind.values()), len(pairs), len(new))


def open_candidates(
    session: Session, principal: Principal, *, limit: int = 50, offset: int = 0
) -> tuple[list[CandidateView], int]:
    """Open pairs, most alike first, with the total count."""
    require_reviewer(principal)
    is_open = DuplicateCandidate.status == "open"
    total = session.scalar(select(func.count()).select_from(DuplicateCandidate).where(is_open)) or 0
    found = list(
        session.scalars(
            select(DuplicateCandidate)
            .where(is_open)
            .order_by(DuplicateCandidate.score.desc(), DuplicateCandidate.id)
            .limit(limit)
            .offset(offset)
        )
    )
    ids = {i for c in found for i in (c.lead_a_id, c.lead_b_id)}
    leads = {lead.id: lead for lead in session.scalars(select(Lead).where(Lead.id.in_(ids))).unique()}
    return [CandidateView(c, leads[c.lead_a_id], leads[c.lead_b_id]) for c in found], int(total)


def compare(session: Session, principal: Principal, candidate_id: int) -> Comparison:
    """Both leads of a pair, every field side by side, with what the merge policy would take."""
    require_reviewer(principal)
    candidate = find_candidate(session, candidate_id)
    a, b = _lead(session, candidate.lead_a_id), _lead(session, candidate.lead_b_id)
    row_a, row_b = lead_row(session, a.id), lead_row(session, b.id)
    defaults = default_choices(row_a, row_b)
    rows = [
        FieldRow(name, row_a[name], row_b[name], not same_value(row_a[name], row_b[name]), defaults.get(name))
        for name in (*CHOOSABLE, *UNITED)
    ]
    first = a if (a.created_at, a.id) <= (b.created_at, b.id) else b
    return Comparison(candidate, _side(session, a), _side(session, b), rows, first.id)


def default_choices(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, int]:
    """The merge policy, per field, as the id of the lead whose value is kept: a blank is filled from the
    other lead, otherwise the most recently updated lead wins — except where a lead came from (channel,
    campaign, UTM…), which stays with the first touch, as in intake."""
    newer, older = (b, a) if b["updated_at"] > a["updated_at"] else (a, b)
    first, later = (b, a) if (b["created_at"], b["id"]) < (a["created_at"], a["id"]) else (a, b)
    choices: dict[str, int] = {}
    for name in CHOOSABLE:
        preferred, other = (first, later) if name in ORIGIN_FIELDS else (newer, older)
        take = other if _blank(preferred[name]) and not _blank(other[name]) else preferred
        choices[name] = int(take["id"])
    return choices


def dismiss(session: Session, principal: Principal, candidate_id: int, now: datetime) -> DuplicateCandidate:
    """Not the same person: the pair is closed and a later scan will not propose it again."""
    require_reviewer(principal)
    candidate = find_candidate(session, candidate_id, open_only=True)
    candidate.status, candidate.decided_at, candidate.decided_by = "dismissed", now, principal.user_id
    audit.record(
        session,
        at=now,
        actor=principal,
        action="dismiss",
        entity="duplicate_candidate",
        entity_id=candidate.id,
        changes={"leads": [candidate.lead_a_id, candidate.lead_b_id]},
    )
    return candidate


def insert_ignoring_known_pairs(session: Session) -> Any:
    """Two scans at once must not fail on the pair they both found: the unique pair constraint arbitrates."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(DuplicateCandidate).on_conflict_do_nothing(
            index_elements=["lead_a_id", "lead_b_id"]
        )
    if dialect == "sqlite":
        return sqlite.insert(DuplicateCandidate).on_conflict_do_nothing()
    return insert(DuplicateCandidate)


def find_candidate(session: Session, candidate_id: int, *, open_only: bool = False) -> DuplicateCandidate:
    """The pair behind ``candidate_id``; ``NotFound`` if there is none, ``Conflict`` (code
    ``already_decided``) when ``open_only`` and it was already merged or dismissed."""
    candidate = session.get(DuplicateCandidate, candidate_id)
    if candidate is None:
        raise NotFound(f"No duplicate candidate with id {candidate_id}.")
    if open_only and candidate.status != "open":
        raise Conflict(f"This pair was already decided ({candidate.status}).", code="already_decided")
    return candidate


def lead_row(session: Session, lead_id: int) -> dict[str, Any]:
    """A lead as its plain column values (no relationships loaded), or ``NotFound``."""
    columns = (*LEADS.c, *(LEAD_SCORES.c[name] for name in SCORE_COLUMNS))
    stmt = select(*columns).select_from(Lead.__table__).where(LEADS.c.id == lead_id)
    found = session.execute(stmt).mappings().first()
    if found is None:
        raise NotFound(f"No lead with id {lead_id}.")
    return dict(found)


def same_value(a: Any, b: Any) -> bool:
    """Whether two field values count as equal for a merge: blanks (None, "", [], {}) are all alike."""
    return (a or None) == (b or None) if not isinstance(a, int | float) else a == b


def _candidate_row(pair: DuplicatePair, now: datetime) -> dict[str, Any]:
    reasons = list(pair.reasons)
    return {
        "lead_a_id": pair.a_id,
        "lead_b_id": pair.b_id,
        "score": pair.score,
        "reasons": reasons,
        "status": "open",
        "created_at": now,
    }


def _lead(session: Session, lead_id: int) -> Lead:
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise NotFound(f"No lead with id {lead_id}.")
    return lead


def _side(session: Session, lead: Lead) -> Side:
    def count(model: type[Event] | type[StageChange] | type[Consent]) -> int:
        return int(
            session.scalar(select(func.count()).select_from(model).where(model.lead_id == lead.id)) or 0
        )

    return Side(lead, count(Event), count(StageChange), count(Consent))


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | dict) and not value)
