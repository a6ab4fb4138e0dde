"""Real databases for every test that touches storage: a fresh SQLite file and a fresh PostgreSQL database.

PostgreSQL comes from ``PHEU_TEST_POSTGRES_URL`` (default: the local server, database ``test``); the suite
creates its own database beside it so it never touches data it did not make. When PostgreSQL cannot be
reached the PostgreSQL half is skipped with a reason, and CI fails on that skip.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import create_engine, text
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import make_url

from pheu import db
from pheu.store import Base

PG_URL = os.environ.get("PHEU_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)

# Property tests check what holds, not how fast: on a shared 2-core machine an example can take seconds, and
# a deadline or "too slow" failure there says nothing about the code.
settings.register_profile("pheu", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("pheu")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    db.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"pheu_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # any connection failure means "no PostgreSQL here"
        admin.dispose()
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {exc.__class__.__name__}")
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    db.upgrade(url)
    yield url
    _dispose(url)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _dispose(url: str) -> None:
    db.get_engine(url).dispose()
    db.get_engine.cache_clear()
    db._factory.cache_clear()


def _truncate_all(url: str) -> None:
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with db.get_engine(url).begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


def _every_lead_has_its_score_row(url: str) -> None:
    """A lead without a ``lead_scores`` row would vanish from every ORM read (``Lead`` maps the join), so
    each test's database is checked for one after the test, whatever path wrote its leads."""
    engine = db.get_engine(url)
    if not sa_inspect(engine).has_table("lead_scores"):
        return
    with engine.connect() as conn:
        orphans = conn.scalar(
            text(
                "SELECT count(*) FROM leads WHERE NOT EXISTS (SELECT 1 FROM lead_scores WHERE lead_id = leads.id)"
            )
        )
    assert orphans == 0, f"{orphans} lead(s) were written without a lead_scores row"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    """A migrated, empty database of each kind; tests using it run once per kind."""
    if request.param == "sqlite":
        path = tmp_path / "pheu.db"
        shutil.copy(sqlite_template, path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("pg_database")
        _truncate_all(url)
    yield url
    _every_lead_has_its_score_row(url)
    if request.param == "sqlite":
        _dispose(url)


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    """Only SQLite, for tests where the storage engine is not the point (pages, CLI)."""
    path = tmp_path / "pheu.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    yield url
    _every_lead_has_its_score_row(url)
    _dispose(url)
