"""Rejected records: rows and payloads that identified no one, kept with every reason so a person can fix and
re-submit them, discard them, or take them away as a spreadsheet.

A fix goes through intake again (``capture_many``), exactly like a fresh submission: the record becomes
``fixed`` with the lead it created or merged into, or stays ``open`` with the new reasons.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, TypeVar

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import Select, delete, func, insert, select
from sqlalchemy.orm import Session

from pheu.auth.roles import Principal
from pheu.capture.intake import CaptureContext, capture_many
from pheu.capture.record import LEAD_FIELDS, ConsentGiven, IncomingLead
from pheu.lifecycle import ActorType
from pheu.services import audit
from pheu.services.duplicates import require_reviewer
from pheu.services.errors import Conflict, NotFound
from pheu.services.schemas import ConsentIn
from pheu.store import Import, RejectedRecord

STATUSES: Final = ("open", "fixed", "discarded")
FIX_EVENT: Final = "record_fixed"
ANSWER_PREFIX: Final = "answer:"
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
_CONSENTS = TypeAdapter(list[ConsentIn])
_S = TypeVar("_S", bound="Select[*tuple[Any, ...]]")


@dataclass(frozen=True, slots=True)
class RejectedFilter:
    source: str | None = None
    import_id: int | None = None
    status: str | None = "open"  # None: every status


@dataclass(frozen=True, slots=True)
class RejectedRow:
    record: RejectedRecord
    import_name: str | None


@dataclass(frozen=True, slots=True)
class RejectedPage:
    items: list[RejectedRow]
    total: int


@dataclass(frozen=True, slots=True)
class FixResult:
    """``status`` is ``fixed`` (``lead_id`` set) or ``open`` (``reasons`` says what is still wrong)."""

    status: str
    lead_id: int | None
    reasons: list[dict[str, Any]]


def keep(
    session: Session, rows: Sequence[tuple[str, dict[str, Any], list[dict[str, Any]]]], now: datetime
) -> list[int]:
    """Store records refused before intake (say, an API item that is not a lead object) as
    (source, raw, reasons); returns their ids in order. Raw values are kept as text so they can be edited."""
    if not rows:
        return []
    values = [
        {
            "source": source[:80],
            "import_id": None,
            "line": None,
            "raw": {str(k): as_text(v) for k, v in raw.items()},
            "reasons": reasons,
            "status": "open",
            "lead_id": None,
            "created_at": now,
            "resolved_at": None,
        }
        for source, raw, reasons in rows
    ]
    stmt = insert(RejectedRecord).returning(RejectedRecord.id, sort_by_parameter_order=True)
    return [row[0] for row in session.execute(stmt, values)]


def as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return "" if value is None else json.dumps(value, ensure_ascii=False)


def list_rejected(
    session: Session, principal: Principal, where: RejectedFilter, *, limit: int = 50, offset: int = 0
) -> RejectedPage:
    """Newest first."""
    require_reviewer(principal)
    stmt = _filtered(select(RejectedRecord, Import.filename).outerjoin(Import), where)
    rows = session.execute(
        stmt.order_by(RejectedRecord.created_at.desc(), RejectedRecord.id.desc()).limit(limit).offset(offset)
    )
    total = session.scalar(_filtered(select(func.count()).select_from(RejectedRecord), where)) or 0
    return RejectedPage([RejectedRow(record, name) for record, name in rows], int(total))


def sources(session: Session, principal: Principal) -> list[str]:
    require_reviewer(principal)
    return list(session.scalars(select(RejectedRecord.source).distinct().order_by(RejectedRecord.source)))


def imports(session: Session, principal: Principal) -> list[tuple[int, str]]:
    """Imports that left rejected rows, newest first, for the filter."""
    require_reviewer(principal)
    with_rows = select(RejectedRecord.import_id).where(RejectedRecord.import_id.is_not(None))
    rows = session.execute(
        select(Import.id, Import.filename).where(Import.id.in_(with_rows)).order_by(Import.id.desc())
    )
    return [(int(i), str(name)) for i, name in rows]


def get_rejected(session: Session, principal: Principal, record_id: int) -> RejectedRow:
    require_reviewer(principal)
    found = session.execute(
        select(RejectedRecord, Import.filename).outerjoin(Import).where(RejectedRecord.id == record_id)
    ).first()
    if found is None:
        raise NotFound(f"No rejected record with id {record_id}.")
    return RejectedRow(found[0], found[1])


def fix(
    session: Session, principal: Principal, record_id: int, edited: Mapping[str, str], now: datetime
) -> FixResult:
    """Re-submit a record with the values a person corrected; the values are kept on the record either way."""
    record = _open(session, principal, record_id)
    raw = {**record.raw, **{k: v.strip() for k, v in edited.items()}}
    ctx = _context(session, principal, record)
    outcome = capture_many(session, [_incoming(record, raw)], ctx, now, lines=[record.line])[0]
    record.raw = raw
    if outcome.status == "rejected":
        if outcome.rejected_id is not None:  # intake kept a copy; this record stays the one to fix
            session.execute(delete(RejectedRecord).where(RejectedRecord.id == outcome.rejected_id))
        record.reasons = outcome.problems
        result = FixResult("open", None, outcome.problems)
    else:
        record.status, record.lead_id, record.resolved_at = "fixed", outcome.lead_id, now
        result = FixResult("fixed", outcome.lead_id, [])
    audit.record(
        session,
        at=now,
        actor=principal,
        action="fix",
        entity="rejected_record",
        entity_id=record.id,
        changes={"outcome": outcome.status, "lead_id": outcome.lead_id},
    )
    return result


def discard(session: Session, principal: Principal, record_id: int, now: datetime) -> None:
    """Give up on a record: it leaves the open list but is kept (and exported) as discarded."""
    record = _open(session, principal, record_id)
    record.status, record.resolved_at = "discarded", now
    audit.record(
        session, at=now, actor=principal, action="discard", entity="rejected_record", entity_id=record.id
    )


def export_csv(session: Session, principal: Principal, where: RejectedFilter) -> str:
    """Every matching record as CSV (UTF-8 with BOM so Excel reads Vietnamese): one column per raw field,
    and the reasons as ``field: what was wrong (accepted: …)`` lines. Cells are safe to open in a spreadsheet."""
    require_reviewer(principal)
    stmt = _filtered(select(RejectedRecord, Import.filename).outerjoin(Import), where)
    rows = list(session.execute(stmt.order_by(RejectedRecord.id)))
    fields = _raw_columns(record.raw for record, _ in rows)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["id", "source", "import", "line", "status", "created_at", "reasons", *fields])
    for record, filename in rows:
        cells = [
            str(record.id),
            record.source,
            filename or "",
            "" if record.line is None else str(record.line),
            record.status,
            record.created_at.isoformat(),
            describe_reasons(record.reasons),
            *(as_text(record.raw.get(name)) for name in fields),
        ]
        writer.writerow([safe_cell(cell) for cell in cells])
    return out.getvalue()


def safe_cell(value: str) -> str:
    """Prefix a quote to a cell a spreadsheet would run as a formula; the text itself is kept."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def describe_reasons(reasons: Iterable[Mapping[str, Any]]) -> str:
    lines = []
    for reason in reasons:
        text = f"{reason.get('field') or '-'}: {reason.get('message', '')}"
        if reason.get("accepted"):
            text += f" (accepted: {reason['accepted']})"
        lines.append(text)
    return "\n".join(lines)


def editable_fields(record: RejectedRecord) -> list[str]:
    """The raw fields in the order a person fixes them: contact details first, then what arrived."""
    first = [name for name in ("full_name", "email", "phone") if name not in record.raw]
    return [*first, *record.raw.keys()]


def _filtered(stmt: _S, where: RejectedFilter) -> _S:
    if where.source:
        stmt = stmt.where(RejectedRecord.source == where.source)
    if where.import_id is not None:
        stmt = stmt.where(RejectedRecord.import_id == where.import_id)
    if where.status:
        stmt = stmt.where(RejectedRecord.status == where.status)
    return stmt


def _open(session: Session, principal: Principal, record_id: int) -> RejectedRecord:
    record = get_rejected(session, principal, record_id).record
    if record.status != "open":
        raise Conflict(f"Rejected record {record_id} is already {record.status}.", code="already_resolved")
    return record


def _incoming(record: RejectedRecord, raw: Mapping[str, Any]) -> IncomingLead:
    """Only lead fields and form answers go back to intake; anything else was the reason it was refused."""
    fields = {k: as_text(v) for k, v in raw.items() if k in LEAD_FIELDS and as_text(v)}
    answers = {k[len(ANSWER_PREFIX) :]: as_text(v) for k, v in raw.items() if k.startswith(ANSWER_PREFIX)}
    external_id = as_text(raw.get("external_id")) or None
    return IncomingLead(
        fields=fields,
        source=record.source[:40],
        external_id=external_id[:200] if external_id else None,
        consents=_consents(raw.get("consents")),
        answers=answers,
    )


def _consents(value: Any) -> tuple[ConsentGiven, ...]:
    """Consents an API item carried, when they still read as valid; otherwise none (never assumed)."""
    if not value:
        return ()
    try:
        given = _CONSENTS.validate_json(as_text(value))
    except ValidationError:
        return ()
    return tuple(ConsentGiven(c.purpose, c.granted, c.text) for c in given)


def _context(session: Session, principal: Principal, record: RejectedRecord) -> CaptureContext:
    source_import = session.get(Import, record.import_id) if record.import_id is not None else None
    return CaptureContext(
        event_type=FIX_EVENT,
        actor_type=ActorType.USER,
        actor_label=principal.label,
        actor_user_id=principal.user_id,
        default_channel=source_import.channel if source_import else None,
        bought_list=source_import.bought_list if source_import else False,
        import_id=record.import_id,
    )


def _raw_columns(raws: Iterable[Mapping[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for raw in raws:
        seen.update(dict.fromkeys(raw))
    return list(seen)
