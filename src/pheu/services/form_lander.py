"""Landing the form submissions a queued ``SubmissionWriter`` stored: the second half of form capture under
``pheu serve``.

Each batch is claimed and landed in one transaction: the claim marks the rows processed, so a crash before
the commit leaves them pending and a later run lands them, and a commit lands them exactly once. Two landers
at once (two web workers, or a retry from the CLI) never land a row twice: on PostgreSQL the claim's row
locks make the second wait and then see the row is no longer pending; SQLite has one writer at a time.

A batch that fails is landed again one submission at a time, so one bad submission cannot hold back the
others; the one that still fails is marked ``failed`` with its error and kept for review (``pheu forms land
--retry`` tries those again).
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pheu import collector
from pheu.capture import form_queue
from pheu.capture.intake import load_lookups
from pheu.capture.record import IncomingLead
from pheu.db import unit_of_work, write_turn
from pheu.services import forms
from pheu.store import InboundPayload
from pheu.store.bulk import table_of

log = logging.getLogger(__name__)

# Rows landed per transaction: big enough that a burst shares its queries, small enough that SQLite's single
# writer is not held long (the web process needs it to store new submissions).
BATCH: Final = {"postgresql": 500, "sqlite": 25}
POLL_SECONDS: Final = 0.05
NICENESS: Final = 10
YIELD_SECONDS: Final = 0.002
FINISH_SECONDS: Final = 10.0
MAX_ATTEMPTS: Final = 3
_PAYLOADS = table_of(InboundPayload)


@dataclass(slots=True)
class LandSummary:
    landed: int = 0
    failed: int = 0


def land_queued(
    url: str,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    limit: int | None = None,
    retry_failed: bool = False,
) -> LandSummary:
    """Land up to ``limit`` queued submissions, oldest first (``retry_failed``: those that failed before
    too, up to ``MAX_ATTEMPTS`` tries)."""
    statuses = ("pending", "failed") if retry_failed else ("pending",)
    summary = LandSummary()
    claimed: list[tuple[int, str]] = []
    try:
        # No collection while the turn is held: a full one took 100-120 ms here, and on SQLite every form
        # answer waits for the turn. Whatever the round made is swept after it.
        with collector.paused(sweep_young=True), write_turn(url), unit_of_work(url) as session:
            size = limit or BATCH.get(session.get_bind().dialect.name, 100)
            claimed = _claim(session, statuses, clock(), size)
            summary.landed, summary.failed = _land(session, claimed, clock())
        return summary
    except Exception:
        if not claimed:  # the claim itself failed: nothing was taken
            raise
    for payload_id, _ in claimed:  # one at a time: the bad one fails alone
        try:
            with write_turn(url), unit_of_work(url) as session:
                one = _claim(session, statuses, clock(), 1, payload_id=payload_id)
                landed, failed = _land(session, one, clock())
        except Exception as exc:
            log.warning("queued form submission %s failed to land: %s", payload_id, exc)
            _failed(url, payload_id, f"{exc.__class__.__name__}: {exc}")
            landed, failed = 0, 1
        summary.landed += landed
        summary.failed += failed
    return summary


def _claim(
    session: Session, statuses: tuple[str, ...], now: datetime, size: int, *, payload_id: int | None = None
) -> list[tuple[int, str]]:
    """Mark up to ``size`` queued rows processed and return them (id, body), oldest first."""
    where: list[Any] = [
        _PAYLOADS.c.provider == form_queue.PROVIDER,
        _PAYLOADS.c.status.in_(statuses),
        _PAYLOADS.c.attempts < MAX_ATTEMPTS,
    ]
    if payload_id is not None:
        where.append(_PAYLOADS.c.id == payload_id)
    oldest = select(_PAYLOADS.c.id).where(*where).order_by(_PAYLOADS.c.id)
    stmt = (
        update(_PAYLOADS)
        .where(_PAYLOADS.c.id.in_(oldest.limit(size).scalar_subquery()), *where)
        .values(status="processed", processed_at=now, attempts=_PAYLOADS.c.attempts + 1, error=None)
        .returning(_PAYLOADS.c.id, _PAYLOADS.c.body)
    )
    return sorted((int(i), str(b)) for i, b in session.execute(stmt))


def _land(session: Session, claimed: Sequence[tuple[int, str]], now: datetime) -> tuple[int, int]:
    """Land the claimed rows (landed, failed): an unreadable one is marked failed with what is wrong."""
    by_slug: dict[str, list[IncomingLead]] = {}
    failed = 0
    for payload_id, body in claimed:
        try:
            slug, record = form_queue.decode(body)
        except form_queue.BadQueuedSubmission as exc:
            session.execute(
                update(_PAYLOADS).where(_PAYLOADS.c.id == payload_id).values(status="failed", error=str(exc))
            )
            failed += 1
            continue
        by_slug.setdefault(slug, []).append(record)
    if not by_slug:
        return 0, failed
    lookups = load_lookups(session)
    for slug, records in by_slug.items():
        forms.land(session, slug, records, now, lookups=lookups, accepted_earlier=True)
    return sum(len(r) for r in by_slug.values()), failed


def _failed(url: str, payload_id: int, error: str) -> None:
    with unit_of_work(url) as session:
        session.execute(
            update(_PAYLOADS)
            .where(_PAYLOADS.c.id == payload_id)
            .values(status="failed", error=error[:2000], attempts=_PAYLOADS.c.attempts + 1)
        )


def run(
    url: str,
    stop: Any,
    poll_seconds: float = POLL_SECONDS,
    niceness: int = 0,
    finish_seconds: float = FINISH_SECONDS,
) -> None:
    """Land queued submissions until ``stop`` (an event) is set: at once while there are any, else every
    ``poll_seconds``. A failed round is logged and tried again a second later. ``niceness`` lowers this
    process's CPU priority (``os.nice``). Once stopped, what is still queued is landed for up to
    ``finish_seconds`` more, so a server stopped right after a burst does not leave it waiting for the
    next start."""
    if niceness:
        os.nice(niceness)
    frozen = False
    while not stop.is_set():
        try:
            landed = land_queued(url).landed
        except Exception:
            log.exception("landing queued form submissions failed")
            stop.wait(1.0)
            continue
        if not frozen:  # what the first round loaded (modules, compiled statements, the model) stays
            gc.freeze()
            frozen = True
        # After a batch, a moment's pause before the next: a web writer blocked on SQLite's turn lock was
        # woken when this one let go, but this process, already running, would otherwise take it first.
        stop.wait(poll_seconds if landed == 0 else YIELD_SECONDS)
    deadline = time.monotonic() + finish_seconds
    while time.monotonic() < deadline:
        try:
            if land_queued(url).landed == 0:
                return
        except Exception:
            log.exception("landing queued form submissions at shutdown failed; they wait for the next start")
            return


class LanderProcess:
    """``run`` in a process of its own, beside a web process whose writer queues submissions: the landing
    work then runs on another core instead of delaying answers. It runs at a lower CPU priority
    (``NICENESS``), so in a burst the cores go to answering people first and landing catches up after.
    ``stop`` lets it land what is queued (``FINISH_SECONDS`` at most); ``restart_if_dead`` starts a new one
    if it died, since submissions are only stored, not landed, while none runs.

    The stop signal is the end of a pipe, not a ``multiprocessing.Event``: setting an Event that a killed
    process was waiting on blocks for ever (it waits for the dead waiter to wake), which hung the web
    server's shutdown. A closed pipe also reaches the lander when the web process dies without a word, so
    the lander does not outlive it."""

    def __init__(
        self,
        url: str,
        poll_seconds: float = POLL_SECONDS,
        niceness: int = NICENESS,
        finish_seconds: float = FINISH_SECONDS,
    ) -> None:
        self._args = (url, poll_seconds, niceness, finish_seconds)
        self._context = multiprocessing.get_context("spawn")  # no fork of a process holding threads
        self._reader, self._writer = self._context.Pipe(duplex=False)
        self._stopping = False
        self._process = self._new_process()

    def _new_process(self) -> Any:
        url, poll_seconds, niceness, finish_seconds = self._args
        return self._context.Process(
            target=_run_until_told,
            args=(url, self._reader, poll_seconds, niceness, finish_seconds),
            name="pheu-form-lander",
            daemon=True,
        )

    def start(self) -> None:
        self._process.start()

    @property
    def alive(self) -> bool:
        return bool(self._process.is_alive())

    @property
    def pid(self) -> int | None:
        return self._process.pid  # type: ignore[no-any-return]

    def restart_if_dead(self) -> bool:
        """Start a new lander if this one died (killed, out of memory): whether it had to."""
        if self._stopping or self._process.is_alive():
            return False
        log.warning("the form lander stopped (exit code %s); starting a new one", self._process.exitcode)
        self._process = self._new_process()
        self._process.start()
        return True

    def stop(self, timeout: float = FINISH_SECONDS + 20.0) -> None:
        self._stopping = True
        self._writer.close()
        self._process.join(timeout)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(5)


class _PipeStop:
    """What ``run`` asks of its stop signal (``is_set``, ``wait``), read from the end of a pipe: it is set
    once the other end is closed or written to."""

    def __init__(self, reader: Any) -> None:
        self._reader = reader

    def is_set(self) -> bool:
        return bool(self._reader.poll(0))

    def wait(self, timeout: float) -> bool:
        return bool(self._reader.poll(timeout))


def _run_until_told(url: str, reader: Any, poll_seconds: float, niceness: int, finish_seconds: float) -> None:
    run(url, _PipeStop(reader), poll_seconds, niceness, finish_seconds)


def drain(url: str, *, retry_failed: bool = False) -> LandSummary:
    """Land in this process until nothing is left to land (the CLI, and tests): the totals."""
    total = LandSummary()
    while True:
        summary = land_queued(url, retry_failed=retry_failed)
        total.landed += summary.landed
        total.failed += summary.failed
        if summary.landed == 0 and summary.failed == 0:
            return total
