"""CSV and Excel import: stream a file through intake in chunks, each chunk one transaction that also moves
the import's resume point, so a crash half way loses nothing and a resume makes no duplicates.

The summary always adds up: imported + merged + rejected = rows read.
"""

from __future__ import annotations

import csv
import hashlib
import multiprocessing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pheu import collector
from pheu.capture.files import Mapping, Table, open_table, suggest_mapping
from pheu.capture.import_pipeline import (
    WORKER_FROM_BYTES,
    CleanChunk,
    ReadPlan,
    clean_chunks,
    clean_chunks_in_worker,
)
from pheu.capture.intake import CaptureContext, capture_many, load_lookups
from pheu.capture.prepare import UNREADABLE_ACCEPTED
from pheu.db import unit_of_work
from pheu.lifecycle import ActorType
from pheu.services.errors import Invalid, NotFound
from pheu.store import Import, RejectedRecord
from pheu.store.bulk import insert_many

CHUNK = 5000
Progress = Callable[[int, int, "ImportSummary"], None]  # (bytes read, bytes total, running summary)


@dataclass(frozen=True, slots=True)
class ImportOptions:
    channel: str | None = None
    bought_list: bool = False
    provenance: str = ""
    overrides: dict[str, str | None] | None = None
    created_by: int | None = None
    actor_label: str = "import"


@dataclass(slots=True)
class ImportSummary:
    import_id: int
    rows_read: int = 0
    imported: int = 0
    merged: int = 0
    rejected: int = 0
    status: str = "running"

    def as_dict(self) -> dict[str, Any]:
        return {
            "import_id": self.import_id,
            "rows_read": self.rows_read,
            "imported": self.imported,
            "merged": self.merged,
            "rejected": self.rejected,
            "status": self.status,
        }


def file_fingerprint(path: Path) -> str:
    """SHA-256 of the file, read in blocks: recognises the same file when an import is resumed."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def plan_mapping(table: Table, overrides: dict[str, str | None] | None) -> Mapping:
    mapping = suggest_mapping(table.headers)
    if overrides:
        try:
            mapping = mapping.override(overrides)
        except ValueError as exc:
            raise Invalid(str(exc), field="mapping") from exc
    return mapping


def start(url: str, path: Path, options: ImportOptions, now: datetime) -> int:
    """Register an import (or find the unfinished one of the same file) and return its id."""
    if options.bought_list and not options.provenance.strip():
        raise Invalid(
            "A bought or third-party list must say where its data came from (Law 91/2025): give a provenance.",
            field="provenance",
        )
    table = open_table(path)
    mapping = plan_mapping(table, options.overrides)
    fingerprint = file_fingerprint(path)
    with unit_of_work(url) as session:
        unfinished = session.scalar(
            select(Import).where(Import.file_sha256 == fingerprint, Import.status.in_(["running", "failed"]))
        )
        if unfinished is not None:
            return unfinished.id
        row = Import(
            filename=path.name,
            file_format=table.format,
            file_sha256=fingerprint,
            mapping={"columns": mapping.columns, "family_name_first": mapping.family_name_first},
            channel="import" if options.bought_list else options.channel,
            bought_list=options.bought_list,
            provenance=options.provenance.strip(),
            status="running",
            created_by=options.created_by,
            started_at=now,
        )
        session.add(row)
        session.flush()
        return row.id


def run(
    url: str,
    import_id: int,
    path: Path,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    progress: Progress | None = None,
    chunk: int = CHUNK,
    worker: bool | None = None,
) -> ImportSummary:
    """Import (or resume) the file; each chunk lands in one transaction together with the resume point.
    ``worker``: read and clean in a second process while this one writes (default: for files big enough
    that it pays)."""
    with unit_of_work(url) as session:
        record = _get(session, import_id)
        mapping = Mapping(
            columns=dict(record.mapping.get("columns", {})),
            family_name_first=bool(record.mapping.get("family_name_first", False)),
        )
        summary = ImportSummary(import_id, record.rows_read, record.imported, record.merged, record.rejected)
        ctx = CaptureContext(
            event_type="import",
            actor_type=ActorType.IMPORT,
            actor_label=f"import #{import_id}: {record.filename}",
            actor_user_id=record.created_by,
            default_channel=record.channel,
            bought_list=record.bought_list,
            import_id=import_id,
        )
        start_after = record.last_line
        lookups = load_lookups(session)
    plan = ReadPlan(
        path,
        start_after,
        mapping,
        f"import:{import_id}",
        lookups,
        ctx.default_channel,
        ctx.bought_list,
        chunk,
    )
    if worker is None:  # a daemonic process (a pool worker) may not start one of its own
        worker = path.stat().st_size >= WORKER_FROM_BYTES and not multiprocessing.current_process().daemon
    chunks = clean_chunks_in_worker(plan) if worker else clean_chunks(plan)
    try:
        for part in chunks:
            with collector.paused(sweep_young=True), unit_of_work(url) as session:
                _land(session, part, plan.source, ctx, lookups, summary, clock())
                _save_progress(session, import_id, summary, part.last_line)
            if progress is not None:
                progress(*part.progress, summary)
    except BaseException as exc:
        _close(chunks)
        with unit_of_work(url) as session:
            row = _get(session, import_id)
            row.status, row.error = "failed", f"{exc.__class__.__name__}: {exc}"
        summary.status = "failed"
        raise
    with unit_of_work(url) as session:
        row = _get(session, import_id)
        row.status, row.finished_at = "done", clock()
    summary.status = "done"
    return summary


def _land(
    session: Session,
    part: CleanChunk,
    source: str,
    ctx: CaptureContext,
    lookups: Any,
    summary: ImportSummary,
    now: datetime,
) -> None:
    unreadable = [
        {
            "source": source,
            "import_id": ctx.import_id,
            "line": line,
            "raw": values,
            "reasons": [
                {
                    "field": "row",
                    "code": "unreadable",
                    "message": error,
                    "accepted": UNREADABLE_ACCEPTED,
                }
            ],
            "status": "open",
            "created_at": now,
        }
        for line, values, error in part.unreadable
    ]
    if unreadable:
        insert_many(session, RejectedRecord, unreadable)
    outcomes = capture_many(
        session, part.records, ctx, now, lookups=lookups, lines=part.lines, cleaned=part.cleaned
    )
    summary.rows_read += part.rows_read
    summary.rejected += len(unreadable)
    for outcome in outcomes:
        if outcome.status == "created":
            summary.imported += 1
        elif outcome.status == "rejected":
            summary.rejected += 1
        else:  # merged into a known person, or the same provider lead seen again
            summary.merged += 1


def _save_progress(session: Session, import_id: int, summary: ImportSummary, last_line: int) -> None:
    row = _get(session, import_id)
    row.rows_read, row.imported, row.merged, row.rejected = (
        summary.rows_read,
        summary.imported,
        summary.merged,
        summary.rejected,
    )
    row.last_line = last_line


def _close(chunks: Iterator[CleanChunk]) -> None:
    """Stop the reader (and its worker process) when the writer gives up."""
    close = getattr(chunks, "close", None)
    if close is not None:
        close()


def _get(session: Session, import_id: int) -> Import:
    row = session.get(Import, import_id)
    if row is None:
        raise NotFound(f"No import with id {import_id}.")
    return row


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """A cell a spreadsheet will not run as a formula (OWASP CSV injection): such text gets a leading quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def write_rejected(url: str, import_id: int, target: Path) -> int:
    """Write the import's rejected rows, with their reasons, to a CSV a person can fix and import again."""
    with unit_of_work(url) as session:
        rows = list(
            session.scalars(
                select(RejectedRecord)
                .where(RejectedRecord.import_id == import_id)
                .order_by(RejectedRecord.line)
            )
        )
        headers: list[str] = []
        for r in rows:
            headers += [k for k in r.raw if k not in headers]
        with target.open("w", newline="", encoding="utf-8-sig") as handle:
            writer = csv.writer(handle)
            writer.writerow(["line", *headers, "reasons"])
            for r in rows:
                reasons = "; ".join(
                    f"{x.get('field')}: {x.get('message')} (accepted: {x.get('accepted')})" for x in r.reasons
                )
                writer.writerow([r.line, *(safe_cell(r.raw.get(h, "")) for h in headers), safe_cell(reasons)])
    return len(rows)
