"""The leads API on SQLite and PostgreSQL: create, read, update, list, move, events, keys and roles."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from pheu.auth.roles import Role
from pheu.db import unit_of_work
from pheu.store import AuditEntry, StageChange
from pheu.web.app import create_app
from tests.conftest import NOW
from tests.factories import add_channels, add_user, api_token

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

    def h(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def create(self, token: str, **body: object) -> dict[str, object]:
        r = self.client.post("/api/v1/leads", json=body, headers=self.h(token))
        assert r.status_code == 201, r.text
        return dict(r.json())


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


def test_health_answers_without_a_key(api: Api) -> None:
    r = api.client.get("/api/v1/health")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"
    assert r.json()["database"] in {"sqlite", "postgresql"}


def test_requests_without_a_key_get_a_problem_document(api: Api) -> None:
    r = api.client.get("/api/v1/leads")
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == 401
    assert body["title"]
    assert body["detail"]
    assert body["instance"] == "/api/v1/leads"
    assert api.client.get("/api/v1/leads", headers=api.h("pheu_nope_nope")).status_code == 401


def test_create_normalises_contacts_and_records_the_first_stage(api: Api) -> None:
    lead = api.create(
        api.admin,
        full_name="  Nguyễn   Văn Anh ",
        email="Anh.Nguyen@Gmail.COM",
        phone="090 123 4567",
        channel="facebook_ads",
        utm_source="facebook",
        consents=[{"purpose": "email_marketing", "granted": True, "source": "form:ebook"}],
    )
    assert lead["full_name"] == "Nguyễn Văn Anh"
    assert lead["email"] == "anh.nguyen@gmail.com"
    assert lead["phone"] == "+84901234567"
    assert lead["stage"] == "iql"
    assert lead["channel"] == "facebook_ads"
    assert lead["consents"][0]["purpose"] == "email_marketing"
    assert lead["consents"][0]["granted"] is True
    history = api.client.get(f"/api/v1/leads/{lead['id']}/stages", headers=api.h(api.admin)).json()
    assert [(h["from_stage"], h["to_stage"]) for h in history] == [(None, "iql")]


def test_create_rejects_bad_input_with_the_field_named(api: Api) -> None:
    r = api.client.post("/api/v1/leads", json={"full_name": "Không liên lạc"}, headers=api.h(api.admin))
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "email"
    r = api.client.post("/api/v1/leads", json={"email": "a@b.vn", "phone": "12"}, headers=api.h(api.admin))
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "phone"
    r = api.client.post(
        "/api/v1/leads", json={"email": "a@b.vn", "channel": "myspace"}, headers=api.h(api.admin)
    )
    assert r.status_code == 422
    assert "facebook_ads" in r.json()["detail"]
    r = api.client.post("/api/v1/leads", json={"email": "a@b.vn", "shoe_size": 42}, headers=api.h(api.admin))
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "shoe_size"


def test_update_changes_only_sent_fields_and_writes_the_audit_log(api: Api) -> None:
    lead = api.create(api.admin, full_name="Trần Thị Bích", email="bich@x.vn", company="Cty A")
    r = api.client.patch(f"/api/v1/leads/{lead['id']}", json={"company": "Cty B"}, headers=api.h(api.admin))
    assert r.status_code == 200
    assert r.json()["company"] == "Cty B"
    assert r.json()["email"] == "bich@x.vn"
    with unit_of_work(api.url) as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "update")).one()
        assert entry.entity_id == str(lead["id"])
        assert entry.changes == {"company": ["Cty A", "Cty B"]}
        assert entry.actor_label.startswith("Admin")


def test_text_search_ignores_tones_and_case(api: Api) -> None:
    api.create(api.admin, full_name="Nguyễn Văn Anh", email="a1@x.vn")
    api.create(api.admin, full_name="Nguyễn Thị Ánh", email="a2@x.vn")
    api.create(api.admin, full_name="Lê Văn Tám", phone="0912345678")

    def names(q):
        return [
            x["full_name"]
            for x in api.client.get("/api/v1/leads", params={"q": q}, headers=api.h(api.admin)).json()[
                "items"
            ]
        ]

    assert names("nguyen van anh") == ["Nguyễn Văn Anh"]
    assert sorted(names("NGUYEN")) == ["Nguyễn Thị Ánh", "Nguyễn Văn Anh"]
    assert names("0912345678") == ["Lê Văn Tám"]
    assert names("100%_") == []


def test_list_filters_sorts_and_pages_with_a_cursor(api: Api) -> None:
    for i in range(7):
        api.create(
            api.admin, full_name=f"Khách {i}", email=f"k{i}@x.vn", channel="seo" if i % 2 else "facebook_ads"
        )
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, object] = {"channel": "facebook_ads", "sort": "name", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        body = api.client.get("/api/v1/leads", params=params, headers=api.h(api.admin)).json()
        seen += [x["full_name"] for x in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == ["Khách 0", "Khách 2", "Khách 4", "Khách 6"]
    newest = api.client.get(
        "/api/v1/leads", params={"sort": "-created_at", "limit": 1}, headers=api.h(api.admin)
    )
    assert newest.json()["items"][0]["full_name"] == "Khách 6"
    bad = api.client.get("/api/v1/leads", params={"cursor": "garbage!"}, headers=api.h(api.admin))
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "cursor"
    bad = api.client.get("/api/v1/leads", params={"sort": "shoe"}, headers=api.h(api.admin))
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["location"] == "query"


def test_a_sales_rep_sees_and_changes_only_their_own_leads(api: Api) -> None:
    mine = api.create(api.rep1, full_name="Của Rep1", email="r1@x.vn")
    theirs = api.create(api.admin, full_name="Của Rep2", email="r2@x.vn", owner_id=api.rep2_id)
    assert mine["owner"]["id"] == api.rep1_id
    listed = api.client.get("/api/v1/leads", headers=api.h(api.rep1)).json()["items"]
    assert [x["id"] for x in listed] == [mine["id"]]
    for method, path, body in [
        ("GET", f"/api/v1/leads/{theirs['id']}", None),
        ("PATCH", f"/api/v1/leads/{theirs['id']}", {"company": "x"}),
        ("POST", f"/api/v1/leads/{theirs['id']}/stage", {"stage": "mql"}),
        ("GET", f"/api/v1/leads/{theirs['id']}/events", None),
        ("POST", f"/api/v1/leads/{theirs['id']}/events", {"type": "call"}),
    ]:
        r = api.client.request(method, path, json=body, headers=api.h(api.rep1))
        assert r.status_code == 404, (method, path, r.text)
    r = api.client.patch(
        f"/api/v1/leads/{mine['id']}", json={"owner_id": api.rep2_id}, headers=api.h(api.rep1)
    )
    assert r.status_code == 403
    assert len(api.client.get("/api/v1/leads", headers=api.h(api.admin)).json()["items"]) == 2


def test_scopes_limit_what_a_key_can_do(api: Api) -> None:
    read_only = api_token(api.url, "admin@x.vn", ["leads:read"], NOW)
    assert api.client.get("/api/v1/leads", headers=api.h(read_only)).status_code == 200
    r = api.client.post("/api/v1/leads", json={"email": "a@x.vn"}, headers=api.h(read_only))
    assert r.status_code == 403
    assert "leads:write" in r.json()["detail"]


def test_stage_moves_follow_the_lifecycle_and_are_recorded(api: Api) -> None:
    lead = api.create(api.admin, full_name="Phạm Minh", email="minh@x.vn")
    path = f"/api/v1/leads/{lead['id']}/stage"
    r = api.client.post(path, json={"stage": "customer"}, headers=api.h(api.admin))
    assert r.status_code == 422
    assert r.json()["code"] == "illegal_move:move_not_allowed"
    assert "mql" in r.json()["detail"]
    r = api.client.post(path, json={"stage": "mql", "reason": "Tải ebook"}, headers=api.h(api.admin))
    assert r.status_code == 201
    assert r.json()["from_stage"] == "iql"
    assert r.json()["actor_type"] == "api"
    r = api.client.post(path, json={"stage": "lost"}, headers=api.h(api.admin))
    assert r.json()["code"] == "illegal_move:reason_required"
    api.client.post(path, json={"stage": "lost", "reason": "Giá cao"}, headers=api.h(api.admin))
    got = api.client.get(f"/api/v1/leads/{lead['id']}", headers=api.h(api.admin)).json()
    assert got["stage"] == "lost"
    assert got["lost_reason"] == "Giá cao"
    with unit_of_work(api.url) as s:
        moves = s.scalars(
            select(StageChange).where(StageChange.lead_id == lead["id"]).order_by(StageChange.id)
        )
        assert [(m.from_stage, m.to_stage, m.reason) for m in moves] == [
            (None, "iql", "created"),
            ("iql", "mql", "Tải ebook"),
            ("mql", "lost", "Giá cao"),
        ]


def test_recruitment_leads_are_refused_sales_stages(api: Api) -> None:
    lead = api.create(
        api.admin, full_name="Ứng viên", email="cv@x.vn", kind="recruitment", lead_magnet="job_application"
    )
    assert lead["stage"] == "applicant"
    r = api.client.post(f"/api/v1/leads/{lead['id']}/stage", json={"stage": "mql"}, headers=api.h(api.admin))
    assert r.status_code == 422
    assert r.json()["code"] == "illegal_move:recruitment_not_sales"
    listed = api.client.get("/api/v1/leads", params={"kind": "sales"}, headers=api.h(api.admin)).json()[
        "items"
    ]
    assert lead["id"] not in [x["id"] for x in listed]


def test_events_are_added_once_per_external_id_and_listed_newest_first(api: Api) -> None:
    lead = api.create(api.admin, email="ev@x.vn")
    path = f"/api/v1/leads/{lead['id']}/events"
    first = api.client.post(
        path,
        json={
            "type": "email_open",
            "occurred_at": "2026-11-20T09:00:00+07:00",
            "source": "mailer",
            "external_id": "m-1",
        },
        headers=api.h(api.admin),
    )
    assert first.status_code == 201
    again = api.client.post(
        path,
        json={
            "type": "email_open",
            "occurred_at": "2026-11-20T09:00:00+07:00",
            "source": "mailer",
            "external_id": "m-1",
        },
        headers=api.h(api.admin),
    )
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    api.client.post(
        path,
        json={"type": "page_view", "occurred_at": "2026-11-21T09:00:00+07:00", "properties": {"url": "/gia"}},
        headers=api.h(api.admin),
    )
    future = api.client.post(
        path, json={"type": "call", "occurred_at": "2099-01-01T00:00:00Z"}, headers=api.h(api.admin)
    )
    assert future.status_code == 422
    assert future.json()["errors"][0]["field"] == "occurred_at"
    listed = api.client.get(path, headers=api.h(api.admin)).json()["items"]
    assert [e["type"] for e in listed] == ["page_view", "email_open"]
    assert listed[0]["properties"] == {"url": "/gia"}
    assert listed[1]["occurred_at"].startswith("2026-11-20T02:00:00")


def test_openapi_schema_lists_the_v1_routes(api: Api) -> None:
    paths = api.client.get("/openapi.json").json()["paths"]
    assert {
        "/api/v1/leads",
        "/api/v1/leads/{lead_id}",
        "/api/v1/leads/{lead_id}/stage",
        "/api/v1/health",
    } <= set(paths)


def test_search_follows_renames_and_forgets_old_names(api: Api) -> None:
    lead = api.create(api.admin, full_name="Đỗ Hùng", email="hung@x.vn")
    api.client.patch(
        f"/api/v1/leads/{lead['id']}", json={"full_name": "Vũ Thị Mai"}, headers=api.h(api.admin)
    )

    def ids(q: str) -> list[int]:
        r = api.client.get("/api/v1/leads", params={"q": q}, headers=api.h(api.admin))
        return [x["id"] for x in r.json()["items"]]

    assert ids("vu thi mai") == [lead["id"]]
    assert ids("do hung") == []


def test_common_search_terms_take_the_scan_path_and_find_the_same_leads(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pheu.services import leads as lead_service

    for i, name in enumerate(["Nguyễn An", "Nguyễn Bình", "Lê Chi"]):
        api.create(api.admin, full_name=name, email=f"k{i}@congty.vn")
    monkeypatch.setattr(lead_service, "FTS_SELECTIVE", 1)
    r = api.client.get("/api/v1/leads", params={"q": "nguyen", "sort": "name"}, headers=api.h(api.admin))
    assert [x["full_name"] for x in r.json()["items"]] == ["Nguyễn An", "Nguyễn Bình"]
    r = api.client.get("/api/v1/leads", params={"q": "le chi"}, headers=api.h(api.admin))
    assert [x["full_name"] for x in r.json()["items"]] == ["Lê Chi"]
