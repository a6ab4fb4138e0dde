"""The review pages over HTTP: who may open them, comparing and merging a pair, undo, fixing a record, CSV."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from pheu.auth.roles import Role
from pheu.capture.intake import CaptureContext, capture_many
from pheu.capture.record import IncomingLead
from pheu.db import unit_of_work
from pheu.lifecycle import ActorType
from pheu.store import DuplicateCandidate, Lead, LeadMerge, RejectedRecord
from pheu.web.app import create_app
from tests.conftest import NOW
from tests.factories import add_lead, add_user
from tests.web.conftest import Pipeline, build_pipeline, log_in

FORM = CaptureContext(event_type="form_submit", actor_type=ActorType.SYSTEM, actor_label="form")


@pytest.fixture
def pipeline(db_url: str) -> Pipeline:
    """The page tests' pipeline, plus a look-alike of Nguyễn Văn Anh, a marketer and a rejected submission."""
    built = build_pipeline(db_url)
    add_user(db_url, "marketing@pheu.test", Role.MARKETING, NOW)
    add_lead(db_url, None, NOW, full_name="Nguyen Van Anh", company="Cty Hoa Sen", email="vananh@hoasen.vn")
    with unit_of_work(db_url) as s:
        bad = IncomingLead(
            fields={"full_name": "Đỗ Minh Tâm", "phone": "12345", "company": "=cmd"}, source="form:ebook"
        )
        capture_many(s, [bad], FORM, NOW)
    return built


@pytest.fixture
def client(pipeline: Pipeline) -> Iterator[TestClient]:
    with TestClient(create_app(pipeline.url), follow_redirects=False) as test_client:
        yield test_client


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/duplicates"),
        ("get", "/duplicates/merges"),
        ("get", "/duplicates/1"),
        ("post", "/duplicates/scan"),
        ("get", "/rejected"),
        ("get", "/rejected/1"),
        ("get", "/rejected/export.csv"),
        ("post", "/rejected/1/discard"),
    ],
)
def test_a_sales_rep_cannot_open_the_review_pages(client: TestClient, method: str, path: str) -> None:
    token = log_in(client, "rep1@pheu.test")
    response = client.request(method.upper(), path, data={"csrf_token": token} if method == "post" else None)
    assert response.status_code == 403


def test_only_reviewers_see_the_review_links(client: TestClient) -> None:
    log_in(client, "rep1@pheu.test")
    page = client.get("/leads").text
    assert 'href="/duplicates"' not in page and 'href="/rejected"' not in page
    for email in ("admin@pheu.test", "manager@pheu.test", "marketing@pheu.test"):
        client.cookies.clear()
        log_in(client, email)
        page = client.get("/leads").text
        assert 'href="/duplicates"' in page and 'href="/rejected"' in page, email
        assert client.get("/duplicates").status_code == 200
        assert client.get("/rejected").status_code == 200


def test_scan_compare_merge_and_undo_from_the_pages(client: TestClient, pipeline: Pipeline) -> None:
    token = log_in(client, "manager@pheu.test")
    assert client.get("/duplicates").text.count('href="/duplicates/') == 1  # the history tab only
    scanned = client.post("/duplicates/scan", data={"csrf_token": token})
    assert scanned.status_code == 303
    listing = client.get("/duplicates").text
    found = re.search(r'href="/duplicates/(\d+)"', listing)
    assert found and "Nguyen Van Anh" in listing
    candidate = int(found.group(1))
    with unit_of_work(pipeline.url) as s:
        look_alike = s.scalars(select(Lead.id).where(Lead.email == "vananh@hoasen.vn")).one()
    page = client.get(f"/duplicates/{candidate}")
    assert page.status_code == 200
    assert "Nguyễn Văn Anh" in page.text and "Nguyen Van Anh" in page.text
    assert 'data-differs="true"' in page.text and 'name="choice_email"' in page.text
    merged = client.post(
        f"/duplicates/{candidate}/merge",
        data={"csrf_token": token, "keep": str(pipeline.anh_id), "choice_full_name": str(pipeline.anh_id)},
    )
    assert (merged.status_code, merged.headers["location"]) == (303, "/duplicates/merges")
    with unit_of_work(pipeline.url) as s:
        assert s.get(Lead, look_alike) is None
        merge = s.scalars(select(LeadMerge)).one()
    history = client.get("/duplicates/merges").text
    assert f"/duplicates/merges/{merge.id}/undo" in history
    undone = client.post(f"/duplicates/merges/{merge.id}/undo", data={"csrf_token": token})
    assert undone.status_code == 303
    with unit_of_work(pipeline.url) as s:
        assert s.get(Lead, look_alike) is not None
        assert s.scalars(select(DuplicateCandidate.status)).one() == "open"
    again = client.post(f"/duplicates/merges/{merge.id}/undo", data={"csrf_token": token})
    assert again.status_code == 303
    assert "Lần gộp này đã được hoàn tác." in client.get("/duplicates/merges").text


def test_not_a_duplicate_closes_the_pair(client: TestClient, pipeline: Pipeline) -> None:
    token = log_in(client, "admin@pheu.test")
    client.post("/duplicates/scan", data={"csrf_token": token})
    with unit_of_work(pipeline.url) as s:
        candidate = s.scalars(select(DuplicateCandidate.id)).one()
    assert client.post(f"/duplicates/{candidate}/dismiss", data={"csrf_token": token}).status_code == 303
    assert "Không có cặp nào cần xem xét" in client.get("/duplicates").text


def test_a_rejected_record_is_fixed_from_its_form(client: TestClient, pipeline: Pipeline) -> None:
    token = log_in(client, "marketing@pheu.test")
    listing = client.get("/rejected?source=form:ebook").text
    assert "Đỗ Minh Tâm" in listing and "12345" in listing
    assert "&#39;12345&#39; thiếu chữ số so với một số điện thoại." in listing  # the reason, in Vietnamese
    english = client.get("/rejected?source=form:ebook&lang=en").text
    assert "has too few digits for a phone number in VN" in english
    with unit_of_work(pipeline.url) as s:
        record = s.scalars(select(RejectedRecord)).one()
    page = client.get(f"/rejected/{record.id}").text
    assert 'name="key" value="phone"' in page
    keys = ["email", "full_name", "phone", "company"]
    values = ["", "Đỗ Minh Tâm", "0903456127", "Tâm Co"]
    fixed = client.post(
        f"/rejected/{record.id}/fix", data={"csrf_token": token, "key": keys, "value": values}
    )
    assert fixed.status_code == 303 and fixed.headers["location"].startswith("/leads/")
    assert "Đỗ Minh Tâm" in client.get(fixed.headers["location"]).text
    assert "Không có gì cần sửa" in client.get("/rejected").text


def test_the_csv_download_is_an_escaped_attachment(client: TestClient) -> None:
    log_in(client, "admin@pheu.test")
    response = client.get("/rejected/export.csv?status=all")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert "'=cmd" in response.text
