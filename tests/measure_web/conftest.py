"""A demo pipeline (300 leads over six months, with campaign costs) in a fresh SQLite file, and clients logged
in through the real login form, for the dashboard, export and cost-page tests."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from pheu import db
from pheu.demo.seed import seed
from pheu.web.app import create_app

DEMO_PASSWORD = "pheu-demo"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('dashboard') / 'demo.db'}"
    db.upgrade(url)
    seed(url, n_leads=300, now=datetime.now(UTC))
    yield url
    db.get_engine(url).dispose()


def logged_in(url: str, email: str, password: str = DEMO_PASSWORD) -> TestClient:
    """A client whose session belongs to ``email``; its CSRF token is kept on ``client.csrf``."""
    client = TestClient(create_app(url), follow_redirects=False)
    token = csrf_from(client.get("/login").text)
    response = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    assert response.status_code == 303, response.text
    client.csrf = csrf_from(client.get("/leads").text)  # type: ignore[attr-defined]
    return client


def csrf_from(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no CSRF token"
    return found.group(1)


@pytest.fixture(scope="module")
def marketing(demo_url: str) -> Iterator[TestClient]:
    with logged_in(demo_url, "marketing@pheu.local") as client:
        yield client


@pytest.fixture(scope="module")
def rep(demo_url: str) -> Iterator[TestClient]:
    with logged_in(demo_url, "rep1@pheu.local") as client:
        yield client
