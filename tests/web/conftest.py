"""A small pipeline for the page tests: an admin, two sales reps, a handful of leads (one per rep named with
full Vietnamese diacritics), a campaign and a few events, in a fresh SQLite database."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from pheu.auth.roles import Role
from pheu.db import unit_of_work
from pheu.services import events
from pheu.services.schemas import ConsentIn, EventIn
from pheu.store import Campaign
from pheu.web.app import create_app
from tests.conftest import NOW
from tests.factories import add_channels, add_lead, add_user

PASSWORD = "correct-horse"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class Pipeline:
    url: str
    anh_id: int  # Nguyễn Văn Anh, owned by rep1
    binh_id: int  # Trần Thị Bình, owned by rep2
    applicant_id: int  # a job applicant, owned by nobody


def build_pipeline(url: str) -> Pipeline:
    """Users admin@, manager@, rep1@, rep2@ (password ``correct-horse``) and their leads."""
    add_channels(url)
    with unit_of_work(url) as session:
        session.add(
            Campaign(name="Tết 2027 – Ưu đãi sớm", channel_id=1, utm_campaign="tet-2027", created_at=NOW)
        )
    admin = add_user(url, "admin@pheu.test", Role.ADMIN, NOW)
    add_user(url, "manager@pheu.test", Role.SALES_MANAGER, NOW)
    rep1 = add_user(url, "rep1@pheu.test", Role.SALES_REP, NOW)
    rep2 = add_user(url, "rep2@pheu.test", Role.SALES_REP, NOW)
    consent = ConsentIn(purpose="email_marketing", granted=True, source="landing page form")
    anh = add_lead(
        url, rep1, NOW - timedelta(days=3), full_name="Nguyễn Văn Anh", email="anh.nguyen@example.vn",
        phone="0912345678", company="Công ty TNHH Hoa Sen", job_title="Giám đốc", channel="facebook_ads",
        utm_source="facebook", utm_campaign="tet-2027", landing_page="https://pheu.test/uu-dai",
        lead_magnet="coupon", consents=[consent],
    )  # fmt: skip
    binh = add_lead(
        url, rep2, NOW - timedelta(days=2), full_name="Trần Thị Bình", email="binh.tran@example.vn",
        company="Cửa hàng Bình An", channel="seo",
    )  # fmt: skip
    add_lead(url, rep1, NOW - timedelta(days=1), full_name="Lê Hoàng Nam", email="nam.le@example.vn")
    applicant = add_lead(
        url,
        admin,
        NOW - timedelta(hours=5),
        full_name="Phạm Thu Hà",
        email="ha.pham@example.vn",
        kind="recruitment",
    )
    with unit_of_work(url) as session:
        events.add_event(
            session, admin, anh, EventIn(type="email_open", properties={"subject": "Ưu đãi Tết"}), NOW
        )
        events.add_event(session, admin, anh, EventIn(type="pricing_view", source="web"), NOW)
    return Pipeline(url=url, anh_id=anh, binh_id=binh, applicant_id=applicant)


@pytest.fixture
def pipeline(sqlite_url: str) -> Pipeline:
    return build_pipeline(sqlite_url)


@pytest.fixture
def client(pipeline: Pipeline) -> Iterator[TestClient]:
    with TestClient(create_app(pipeline.url), follow_redirects=False) as test_client:
        yield test_client


def csrf_from(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def log_in(client: TestClient, email: str, password: str = PASSWORD) -> str:
    """Log in through the form; returns the session's CSRF token for later posts."""
    token = csrf_from(client.get("/login").text)
    response = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    assert response.status_code == 303, response.text
    return csrf_from(client.get("/leads").text)
