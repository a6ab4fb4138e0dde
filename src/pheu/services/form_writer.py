"""Storing form submissions a batch at a time: one writer thread per web process takes every screened
submission waiting and writes them in one transaction (group commit), and a short-lived cache of active
forms serves the screening step.

Why: a transaction per submission made threads queue on the database (and on SQLite's single writer) —
landing 15–25 together cut server CPU per submission about fourfold (bench/README.md, "Form capture").

Two ways to write, and each request is answered only after its batch has committed:

- **inline** (the default): the batch is landed through intake in the web process, so an answer means the
  lead is stored. Tests and embedded uses get this.
- **queued** (``pheu serve`` and ``pheu demo``): the batch is checked with the same pure cleaning intake
  uses (so a person still gets their field errors at once) and stored as ``inbound_payloads`` rows, and a
  lander process (``form_lander``) lands them a moment later. An answer then means the submission is
  stored: nothing answered is lost, whatever happens to either process. Landing costs most of a
  submission's CPU; in a second process it runs on the other core instead of holding up answers.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import insert
from sqlalchemy.orm import Session

from pheu.capture import form_queue
from pheu.capture.forms import rejection_errors
from pheu.capture.intake import load_lookups
from pheu.capture.prepare import Lookups, Rejection, prepare
from pheu.capture.record import IncomingLead
from pheu.db import unit_of_work, write_turn
from pheu.services import forms
from pheu.services.errors import NotFound
from pheu.services.forms import Submitted, public_form, spec_of
from pheu.store import Form, InboundPayload
from pheu.store.bulk import table_of

# Slugs kept in the cache at most, so a flood of made-up slugs cannot grow it without bound.
CACHED_FORMS: Final = 1000


class ActiveForms:
    """Active forms by slug, each read once per ``ttl`` seconds, for the submit path: a change to a form
    reaches its screening within ``ttl``. Landing does not trust it: ``land`` reads the form again, so a
    paused form takes nothing from the moment it is paused. Thread-safe; a miss reads the database."""

    def __init__(self, url: str, ttl: float = 5.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.url = url
        self.ttl = ttl
        self.clock = clock
        self._forms: dict[str, tuple[float, Form]] = {}

    def cached(self, slug: str) -> Form | None:
        """The form if it was read less than ``ttl`` ago, without touching the database."""
        hit = self._forms.get(slug)
        return hit[1] if hit is not None and self.clock() < hit[0] else None

    def get(self, slug: str) -> Form:
        """The form, read again when the cached copy is stale; ``NotFound`` when it is not active."""
        form = self.cached(slug)
        if form is None:
            with unit_of_work(self.url) as session:
                form = public_form(session, slug)
            if len(self._forms) >= CACHED_FORMS:
                self._forms.clear()
            self._forms[slug] = (self.clock() + self.ttl, form)
        return form


@dataclass(frozen=True, slots=True)
class _Waiting:
    slug: str
    record: IncomingLead
    now: datetime
    answer: Future[Submitted]
    form: Form | None = None


class SubmissionWriter:
    """Lands screened submissions a batch at a time (group commit), so a burst of them shares one
    transaction and one set of queries instead of paying for its own.

    ``land`` queues a submission and returns a future. A thread of the writer's own takes everything queued
    (up to ``max_batch``), lands it with ``land`` in one transaction, and answers each future only after that
    transaction has committed — so an answer still means the lead is stored. If a batch fails, each of its
    submissions is landed again on its own, so one bad submission cannot take others down with it. The
    thread starts with the first submission and ends after ``idle_seconds`` without one. With
    ``background=False`` there is no thread: submissions wait for ``drain``.

    Channel and campaign lookups are read at most once per ``lookups_ttl`` seconds: a new campaign's
    ``utm_campaign`` is recognised on form submissions within that time.
    """

    def __init__(
        self,
        url: str,
        *,
        max_batch: int = 100,
        idle_seconds: float = 1.0,
        lookups_ttl: float = 5.0,
        background: bool = True,
        queued: bool = False,
    ) -> None:
        self.url = url
        self.queued = queued
        self.max_batch = max_batch
        self.idle_seconds = idle_seconds
        self.lookups_ttl = lookups_ttl
        self.background = background
        self._queue: deque[_Waiting] = deque()
        self._ready = threading.Condition()
        self._running = False
        self._lookups: tuple[float, Lookups] | None = None

    def land(
        self, slug: str, record: IncomingLead, now: datetime, form: Form | None = None
    ) -> Future[Submitted]:
        """Queue one screened submission of form ``slug`` (``form``: as screened, which a queued writer
        needs); the future holds its answer, or ``NotFound`` when the form is no longer active, or the
        database error that kept it from being stored."""
        if self.queued and form is None:
            raise ValueError("a queued writer needs the form each submission was screened with")
        waiting = _Waiting(slug, record, now, Future(), form)
        with self._ready:
            self._queue.append(waiting)
            if self._running:
                self._ready.notify()
            elif self.background:
                self._running = True
                threading.Thread(target=self._run, name="pheu-form-writer", daemon=True).start()
        return waiting.answer

    def drain(self) -> int:
        """Land everything queued, in batches, in the calling thread; how many submissions that was."""
        landed = 0
        while True:
            with self._ready:
                batch = self._next_batch()
            if not batch:
                return landed
            self._land(batch)
            landed += len(batch)

    def _next_batch(self) -> list[_Waiting]:
        """The oldest queued submissions, up to ``max_batch``; the caller holds ``_ready``."""
        return [self._queue.popleft() for _ in range(min(len(self._queue), self.max_batch))]

    def _run(self) -> None:
        while True:
            with self._ready:
                if not self._queue:
                    self._ready.wait(self.idle_seconds)
                if not self._queue:
                    self._running = False
                    return
                batch = self._next_batch()
            self._land(batch)

    def _land(self, batch: list[_Waiting]) -> None:
        answers: Sequence[Submitted | NotFound]
        try:
            if self.queued:  # checked before the write turn: on SQLite the lander waits while it is held
                answers, rows = _checked(batch, self._lookups_now())
                with write_turn(self.url), unit_of_work(self.url) as session:
                    session.execute(insert(_PAYLOADS), rows)
            else:
                with write_turn(self.url), unit_of_work(self.url) as session:
                    answers = _land_batch(session, batch, self._fresh_lookups(session))
        except Exception as exc:
            if len(batch) > 1:
                for waiting in batch:
                    self._land([waiting])
            else:
                _answer(batch[0].answer, exc)
            return
        for waiting, answer in zip(batch, answers, strict=True):
            _answer(waiting.answer, answer)

    def _lookups_now(self) -> Lookups:
        cached = self._lookups
        if cached is not None and time.monotonic() < cached[0]:
            return cached[1]
        with unit_of_work(self.url) as session:
            return self._fresh_lookups(session)

    def _fresh_lookups(self, session: Session) -> Lookups:
        """Two threads landing at once may both read them; either copy is right."""
        cached = self._lookups
        if cached is None or time.monotonic() >= cached[0]:
            cached = (time.monotonic() + self.lookups_ttl, load_lookups(session))
            self._lookups = cached
        return cached[1]


def _land_batch(session: Session, batch: Sequence[_Waiting], lookups: Lookups) -> list[Submitted | NotFound]:
    by_slug: dict[str, list[int]] = {}
    for i, waiting in enumerate(batch):
        by_slug.setdefault(waiting.slug, []).append(i)
    now = max(w.now for w in batch)
    answers: list[Submitted | NotFound | None] = [None] * len(batch)
    for slug, indexes in by_slug.items():
        landed: list[Submitted | NotFound]
        try:
            landed = list(forms.land(session, slug, [batch[i].record for i in indexes], now, lookups=lookups))
        except NotFound as exc:
            landed = [exc] * len(indexes)
        for i, answer in zip(indexes, landed, strict=True):
            answers[i] = answer
    return [a for a in answers if a is not None]


def _checked(batch: Sequence[_Waiting], lookups: Lookups) -> tuple[list[Submitted], list[dict[str, object]]]:
    """Each submission checked with intake's own cleaning, and the rows that store all of them for the
    lander (a rejected one too: landing keeps it with its reasons). The answer is what landing will
    conclude: cleaning is pure, so the lander gets the same verdict from the same record."""
    answers: list[Submitted] = []
    rows: list[dict[str, object]] = []
    for waiting in batch:
        form = waiting.form
        assert form is not None  # ``land`` refuses a queued submission without its form
        cleaned = prepare(waiting.record, lookups, default_channel=form.channel, bought_list=False)
        if isinstance(cleaned, Rejection):
            on_form = [f.name for f in spec_of(form).fields]
            answers.append(Submitted(form, "rejected", rejection_errors(cleaned.reasons, on_form)))
        else:
            answers.append(Submitted(form, "accepted"))
        rows.append(
            {
                "provider": form_queue.PROVIDER,
                "received_at": waiting.now,
                "headers": {},
                "body": form_queue.encode(waiting.slug, waiting.record),
                "status": "pending",
                "attempts": 0,
            }
        )
    return answers, rows


_PAYLOADS = table_of(InboundPayload)


def _answer(future: Future[Submitted], answer: Submitted | BaseException) -> None:
    """A caller that stopped waiting has cancelled its future; its submission has landed all the same."""
    if future.set_running_or_notify_cancel():
        if isinstance(answer, BaseException):
            future.set_exception(answer)
        else:
            future.set_result(answer)
