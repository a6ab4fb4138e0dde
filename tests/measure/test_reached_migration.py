"""Migration 0008 fills ``leads.reached_*_at`` for the moves stored before it, and undoes cleanly."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Connection, create_engine, inspect, text
from sqlalchemy.engine import make_url

from pheu.db import alembic_config, upgrade
from tests.conftest import PG_URL

LEVELS = ("mql", "sql", "opportunity", "customer")
COLUMNS = ", ".join(f"reached_{level}_at" for level in LEVELS)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no schema at all, of each kind, to migrate step by step."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/steps.db"
        return
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"pheu_test_steps_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # any connection failure means "no PostgreSQL here"
        admin.dispose()
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {exc.__class__.__name__}")
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 3, day, hour)  # naive UTC, as both databases store it


def _lead(conn: Connection, lead_id: int, kind: str, *moves: tuple[str, datetime]) -> None:
    conn.execute(
        text(
            "INSERT INTO leads (id, kind, stage, interests, country, score, flags, search_key, name_key, "
            "created_at, updated_at, stage_changed_at) "
            "VALUES (:id, :kind, :stage, '[]', 'VN', 0, '[]', '', '', :at, :at, :at)"
        ),
        {"id": lead_id, "kind": kind, "stage": moves[-1][0], "at": moves[0][1]},
    )
    for stage, when in moves:
        conn.execute(
            text(
                "INSERT INTO stage_changes (lead_id, to_stage, at, actor_type, actor_label, reason) "
                "VALUES (:lead, :stage, :at, 'import', '', '')"
            ),
            {"lead": lead_id, "stage": stage, "at": when},
        )


def _reached(conn: Connection) -> dict[int, tuple[Any, ...]]:
    rows = conn.execute(text(f"SELECT id, {COLUMNS} FROM leads ORDER BY id"))
    return {row[0]: tuple(_naive(v) for v in row[1:]) for row in rows}


def _naive(value: Any) -> datetime | None:
    """SQLite answers text, PostgreSQL a datetime: both as naive UTC datetimes."""
    if value is None:
        return None
    return datetime.fromisoformat(value) if isinstance(value, str) else value.replace(tzinfo=None)


def test_moves_stored_before_0008_fill_the_columns_and_0008_undoes(empty_url: str) -> None:
    upgrade(empty_url, "0007")
    engine = create_engine(empty_url)
    with engine.begin() as conn:
        _lead(
            conn, 1, "sales", ("iql", at(1)), ("mql", at(2)), ("sql", at(4)), ("mql", at(5)), ("sql", at(6))
        )
        _lead(conn, 2, "sales", ("iql", at(1)), ("opportunity", at(3)), ("lost", at(7)), ("mql", at(9)))
        _lead(conn, 3, "sales", ("iql", at(2)), ("lost", at(3)))
        _lead(conn, 4, "recruitment", ("applicant", at(2)), ("interview", at(3)), ("hired", at(4)))
        _lead(conn, 5, "sales", ("iql", at(1)), ("customer", at(8)), ("mql", at(2)))  # stored out of order
    upgrade(empty_url)
    want = {
        1: (at(2), at(4), None, None),
        2: (at(3), at(3), at(3), None),
        3: (None, None, None, None),
        4: (None, None, None, None),
        5: (at(2), at(8), at(8), at(8)),
    }
    with engine.connect() as conn:
        assert _reached(conn) == want
    with engine.begin() as conn:  # the triggers are live from here on
        conn.execute(
            text(
                "INSERT INTO stage_changes (lead_id, to_stage, at, actor_type, actor_label, reason) "
                "VALUES (3, 'sql', :at, 'user', '', '')"
            ),
            {"at": at(10)},
        )
    with engine.connect() as conn:
        assert _reached(conn)[3] == (at(10), at(10), None, None)

    command.downgrade(alembic_config(empty_url), "0007")
    columns = {c["name"] for c in inspect(engine).get_columns("leads")}
    assert not columns & {f"reached_{level}_at" for level in LEVELS}
    with engine.begin() as conn:  # no trigger is left behind to name the dropped columns
        conn.execute(
            text(
                "INSERT INTO stage_changes (lead_id, to_stage, at, actor_type, actor_label, reason) "
                "VALUES (3, 'opportunity', :at, 'user', '', '')"
            ),
            {"at": at(11)},
        )
    upgrade(empty_url)
    with engine.connect() as conn:
        assert _reached(conn)[3] == (at(10), at(10), at(11), None)
    engine.dispose()
