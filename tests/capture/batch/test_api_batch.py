"""The bulk API on SQLite and PostgreSQL: partial success, idempotent retries, and events by role."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from pheu.auth.roles import Role
from pheu.db import unit_of_work
from pheu.store import Consent, Event, IdempotencyKey, Lead, RejectedRecord
from pheu.web.app import create_app
from tests.conftest import NOW
from tests.factories import add_channels, add_lead, add_user, api_token

ALL = ["leads:read", "leads:write", "events:read", "events:write"]


@dataclass
class Api:
    client: TestClient
    url: str
    admin: str
    rep1: str
    rep2: str
    rep1_id: int
    rep2_id: int

    def post(self, path: str, token: str, body: Any, key: str | None = None) -> Any:
        headers = {"Authorization": f"Bearer {token}"}
        if key is not None:
            headers["Idempotency-Key"] = key
        return self.client.post(path, json=body, headers=headers)


@pytest.fixture
def api(db_url: str) -> Iterator[Api]:
    add_channels(db_url)
    add_user(db_url, "admin@x.vn", Role.ADMIN, NOW)
    r1 = add_user(db_url, "rep1@x.vn", Role.SALES_REP, NOW)
    r2 = add_user(db_url, "rep2@x.vn", Role.SALES_REP, NOW)
    with TestClient(create_app(db_url)) as client:
        yield Api(
            client=client,
            url=db_url,
            admin=api_token(db_url, "admin@x.vn", ALL, NOW),
            rep1=api_token(db_url, "rep1@x.vn", ALL, NOW),
            rep2=api_token(db_url, "rep2@x.vn", ALL, NOW),
            rep1_id=r1.user_id,
            rep2_id=r2.user_id,
        )


def count(url: str, model: Any) -> int:
    with unit_of_work(url) as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


GOOD = {
    "full_name": "Nguyễn Văn Anh",
    "email": "Anh.Nguyen@Gmail.com",
    "phone": "0901234567",
    "company": "ABC",
}
SAME_PERSON = {"email": "anh.nguyen@gmail.com", "city": "Huế", "source": "landing", "external_id": "sub-2"}
NO_CONTACT = {"full_name": "Không Liên Lạc", "company": "XYZ"}
NOT_A_LEAD = {"full_name": "Lê Thị Hoa", "email": "hoa@congty.vn", "shoe_size": "38"}


def test_a_batch_lands_its_good_items_and_keeps_the_bad_ones_with_reasons(api: Api) -> None:
    consent = {"purpose": "email_marketing", "granted": True}
    body = {"items": [{**GOOD, "consents": [consent]}, SAME_PERSON, NO_CONTACT, NOT_A_LEAD, "nonsense"]}
    r = api.post("/api/v1/leads/batch", api.admin, body)
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [x["status"] for x in results] == ["created", "merged", "rejected", "rejected", "rejected"]
    assert [x["index"] for x in results] == [0, 1, 2, 3, 4]
    assert results[0]["lead_id"] == results[1]["lead_id"]
    assert r.json()["summary"] == {"created": 1, "merged": 1, "rejected": 3, "duplicate_delivery": 0}
    assert results[2]["problems"][0]["field"] in {"email", "phone"}
    assert results[2]["problems"][0]["accepted"]
    extra = results[3]["problems"][0]
    assert (extra["field"], extra["code"]) == ("shoe_size", "extra_forbidden")
    assert all(x["rejected_id"] for x in results[2:])
    with unit_of_work(api.url) as s:
        lead = s.scalars(select(Lead)).one()
        assert (lead.email, lead.phone, lead.city) == ("anh.nguyen@gmail.com", "+84901234567", "Huế")
        assert s.scalars(select(Consent.purpose)).all() == ["email_marketing"]
        sources = sorted(e.source for e in s.scalars(select(Event)))
        assert sources == ["api", "api:landing"]
        kept = {r.id: r for r in s.scalars(select(RejectedRecord))}
        assert set(kept) == {x["rejected_id"] for x in results[2:]}
        assert kept[results[3]["rejected_id"]].raw["shoe_size"] == "38"
        assert kept[results[3]["rejected_id"]].reasons[0]["field"] == "shoe_size"


def test_a_repeated_external_id_is_a_duplicate_delivery_not_a_second_lead(api: Api) -> None:
    item = {**GOOD, "source": "shop", "external_id": "order-1"}
    api.post("/api/v1/leads/batch", api.admin, {"items": [item]})
    r = api.post("/api/v1/leads/batch", api.admin, {"items": [item]})
    assert r.json()["results"][0]["status"] == "duplicate_delivery"
    assert count(api.url, Lead) == 1


def test_a_batch_larger_than_a_thousand_items_is_refused_whole(api: Api) -> None:
    r = api.post("/api/v1/leads/batch", api.admin, {"items": [GOOD] * 1001})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert count(api.url, Lead) == 0


def test_a_sales_reps_batch_leads_are_theirs(api: Api) -> None:
    r = api.post("/api/v1/leads/batch", api.rep1, {"items": [GOOD]})
    with unit_of_work(api.url) as s:
        assert s.get(Lead, r.json()["results"][0]["lead_id"]).owner_id == api.rep1_id  # type: ignore[union-attr]


def test_the_batch_needs_the_leads_write_scope(api: Api) -> None:
    reader = api_token(api.url, "admin@x.vn", ["leads:read"], NOW)
    assert api.post("/api/v1/leads/batch", reader, {"items": [GOOD]}).status_code == 403


def test_the_same_key_and_body_replays_the_first_answer(api: Api) -> None:
    body = {"items": [GOOD, NO_CONTACT]}
    first = api.post("/api/v1/leads/batch", api.admin, body, key="k-1")
    again = api.post("/api/v1/leads/batch", api.admin, body, key="k-1")
    assert first.status_code == again.status_code == 200
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert count(api.url, Lead) == 1
    assert count(api.url, RejectedRecord) == 1
    assert count(api.url, Event) == 1


def test_the_same_key_with_another_body_is_refused(api: Api) -> None:
    api.post("/api/v1/leads/batch", api.admin, {"items": [GOOD]}, key="k-2")
    r = api.post("/api/v1/leads/batch", api.admin, {"items": [NO_CONTACT]}, key="k-2")
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "idempotency_key_reused"
    assert count(api.url, RejectedRecord) == 0


def test_keys_are_private_to_a_credential_and_a_path(api: Api) -> None:
    api.post("/api/v1/leads/batch", api.admin, {"items": [GOOD]}, key="shared")
    other = api.post("/api/v1/leads/batch", api.rep1, {"items": [NO_CONTACT]}, key="shared")
    assert other.status_code == 200
    assert "Idempotent-Replayed" not in other.headers
    assert count(api.url, IdempotencyKey) == 2


def test_concurrent_twins_write_once(api: Api) -> None:
    body = {"items": [{**GOOD, "email": f"twin{i}@congty.vn", "phone": None} for i in range(50)]}
    answers: list[Any] = []

    def send() -> None:
        answers.append(api.post("/api/v1/leads/batch", api.admin, body, key="twin"))

    threads = [threading.Thread(target=send) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert sum(a.headers.get("Idempotent-Replayed") == "true" for a in answers) == 2
    assert all(a.json() == answers[0].json() for a in answers)
    assert count(api.url, Lead) == 50


def test_events_batch_answers_each_item_and_hides_other_reps_leads(api: Api) -> None:
    mine = add_lead(api.url, _principal(api, "rep1@x.vn"), NOW, full_name="A", email="a@congty.vn")
    theirs = add_lead(api.url, _principal(api, "rep2@x.vn"), NOW, full_name="B", email="b@congty.vn")
    items = [
        {"lead_id": mine, "type": "page_view", "source": "web", "external_id": "v1"},
        {"email": "A@CongTy.vn", "type": "email_open", "occurred_at": "2026-11-25T09:00:00+07:00"},
        {"lead_id": theirs, "type": "page_view"},
        {"email": "b@congty.vn", "type": "page_view"},
        {"lead_id": mine, "type": "page_view", "source": "web", "external_id": "v1"},
        {"lead_id": mine, "type": "Bad Type!"},
        {"type": "page_view"},
        {"lead_id": mine, "type": "page_view", "occurred_at": "2099-01-01T00:00:00+00:00"},
    ]
    r = api.post("/api/v1/events/batch", api.rep1, {"items": items})
    assert r.status_code == 200, r.text
    statuses = [x["status"] for x in r.json()["results"]]
    assert statuses == [
        "created",
        "created",
        "not_found",
        "not_found",
        "duplicate",
        "invalid",
        "invalid",
        "invalid",
    ]
    results = r.json()["results"]
    assert results[4]["event_id"] == results[0]["event_id"]
    assert results[2]["lead_id"] is None
    assert r.json()["summary"] == {"created": 2, "duplicate": 1, "not_found": 2, "invalid": 3}
    again = api.post("/api/v1/events/batch", api.rep1, {"items": items[:1]})
    assert again.json()["results"][0] == {**results[0], "status": "duplicate"}
    with unit_of_work(api.url) as s:
        assert s.scalar(select(func.count()).select_from(Event).where(Event.lead_id == theirs)) == 0
        assert s.scalar(select(func.count()).select_from(Event).where(Event.lead_id == mine)) == 2


def test_events_batch_is_idempotent_by_key_and_needs_its_scope(api: Api) -> None:
    lead = add_lead(api.url, None, NOW, full_name="C", email="c@congty.vn")
    body = {"items": [{"lead_id": lead, "type": "call"}]}
    first = api.post("/api/v1/events/batch", api.admin, body, key="ev-1")
    again = api.post("/api/v1/events/batch", api.admin, body, key="ev-1")
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert count(api.url, Event) == 1
    writer = api_token(api.url, "admin@x.vn", ["leads:write"], NOW)
    assert api.post("/api/v1/events/batch", writer, body).status_code == 403


def _principal(api: Api, email: str) -> Any:
    from pheu.services import users
    from pheu.store import User

    with unit_of_work(api.url) as s:
        user = s.scalars(select(User).where(User.email == email)).one()
        return users.principal_for(user)
