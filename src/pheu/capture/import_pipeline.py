"""The reading half of an import: stream the file, map each row and clean it, chunk by chunk.

Cleaning touches no database (``prepare`` is pure given the lookups), so a big file is read and cleaned in
a worker process while the importing process writes the previous chunk: the two halves use both cores. The
queue between them holds at most ``AHEAD`` chunks, so memory stays bounded however big the file. What lands,
and when the resume point moves, is still decided by the writer alone: a chunk the worker cleaned but the
writer never committed is simply cleaned again on resume.
"""

from __future__ import annotations

import marshal
import multiprocessing
import pickle
import queue
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter
from pathlib import Path
from typing import Any, Final

from pheu import collector
from pheu.capture.files import Mapping, RawRow, open_table, to_incoming
from pheu.capture.prepare import Lookups, PreparedLead, Rejection, prepare
from pheu.capture.record import ConsentGiven, IncomingLead
from pheu.clean.quality import FieldProblem

AHEAD: Final = 2
# Starting a worker costs about a second (a fresh interpreter imports pheu); below this size it does not pay.
WORKER_FROM_BYTES: Final = 4_000_000
_POLL_SECONDS: Final = 1.0


@dataclass(frozen=True, slots=True)
class ReadPlan:
    """Everything the cleaning needs, picklable so a worker process can be handed it."""

    path: Path
    start_after: int
    mapping: Mapping
    source: str
    lookups: Lookups
    default_channel: str | None
    bought_list: bool
    chunk: int


@dataclass(slots=True)
class CleanChunk:
    """One chunk of rows: the unreadable ones as (line, values, error), the readable ones as submissions
    with ``prepare``'s result each, and where the file stands after it."""

    rows_read: int
    last_line: int
    progress: tuple[int, int]
    unreadable: list[tuple[int, dict[str, str], str]] = field(default_factory=list)
    records: list[IncomingLead] = field(default_factory=list)
    lines: list[int | None] = field(default_factory=list)
    cleaned: list[PreparedLead | Rejection] = field(default_factory=list)

    def encode(self) -> bytes:
        """The chunk as ``marshal`` bytes of plain lists and dicts, for the trip to the writer.

        Pickling the dataclasses cost the reader 19 µs and the writer 9 µs per row, more than landing the
        row; ``marshal`` knows only built-in types and is several times quicker both ways. The chunk goes
        column by column (a list per attribute, picked in C), times as ISO text, sets (a lead's keys) as
        they are; columns that are empty for every row (consents and times in most files) as ``None``."""
        records = self.records
        occurred = list(map(_OCCURRED, records))
        consents = list(map(_CONSENTS, records))
        records_out = (
            list(map(_FIELDS, records)),
            list(map(_SOURCE, records)),
            list(map(_EXTERNAL_ID, records)),
            [None if o is None else o.isoformat() for o in occurred] if any(occurred) else None,
            [[(c.purpose, c.granted, c.text) for c in cs] for cs in consents] if any(consents) else None,
            list(map(_ANSWERS, records)),
        )
        prepared = [r for r in self.cleaned if not isinstance(r, Rejection)]
        problems = list(map(_PROBLEMS, prepared))
        cleaned_out = (
            [r.reasons if isinstance(r, Rejection) else None for r in self.cleaned],
            list(map(_VALUES, prepared)),
            list(map(_KEYS, prepared)),
            [[(p.field, p.code, p.message, p.accepted) for p in ps] for ps in problems]
            if any(problems)
            else None,
            list(map(_ANSWERS, prepared)),
        )
        head = (self.rows_read, self.last_line, self.progress, self.unreadable, self.lines)
        return marshal.dumps((head, records_out, cleaned_out))

    @classmethod
    def decode(cls, data: bytes) -> CleanChunk:
        """The chunk ``encode`` made."""
        head, records_in, cleaned_in = marshal.loads(data)  # noqa: S302 - bytes from our own reader process
        rows_read, last_line, progress, unreadable, lines = head
        fields, sources, external_ids, occurred, consents, answers = records_in
        n = len(fields)
        times = (
            [None if o is None else datetime.fromisoformat(o) for o in occurred] if occurred else [None] * n
        )
        given = [tuple(ConsentGiven(*c) for c in cs) for cs in consents] if consents else [()] * n
        reasons, values, keys, problems, prepared_answers = cleaned_in
        found = [[FieldProblem(*p) for p in ps] for ps in problems] if problems else [[] for _ in values]
        made = iter(map(_prepared, values, keys, found, prepared_answers))
        return cls(
            rows_read,
            last_line,
            tuple(progress),
            [tuple(u) for u in unreadable],
            list(map(IncomingLead, fields, sources, external_ids, times, given, answers)),
            lines,
            [next(made) if r is None else Rejection(r) for r in reasons],
        )


_FIELDS: Final = attrgetter("fields")
_SOURCE: Final = attrgetter("source")
_EXTERNAL_ID: Final = attrgetter("external_id")
_OCCURRED: Final = attrgetter("occurred_at")
_CONSENTS: Final = attrgetter("consents")
_ANSWERS: Final = attrgetter("answers")
_VALUES: Final = attrgetter("values")
_KEYS: Final = attrgetter("keys")
_PROBLEMS: Final = attrgetter("problems")


def _prepared(
    values: dict[str, Any], keys: set[str], problems: list[FieldProblem], answers: dict[str, str]
) -> PreparedLead:
    return PreparedLead(values, keys, values["flags"], problems, answers)


def clean_chunks(plan: ReadPlan) -> Iterator[CleanChunk]:
    """The file from just after ``plan.start_after``, read, mapped and cleaned, in this process."""
    table = open_table(plan.path)
    for rows in _chunks(table.rows(start_after_line=plan.start_after), plan.chunk):
        out = CleanChunk(len(rows), rows[-1].line, table.byte_progress())
        for row in rows:
            if row.error:
                out.unreadable.append((row.line, row.values, row.error))
                continue
            record = to_incoming(row, plan.mapping, plan.source)
            out.records.append(record)
            out.lines.append(row.line)
            out.cleaned.append(
                prepare(
                    record, plan.lookups, default_channel=plan.default_channel, bought_list=plan.bought_list
                )
            )
        yield out


def clean_chunks_in_worker(plan: ReadPlan) -> Iterator[CleanChunk]:
    """The same chunks as ``clean_chunks``, produced by a worker process. Closing the iterator early (the
    writer failed) stops the worker; a failure in the worker is raised here."""
    context = multiprocessing.get_context("spawn")  # no fork of a process that may hold threads/connections
    channel: Any = context.Queue(maxsize=AHEAD)
    worker = context.Process(target=_work, args=(plan, channel), daemon=True, name="pheu-import-reader")
    worker.start()
    try:
        while True:
            try:
                item = _received(channel)
            except queue.Empty:
                if not worker.is_alive():
                    stopped = f"the import's reader process stopped (exit code {worker.exitcode})"
                    raise RuntimeError(stopped) from None
                continue
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        if worker.is_alive():
            worker.terminate()
        worker.join()
        channel.close()


def _received(channel: Any) -> Any:
    """The next item. Chunks come encoded by the worker and are decoded here with the cyclic garbage
    collector paused (only for that): a chunk becomes some hundred thousand containers, and the collections
    their allocation triggers more than doubled the time."""
    data = channel.get(timeout=_POLL_SECONDS)
    if not isinstance(data, bytes):
        return data
    with collector.paused():
        return CleanChunk.decode(data)


def _work(plan: ReadPlan, channel: Any) -> None:
    try:
        for chunk in clean_chunks(plan):
            channel.put(chunk.encode())
    except Exception as exc:  # handed to the writer, which fails the import with it
        try:
            pickle.dumps(exc)
        except Exception:  # one that cannot cross processes goes as its text
            exc = RuntimeError(f"{exc.__class__.__name__}: {exc}")
        channel.put(exc)
        return
    channel.put(None)


def _chunks(rows: Iterator[RawRow], size: int) -> Iterator[list[RawRow]]:
    batch: list[RawRow] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
