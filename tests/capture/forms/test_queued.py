"""Queued form capture (``pheu serve``), on SQLite and PostgreSQL: the web process answers once a submission
is stored, a lander lands it. What lands is what inline landing lands; a person still gets their field
errors at once; nothing answered is lost when landing fails, and nothing lands twice."""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from pheu.capture import form_queue, webhooks
from pheu.capture.record import ConsentGiven, IncomingLead
from pheu.capture.spam import TOKEN_FIELD
from pheu.cli import app as cli_app
from pheu.db import unit_of_work
from pheu.services import form_lander, form_writer, forms
from pheu.store import Consent, Event, Form, InboundPayload, Lead, RejectedRecord
from pheu.web.app import create_app
from tests.capture.forms.conftest import Shop, add_form, draft, token
from tests.capture.forms.test_writer import count, refuse_boom, screened
from tests.conftest import NOW


def form_of(shop: Shop, slug: str = "uu-dai-tet") -> Form:
    with unit_of_work(shop.url) as session:
        return forms.public_form(session, slug)


def payloads(shop: Shop) -> list[tuple[str, str, int, str | None]]:
    with unit_of_work(shop.url) as session:
        rows = session.execute(
            select(
                InboundPayload.provider, InboundPayload.status, InboundPayload.attempts, InboundPayload.error
            ).order_by(InboundPayload.id)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def test_the_codec_keeps_every_part_of_the_record() -> None:
    record = IncomingLead(
        {"full_name": "Nguyễn Thị Mai", "email": "mai@gmail.com"},
        "form:uu-dai-tet",
        external_id="nonce-1",
        occurred_at=NOW,
        consents=(ConsentGiven("email_marketing", True, "Tôi đồng ý"),),
        answers={"Quà tặng": "Áo"},
    )
    assert form_queue.decode(form_queue.encode("uu-dai-tet", record)) == ("uu-dai-tet", record)
    for bad in ("", "[]", '{"v": 99}', '{"v": 1, "slug": "x"}'):
        with pytest.raises(form_queue.BadQueuedSubmission):
            form_queue.decode(bad)


def test_a_queued_writer_answers_once_stored_and_the_lander_lands_what_inline_would(shop: Shop) -> None:
    add_form(shop)
    form = form_of(shop)
    writer = form_writer.SubmissionWriter(shop.url, background=False, queued=True)
    answers = [
        writer.land("uu-dai-tet", screened(shop, full_name="Mai", email="mai@gmail.com"), NOW, form),
        writer.land("uu-dai-tet", screened(shop, full_name="Mai", email="MAI@gmail.com", phone="0901234567"), NOW, form),
        writer.land("uu-dai-tet", screened(shop, full_name="Hùng", email="hung@@gmail"), NOW, form),
    ]  # fmt: skip
    assert writer.drain() == 3
    results = [a.result(timeout=0) for a in answers]
    # The verdict comes before landing, from the same pure cleaning: the bad address is refused at once.
    assert [r.status for r in results] == ["accepted", "accepted", "rejected"]
    assert results[2].errors == {"email": "invalid", "phone": "no_contact"}
    assert all(r.lead_id is None for r in results)
    assert payloads(shop) == [("form", "pending", 0, None)] * 3
    assert count(shop, Lead) == count(shop, RejectedRecord) == 0

    summary = form_lander.land_queued(shop.url)
    assert (summary.landed, summary.failed) == (3, 0)
    assert payloads(shop) == [("form", "processed", 1, None)] * 3
    assert (count(shop, Lead), count(shop, Event), count(shop, RejectedRecord)) == (1, 2, 1)
    with unit_of_work(shop.url) as session:
        lead = session.scalars(select(Lead)).one()
        assert (lead.email, lead.phone) == ("mai@gmail.com", "+84901234567")
        assert session.scalars(select(Consent.purpose)).all() == ["email_marketing"]
        assert session.scalars(select(Form)).one().submissions == 2
        event = session.scalars(select(Event)).first()
        assert event is not None and event.occurred_at == NOW and event.source == "form:uu-dai-tet"
    assert form_lander.land_queued(shop.url).landed == 0  # landed once, never again


def test_the_lander_never_collects_garbage_while_it_holds_the_write_turn(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite every form answer waits for the turn; a full collection in the lander took 100-120 ms."""
    add_form(shop)
    writer = form_writer.SubmissionWriter(shop.url, background=False, queued=True)
    writer.land("uu-dai-tet", screened(shop, full_name="Mai", email="mai@gmail.com"), NOW, form_of(shop))
    writer.drain()
    held_with: list[bool] = []
    real_turn = form_lander.write_turn

    @contextlib.contextmanager
    def watched_turn(url: str) -> Iterator[None]:
        with real_turn(url):
            held_with.append(gc.isenabled())
            yield
            held_with.append(gc.isenabled())

    monkeypatch.setattr(form_lander, "write_turn", watched_turn)
    assert gc.isenabled()
    assert form_lander.land_queued(shop.url).landed == 1
    assert held_with == [False, False]
    assert gc.isenabled()


def test_a_form_paused_after_accepting_still_lands_what_it_accepted(shop: Shop) -> None:
    form_id = add_form(shop)
    writer = form_writer.SubmissionWriter(shop.url, background=False, queued=True)
    answer = writer.land(
        "uu-dai-tet", screened(shop, full_name="Mai", email="mai@gmail.com"), NOW, form_of(shop)
    )
    writer.drain()
    assert answer.result(timeout=0).status == "accepted"
    with unit_of_work(shop.url) as session:
        forms.update_form(session, shop.marketer, form_id, draft(active=False), NOW)
    assert form_lander.land_queued(shop.url).landed == 1
    assert count(shop, Lead) == 1


def test_a_submission_that_cannot_land_is_kept_failed_and_the_rest_land(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_form(shop)
    form = form_of(shop)
    writer = form_writer.SubmissionWriter(shop.url, background=False, queued=True)
    for email in ("mai@gmail.com", "boom@gmail.com", "lan@gmail.com"):
        writer.land("uu-dai-tet", screened(shop, full_name="Khách", email=email), NOW, form)
    writer.drain()
    with unit_of_work(shop.url) as session:  # a row this code cannot read, as a crash or a bug could leave
        session.add(
            InboundPayload(provider="form", received_at=NOW, headers={}, body="{not json", status="pending")
        )
    real = refuse_boom(monkeypatch)
    summary = form_lander.drain(shop.url)
    assert (summary.landed, summary.failed) == (2, 2)
    rows = payloads(shop)
    assert [r[1] for r in rows] == ["processed", "failed", "processed", "failed"]
    assert "the database refused this row" in (rows[1][3] or "")
    assert "unreadable queued form submission" in (rows[3][3] or "")
    assert count(shop, Lead) == 2

    monkeypatch.setattr(forms, "capture_many", real)  # mended: a retry lands the failed one
    assert form_lander.drain(shop.url).landed == 0  # failed ones wait for a retry
    again = form_lander.drain(shop.url, retry_failed=True)
    assert again.landed == 1
    assert count(shop, Lead) == 3
    assert payloads(shop)[3][1] == "failed"  # the unreadable one stays for a person, with its reason


def test_webhook_retries_and_lists_leave_queued_form_submissions_alone(shop: Shop) -> None:
    add_form(shop)
    writer = form_writer.SubmissionWriter(shop.url, background=False, queued=True)
    writer.land("uu-dai-tet", screened(shop, full_name="Mai", email="mai@gmail.com"), NOW, form_of(shop))
    writer.drain()
    assert webhooks.process_pending(shop.url, NOW, None).processed == 0
    assert webhooks.recent_payloads(shop.url) == []
    assert payloads(shop) == [("form", "pending", 0, None)]


def test_pheu_forms_land_lands_what_is_queued(shop: Shop) -> None:
    add_form(shop)
    writer = form_writer.SubmissionWriter(shop.url, background=False, queued=True)
    for i in range(3):
        writer.land(
            "uu-dai-tet", screened(shop, full_name="Khách", email=f"khach{i}@gmail.com"), NOW, form_of(shop)
        )
    writer.drain()
    result = CliRunner().invoke(cli_app, ["forms", "land", "--json", "--db-url", shop.url])
    assert result.exit_code == 0, result.output
    assert '"landed": 3' in result.output and '"failed": 0' in result.output
    assert count(shop, Lead) == 3


def test_the_served_app_answers_at_once_and_its_lander_process_lands(shop: Shop) -> None:
    """The app as ``pheu serve`` runs it: its lifespan starts a real lander process and stops it."""
    add_form(shop)
    app = create_app(shop.url, form_landing="queued")
    app.state.clock = shop.clock
    with TestClient(app, follow_redirects=False) as client:
        posted = {TOKEN_FIELD: token("uu-dai-tet", NOW - timedelta(seconds=10)), "full_name": "Mai",
                  "email": "mai@gmail.com"}  # fmt: skip
        answer = client.post("/f/uu-dai-tet", json=posted)
        assert answer.status_code == 200, answer.text
        refused = client.post(
            "/f/uu-dai-tet",
            json={**posted, "email": "mai@@x", TOKEN_FIELD: token("uu-dai-tet", NOW - timedelta(seconds=9))},
        )
        assert refused.status_code == 422
        assert {e["field"] for e in refused.json()["errors"]} == {"email", "phone"}
        deadline = time.monotonic() + 60
        while count(shop, Lead) + count(shop, RejectedRecord) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    assert (count(shop, Lead), count(shop, RejectedRecord)) == (1, 1)
    with unit_of_work(shop.url) as session:
        pending = session.scalar(
            select(func.count()).select_from(InboundPayload).where(InboundPayload.status == "pending")
        )
    assert pending == 0


def test_a_stopped_lander_first_lands_what_is_queued(shop: Shop) -> None:
    """Stopping the server right after a burst must not leave the burst waiting for the next start."""
    add_form(shop)
    lander = form_lander.LanderProcess(shop.url, poll_seconds=120)  # it will not look again by itself
    lander.start()
    time.sleep(1.0)  # past its first (empty) look
    writer = form_writer.SubmissionWriter(shop.url, background=False, queued=True)
    for i in range(3):
        writer.land(
            "uu-dai-tet", screened(shop, full_name="Khách", email=f"khach{i}@gmail.com"), NOW, form_of(shop)
        )
    writer.drain()
    assert count(shop, Lead) == 0
    lander.stop()
    assert not lander.alive
    assert count(shop, Lead) == 3


def test_a_lander_that_died_is_started_again(shop: Shop) -> None:
    import os
    import signal

    add_form(shop)
    lander = form_lander.LanderProcess(shop.url)
    lander.start()
    try:
        assert lander.restart_if_dead() is False
        assert lander.pid is not None
        os.kill(lander.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while lander.alive and time.monotonic() < deadline:
            time.sleep(0.05)
        assert lander.restart_if_dead() is True
        writer = form_writer.SubmissionWriter(shop.url, background=False, queued=True)
        writer.land("uu-dai-tet", screened(shop, full_name="Mai", email="mai@gmail.com"), NOW, form_of(shop))
        writer.drain()
        deadline = time.monotonic() + 60
        while count(shop, Lead) == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert count(shop, Lead) == 1
    finally:
        lander.stop()


def test_a_form_post_with_a_flood_of_fields_is_refused(shop: Shop) -> None:
    add_form(shop)
    app = create_app(shop.url)
    with TestClient(app) as client:
        flood = "&".join(f"f{i}=x" for i in range(1500))
        answer = client.post(
            "/f/uu-dai-tet", content=flood, headers={"content-type": "application/x-www-form-urlencoded"}
        )
    assert answer.status_code == 400
    assert count(shop, Lead) == 0
