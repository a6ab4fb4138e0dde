"""Merging two leads a person judged to be one, and undoing it.

A merge happens only when a person says so (``pheu.services.duplicates`` proposes the pairs). It keeps
everything it needs to be undone: the kept lead's old values, the dropped lead's whole row, and the ids of
every row moved from one lead to the other, so ``undo_merge`` can put both leads back as they were.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.orm import Session

from pheu.auth.roles import Principal
from pheu.clean.search import fold, phone_search_forms, search_key
from pheu.services import audit
from pheu.services.duplicates import (
    CHOOSABLE,
    UNITED,
    default_choices,
    find_candidate,
    insert_ignoring_known_pairs,
    lead_row,
    require_reviewer,
    same_value,
)
from pheu.services.errors import Conflict, Invalid, NotFound
from pheu.store import (
    Assignment,
    Consent,
    DuplicateCandidate,
    Event,
    Lead,
    LeadBant,
    LeadMerge,
    Notification,
    RejectedRecord,
    StageChange,
    Task,
)
from pheu.store.base import UTCDateTime
from pheu.store.leads import LEAD_SCORES, LEADS, SCORE_COLUMNS

# Rows that belong to a lead and follow it when it is merged into another, with the id list kept for undo.
MOVED: Final[dict[str, Any]] = {
    "events": Event,
    "stage_changes": StageChange,
    "rejected": RejectedRecord,
    "merges": LeadMerge,
    # Hand-off work follows the person: open calls, who had the lead and what they were told.
    "tasks": Task,
    "assignments": Assignment,
    "notifications": Notification,
}
# One BANT per lead: the dropped lead's moves over only when the kept lead has none (else the kept one stands).
_MOVED_IF_FREE: Final[dict[str, Any]] = {"bant": LeadBant}
_WON: Final = ("won_amount_minor", "won_currency")
_CHUNK: Final = 5000


@dataclass(frozen=True, slots=True)
class MergeView:
    merge: LeadMerge
    kept_name: str
    dropped_name: str | None
    can_undo: bool


@dataclass(frozen=True, slots=True)
class UndoResult:
    merge: LeadMerge
    conflicts: list[str]  # fields changed again since the merge, left as they are now


def merge_candidate(
    session: Session,
    principal: Principal,
    candidate_id: int,
    keep_id: int,
    now: datetime,
    choices: Mapping[str, int] | None = None,
) -> LeadMerge:
    """Merge an open pair, keeping ``keep_id`` (one of the two)."""
    require_reviewer(principal)
    candidate = find_candidate(session, candidate_id, open_only=True)
    pair = (candidate.lead_a_id, candidate.lead_b_id)
    if keep_id not in pair:
        raise Invalid(f"Lead {keep_id} is not one of this pair {pair}.", code="not_in_pair", field="keep")
    drop_id = pair[1] if keep_id == pair[0] else pair[0]
    return merge_leads(session, principal, keep_id, drop_id, now, choices)


def merge_leads(
    session: Session,
    principal: Principal,
    keep_id: int,
    drop_id: int,
    now: datetime,
    choices: Mapping[str, int] | None = None,
) -> LeadMerge:
    """Fold lead ``drop_id`` into ``keep_id``: fields as chosen (``choices`` maps a field to the id of the lead
    whose value to keep; the rest follow ``default_choices``), lists united, and the dropped lead's events,
    stage moves, consents (the newer answer per purpose wins), rejected records and merge history moved to the
    kept lead. The dropped lead is then deleted; the returned ``LeadMerge`` holds all it takes to undo."""
    require_reviewer(principal)
    if keep_id == drop_id:
        raise Invalid("A lead cannot be merged into itself.", code="same_lead", field="keep")
    keep, drop = lead_row(session, keep_id), lead_row(session, drop_id)
    if keep["kind"] != drop["kind"]:
        raise Invalid("A job applicant and a sales lead cannot be merged.", code="kinds_differ")
    wanted = default_choices(keep, drop) | {
        k: v for k, v in (choices or {}).items() if k in CHOOSABLE and v in (keep_id, drop_id)
    }
    values = {name: (drop if wanted[name] == drop_id else keep)[name] for name in CHOOSABLE}
    values["interests"] = _united(keep["interests"], drop["interests"])
    values["flags"] = sorted({*(keep["flags"] or []), *(drop["flags"] or [])})
    if keep["won_amount_minor"] is None and drop["won_amount_minor"] is not None:  # a won deal is never lost
        values["won_amount_minor"], values["won_currency"] = drop["won_amount_minor"], drop["won_currency"]
    changes = {k: [keep[k], v] for k, v in values.items() if not same_value(keep[k], v)}
    snapshot: dict[str, Any] = {k: keep[k] for k in changes}
    snapshot |= {"_updated_at": keep["updated_at"].isoformat(), "_dropped": _jsonable_lead(drop)}
    snapshot["_consents"] = _merge_consents(session, keep_id, drop_id)
    snapshot["_candidates"] = _candidates_of(session, drop_id)
    snapshot["_moved"] = {name: _move(session, model, drop_id, keep_id) for name, model in MOVED.items()}
    for name, model in _MOVED_IF_FREE.items():
        if session.scalar(select(model.id).where(model.lead_id == keep_id)) is None:
            snapshot["_moved"][name] = _move(session, model, drop_id, keep_id)
    session.execute(delete(LEADS).where(LEADS.c.id == drop_id))  # its score row goes with it (cascade)
    _write_lead(session, keep_id, {**keep, **values}, now)
    merge = LeadMerge(
        lead_id=keep_id,
        merged_lead_id=drop_id,
        source="review",
        matched_on="person",
        at=now,
        actor_label=principal.label,
        changes=changes,
        snapshot=snapshot,
    )
    session.add(merge)
    session.flush()
    audit.record(
        session,
        at=now,
        actor=principal,
        action="merge",
        entity="lead",
        entity_id=keep_id,
        changes={"merge_id": merge.id, "merged_lead_id": drop_id, "fields": changes},
    )
    return merge


def undo_merge(session: Session, principal: Principal, merge_id: int, now: datetime) -> UndoResult:
    """Undo a merge, newest first per lead. A two-lead merge brings the dropped lead back with its own rows;
    the kept lead's fields go back to their old values unless they were changed again since (those are
    listed in ``conflicts`` and left alone)."""
    require_reviewer(principal)
    merge = session.get(LeadMerge, merge_id)
    if merge is None:
        raise NotFound(f"No merge with id {merge_id}.")
    if merge.reverted_at is not None:
        raise Conflict(f"Merge {merge_id} was already undone.", code="already_undone")
    later = session.scalar(
        select(func.min(LeadMerge.id)).where(
            LeadMerge.lead_id == merge.lead_id,
            LeadMerge.merged_lead_id.is_not(None),
            LeadMerge.reverted_at.is_(None),
            LeadMerge.id > merge.id,
        )
    )
    if later is not None:
        raise Conflict(
            f"Lead {merge.lead_id} was merged again later: undo merge {later} first.", code="merged_again"
        )
    keep = lead_row(session, merge.lead_id)
    if merge.merged_lead_id is not None:
        _restore_dropped(session, merge)
    conflicts = _restore_fields(session, merge, keep, now)
    merge.reverted_at = now
    audit.record(
        session,
        at=now,
        actor=principal,
        action="unmerge",
        entity="lead",
        entity_id=merge.lead_id,
        changes={"merge_id": merge.id, "merged_lead_id": merge.merged_lead_id, "conflicts": conflicts},
    )
    return UndoResult(merge, conflicts)


def history(session: Session, principal: Principal, *, limit: int = 50) -> list[MergeView]:
    """Recent merges, automatic and reviewed, newest first, each saying whether it can be undone now."""
    require_reviewer(principal)
    rows = session.execute(
        select(LeadMerge, Lead.full_name, Lead.email, Lead.phone)
        .join(Lead, Lead.id == LeadMerge.lead_id)
        .order_by(LeadMerge.id.desc())
        .limit(limit)
    )
    views: list[MergeView] = []
    absorbed: set[int] = set()  # leads with a newer two-lead merge still in place
    for merge, name, email, phone in rows:
        dropped = merge.snapshot.get("_dropped") if merge.merged_lead_id is not None else None
        views.append(
            MergeView(
                merge,
                name or email or phone or "",
                (dropped.get("full_name") or dropped.get("email") or dropped.get("phone") or "")
                if dropped
                else None,
                merge.reverted_at is None and merge.lead_id not in absorbed,
            )
        )
        if merge.merged_lead_id is not None and merge.reverted_at is None:
            absorbed.add(merge.lead_id)
    return views


def _write_lead(session: Session, lead_id: int, state: Mapping[str, Any], now: datetime) -> None:
    session.execute(
        update(LEADS)
        .where(LEADS.c.id == lead_id)
        .values(
            **{k: state[k] for k in (*CHOOSABLE, *UNITED, *_WON)},
            updated_at=now,
            search_key=search_key(
                state["full_name"], state["email"], phone_search_forms(state["phone"]), state["company"]
            ),
            name_key=fold(state["full_name"] or state["email"] or ""),
        )
    )


def _move(session: Session, model: Any, from_id: int, to_id: int) -> list[int]:
    stmt = update(model).where(model.lead_id == from_id).values(lead_id=to_id).returning(model.id)
    return sorted(int(i) for i in session.scalars(stmt))


def _merge_consents(session: Session, keep_id: int, drop_id: int) -> list[dict[str, Any]]:
    """Apply the newer answer per purpose to the kept lead; return both leads' consent rows as they were."""
    rows = [
        dict(r)
        for r in session.execute(
            select(Consent.__table__).where(Consent.lead_id.in_((keep_id, drop_id)))
        ).mappings()
    ]
    kept = {r["purpose"]: r for r in rows if r["lead_id"] == keep_id}
    for row in (r for r in rows if r["lead_id"] == drop_id):
        mine = kept.get(row["purpose"])
        if mine is None:
            session.execute(update(Consent).where(Consent.id == row["id"]).values(lead_id=keep_id))
        elif row["at"] > mine["at"]:
            answer = {k: row[k] for k in ("granted", "at", "source", "text")}
            session.execute(update(Consent).where(Consent.id == mine["id"]).values(**answer))
    return [_jsonable(r, Consent.__table__) for r in rows]


def _candidates_of(session: Session, lead_id: int) -> list[dict[str, Any]]:
    table = DuplicateCandidate.__table__
    stmt = select(table).where((table.c.lead_a_id == lead_id) | (table.c.lead_b_id == lead_id))
    return [_jsonable(dict(r), table) for r in session.execute(stmt).mappings()]


def _restore_dropped(session: Session, merge: LeadMerge) -> None:
    snapshot, keep_id, drop_id = merge.snapshot, merge.lead_id, int(merge.merged_lead_id or 0)
    if session.get(Lead, drop_id) is not None:
        raise Conflict(
            f"Lead id {drop_id} is in use again; the merged lead cannot come back.", code="id_reused"
        )
    dropped = snapshot["_dropped"]  # a snapshot from before migration 0009 holds the score columns too
    session.execute(insert(LEADS).values(**_from_json(dropped, LEADS)))
    scores = _from_json(dropped, LEAD_SCORES)
    session.execute(
        insert(LEAD_SCORES).values(**scores | {"lead_id": drop_id, "score": scores["score"] or 0})
    )
    for name, model in {**MOVED, **_MOVED_IF_FREE}.items():
        for ids in _chunks(snapshot["_moved"].get(name, [])):
            session.execute(
                update(model).where(model.id.in_(ids), model.lead_id == keep_id).values(lead_id=drop_id)
            )
    consents = [_from_json(r, Consent.__table__) for r in snapshot["_consents"]]
    session.execute(delete(Consent).where(Consent.id.in_([c["id"] for c in consents])))
    if consents:
        session.execute(insert(Consent), consents)
    existing = set(session.scalars(select(Lead.id).where(Lead.id.in_(_pair_leads(snapshot["_candidates"])))))
    candidates = [
        _from_json(c, DuplicateCandidate.__table__)
        for c in snapshot["_candidates"]
        if {c["lead_a_id"], c["lead_b_id"]} <= existing
    ]
    if candidates:
        session.execute(insert_ignoring_known_pairs(session), candidates)


def _restore_fields(session: Session, merge: LeadMerge, keep: dict[str, Any], now: datetime) -> list[str]:
    columns = LEADS.columns
    restore: dict[str, Any] = {}
    conflicts: list[str] = []
    for name, (_old, new) in merge.changes.items():
        if name not in columns or name not in merge.snapshot:
            continue
        if same_value(keep[name], new):
            restore[name] = merge.snapshot[name]
        else:
            conflicts.append(name)
    untouched = not conflicts and keep["updated_at"] == merge.at and "_updated_at" in merge.snapshot
    updated_at = datetime.fromisoformat(merge.snapshot["_updated_at"]) if untouched else now
    _write_lead(session, merge.lead_id, {**keep, **restore}, updated_at)
    return sorted(conflicts)


def _pair_leads(candidates: Sequence[Mapping[str, Any]]) -> set[int]:
    return {int(c[k]) for c in candidates for k in ("lead_a_id", "lead_b_id")}


def _chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield list(ids[start : start + _CHUNK])


def _jsonable(row: Mapping[str, Any], table: Table | Any) -> dict[str, Any]:
    return {c.name: _json_value(row[c.name]) for c in table.columns}


def _jsonable_lead(row: Mapping[str, Any]) -> dict[str, Any]:
    """A lead's ``leads`` columns and its score columns, as ``duplicates.lead_row`` reads them."""
    return _jsonable(row, LEADS) | {name: _json_value(row[name]) for name in SCORE_COLUMNS}


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _from_json(data: Mapping[str, Any], table: Table | Any) -> dict[str, Any]:
    """A row back from its snapshot: ISO strings become aware datetimes again where the column holds a time."""
    out: dict[str, Any] = {}
    for column in table.columns:
        value = data.get(column.name)
        if isinstance(column.type, UTCDateTime) and isinstance(value, str):
            value = datetime.fromisoformat(value)
        out[column.name] = value
    return out


def _united(a: Sequence[Any] | None, b: Sequence[Any] | None) -> list[Any]:
    out = list(a or [])
    out += [item for item in (b or []) if item not in out]
    return out
