"""The page tests' pipeline (tests/web) on SQLite and PostgreSQL, with a marketer, the default model stored
and active, and every lead scored; clients log in through the real login form."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from pheu.auth.roles import Role
from pheu.db import unit_of_work
from pheu.services.scoring import ensure_default
from pheu.services.scoring_bulk import rescore_all
from pheu.store import ScoringModelVersion
from pheu.web.app import create_app
from tests.conftest import NOW
from tests.factories import add_user
from tests.web.conftest import Pipeline, build_pipeline, log_in

Login = Callable[[str], TestClient]


@dataclass(frozen=True)
class Scored:
    pipeline: Pipeline
    default_id: int  # the stored, active default model

    @property
    def url(self) -> str:
        return self.pipeline.url


def build_scored(url: str) -> Scored:
    pipeline = build_pipeline(url)
    add_user(url, "marketer@pheu.test", Role.MARKETING, NOW)
    with unit_of_work(url) as session:
        row = ensure_default(session, NOW)
        default_id = row.id
    rescore_all(url, NOW)
    return Scored(pipeline, default_id)


@pytest.fixture
def scored(db_url: str) -> Scored:
    return build_scored(db_url)


@pytest.fixture
def login(scored: Scored) -> Iterator[Login]:
    """``login("rep1@pheu.test")``: a client logged in as that user; its CSRF token is ``client.csrf``."""
    clients: list[TestClient] = []

    def make(email: str) -> TestClient:
        client = TestClient(create_app(scored.url), follow_redirects=False)
        client.__enter__()
        clients.append(client)
        client.csrf = log_in(client, email)  # type: ignore[attr-defined]
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def versions(url: str) -> list[tuple[int, str, int, bool]]:
    """(id, name, version, active) of every stored model, oldest first."""
    with unit_of_work(url) as session:
        rows = session.scalars(select(ScoringModelVersion).order_by(ScoringModelVersion.id))
        return [(r.id, r.name, r.version, r.active) for r in rows]
