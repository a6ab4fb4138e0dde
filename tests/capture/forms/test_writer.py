"""Submissions landed a batch at a time (``SubmissionWriter``), on SQLite and PostgreSQL: a batch lands like
the same submissions one by one would — duplicates merged, a double click once, the rejected kept — and one
submission that cannot land, or whose form was paused, takes nothing else down with it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from pheu.capture.forms import Posted
from pheu.capture.record import IncomingLead
from pheu.capture.spam import TOKEN_FIELD, SlidingWindowLimiter
from pheu.config import get_settings
from pheu.db import unit_of_work
from pheu.services import form_writer, forms
from pheu.services.errors import NotFound
from pheu.store import Event, Form, Lead, RejectedRecord
from tests.capture.forms.conftest import Shop, add_form, draft, token
from tests.conftest import NOW


def guard() -> forms.Guard:
    return forms.Guard(get_settings().secret_key, SlidingWindowLimiter(), "203.0.113.7")


def screened(shop: Shop, slug: str = "uu-dai-tet", *, page: str | None = None, **values: str) -> IncomingLead:
    """A submission that passed screening, as the submit route hands it to the writer."""
    with unit_of_work(shop.url) as session:
        form = forms.public_form(session, slug)
    posted = Posted({TOKEN_FIELD: page or token(slug, NOW - timedelta(seconds=10)), **values})
    record = forms.screen(form, posted, guard(), NOW)
    assert isinstance(record, IncomingLead)
    return record


def refuse_boom(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Landing fails for any batch holding boom@gmail.com, as when the database refuses that row; the real
    ``capture_many`` is returned, to put back."""
    real = forms.capture_many

    def failing_for_one(session: Any, records: Any, *args: Any, **kwargs: Any) -> Any:
        if any(r.fields.get("email") == "boom@gmail.com" for r in records):
            raise RuntimeError("the database refused this row")
        return real(session, records, *args, **kwargs)

    monkeypatch.setattr(forms, "capture_many", failing_for_one)
    return real


def count(shop: Shop, model: Any) -> int:
    with unit_of_work(shop.url) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_batch_merges_the_same_person_keeps_the_rejected_and_counts_every_landing(shop: Shop) -> None:
    add_form(shop)
    writer = form_writer.SubmissionWriter(shop.url, background=False)
    answers = [
        writer.land("uu-dai-tet", screened(shop, full_name="Mai", email="mai@gmail.com"), NOW),
        writer.land("uu-dai-tet", screened(shop, full_name="Lan", email="lan@gmail.com"), NOW),
        writer.land("uu-dai-tet", screened(shop, full_name="Mai", email="MAI@gmail.com", phone="0901234567"), NOW),
        writer.land("uu-dai-tet", screened(shop, full_name="Hùng", email="hung@@gmail"), NOW),
    ]  # fmt: skip
    assert not any(a.done() for a in answers)
    assert writer.drain() == 4
    results = [a.result(timeout=0) for a in answers]
    assert [r.status for r in results] == ["accepted", "accepted", "accepted", "rejected"]
    assert results[0].lead_id == results[2].lead_id != results[1].lead_id
    assert results[3].errors == {"email": "invalid", "phone": "no_contact"}
    assert (count(shop, Lead), count(shop, Event), count(shop, RejectedRecord)) == (2, 3, 1)
    with unit_of_work(shop.url) as session:
        assert session.scalars(select(Form)).one().submissions == 3
        lead = session.get(Lead, results[0].lead_id)
        assert lead is not None and lead.phone == "+84901234567"


def test_a_double_click_within_one_batch_lands_once(shop: Shop) -> None:
    add_form(shop)
    page = token("uu-dai-tet", NOW - timedelta(seconds=10))
    writer = form_writer.SubmissionWriter(shop.url, background=False)
    clicks = [
        writer.land("uu-dai-tet", screened(shop, page=page, full_name="Mai", email="mai@gmail.com"), NOW)
        for _ in range(2)
    ]
    writer.drain()
    assert [c.result(timeout=0).status for c in clicks] == ["accepted", "accepted"]
    assert (count(shop, Lead), count(shop, Event)) == (1, 1)


def test_a_form_paused_before_its_batch_lands_takes_nothing_while_other_forms_land(shop: Shop) -> None:
    paused_id = add_form(shop)
    add_form(shop, slug="tuyen-dung", name="Ứng tuyển", lead_magnet="job_application")
    writer = form_writer.SubmissionWriter(shop.url, background=False)
    to_paused = writer.land("uu-dai-tet", screened(shop, full_name="Mai", email="mai@gmail.com"), NOW)
    to_other = writer.land(
        "tuyen-dung", screened(shop, "tuyen-dung", full_name="Lan", email="lan@gmail.com"), NOW
    )
    with unit_of_work(shop.url) as session:
        forms.update_form(session, shop.marketer, paused_id, draft(active=False), NOW)
    writer.drain()
    with pytest.raises(NotFound):
        to_paused.result(timeout=0)
    assert to_other.result(timeout=0).status == "accepted"
    with unit_of_work(shop.url) as session:
        assert [lead.email for lead in session.scalars(select(Lead))] == ["lan@gmail.com"]


def test_a_submission_that_fails_to_land_does_not_take_its_batch_down(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch that fails is retried one submission at a time, so only the failing one gets the error."""
    add_form(shop)
    refuse_boom(monkeypatch)
    writer = form_writer.SubmissionWriter(shop.url, background=False)
    first = writer.land("uu-dai-tet", screened(shop, full_name="Mai", email="mai@gmail.com"), NOW)
    failing = writer.land("uu-dai-tet", screened(shop, full_name="Nổ", email="boom@gmail.com"), NOW)
    last = writer.land("uu-dai-tet", screened(shop, full_name="Lan", email="lan@gmail.com"), NOW)
    writer.drain()
    assert first.result(timeout=0).status == last.result(timeout=0).status == "accepted"
    assert failing.exception(timeout=0) is not None
    assert count(shop, Lead) == 2


def test_a_name_longer_than_the_column_is_cut_and_flagged(shop: Shop) -> None:
    add_form(shop)
    writer = form_writer.SubmissionWriter(shop.url, background=False)
    answer = writer.land("uu-dai-tet", screened(shop, full_name="Mai " * 100, email="mai@gmail.com"), NOW)
    writer.drain()
    assert answer.result(timeout=0).status == "accepted"
    with unit_of_work(shop.url) as session:
        lead = session.scalars(select(Lead)).one()
        assert 190 <= len(lead.full_name or "") <= 200
        assert "full_name_truncated" in lead.flags


def test_the_background_writer_answers_each_submission_once_it_has_landed(shop: Shop) -> None:
    add_form(shop)
    writer = form_writer.SubmissionWriter(shop.url, idle_seconds=0.05)
    answers = [
        writer.land("uu-dai-tet", screened(shop, full_name="Khách", email=f"khach{i}@gmail.com"), NOW)
        for i in range(5)
    ]
    assert {a.result(timeout=30).status for a in answers} == {"accepted"}
    assert count(shop, Lead) == 5


def test_the_one_shot_submit_screens_and_lands_in_the_callers_transaction(shop: Shop) -> None:
    add_form(shop)
    posted = Posted({TOKEN_FIELD: token("uu-dai-tet", NOW - timedelta(seconds=10)), "email": "mai@gmail.com",
                     "full_name": "Mai"})  # fmt: skip
    with unit_of_work(shop.url) as session:
        result = forms.submit(session, "uu-dai-tet", posted, guard(), NOW)
    assert result.status == "accepted"
    assert count(shop, Lead) == 1


def test_a_form_paused_after_the_page_cached_it_answers_not_available(client: TestClient, shop: Shop) -> None:
    form_id = add_form(shop)
    body = {"full_name": "Mai", "email": "mai@gmail.com"}
    first = {TOKEN_FIELD: token("uu-dai-tet", NOW - timedelta(seconds=10)), **body}
    assert client.post("/f/uu-dai-tet", data=first).status_code == 200
    with unit_of_work(shop.url) as session:
        forms.update_form(session, shop.marketer, form_id, draft(active=False), NOW)
    again = {TOKEN_FIELD: token("uu-dai-tet", NOW - timedelta(seconds=9)), **body, "email": "lan@gmail.com"}
    assert client.post("/f/uu-dai-tet", json=again).status_code == 404
    assert count(shop, Lead) == 1
