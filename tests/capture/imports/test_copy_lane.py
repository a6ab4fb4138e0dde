"""COPYs sent on a lane (``store.copy_lane``) land as if sent inline: the next statement sees them, a failed
COPY fails the block and its transaction, and an error in the block waits for the lane before rolling back."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from sqlalchemy import func, select

from pheu.db import unit_of_work
from pheu.store import Event, Lead
from pheu.store.bulk import COPY_FROM, insert_many, insert_with_ids
from pheu.store.copy_lane import CopyFailed, lane_of, overlapped
from tests.factories import bare_lead_rows

AT = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
N = COPY_FROM + 50


def _events(lead_ids: list[int]) -> list[dict[str, Any]]:
    return [
        {
            "lead_id": lead_id,
            "type": "form_submit",
            "occurred_at": AT,
            "properties": {"n": n},
            "source": "test",
            "external_id": None,
            "created_at": AT,
        }
        for n, lead_id in enumerate(lead_ids)
    ]


def _count(url: str, model: Any) -> int:
    with unit_of_work(url) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_the_next_statement_sees_what_the_lane_copied(db_url: str) -> None:
    with unit_of_work(db_url) as session, overlapped(session):
        assert (lane_of(session) is not None) == db_url.startswith("postgresql")
        ids = insert_with_ids(session, Lead, bare_lead_rows(N, AT))
        insert_many(session, Event, _events(ids))  # its foreign key needs the leads' COPY to be done
        assert session.scalar(select(func.count()).select_from(Event)) == N
        assert session.scalar(select(func.max(Lead.id))) == max(ids)
    assert lane_of(session) is None
    assert _count(db_url, Lead) == N and _count(db_url, Event) == N


def test_a_failed_copy_fails_the_block_and_nothing_of_it_lands(pg_database: str) -> None:
    from tests.conftest import _truncate_all

    _truncate_all(pg_database)
    with (  # noqa: PT012 - the failure surfaces at the statement after the COPY
        pytest.raises(CopyFailed, match="COPY into events failed") as failed,
        unit_of_work(pg_database) as session,
        overlapped(session),
    ):
        ids = insert_with_ids(session, Lead, bare_lead_rows(N, AT))
        insert_many(session, Event, _events([*ids[:-1], max(ids) + 1_000]))  # one event of no lead
        session.scalar(select(func.count()).select_from(Event))
        pytest.fail("the statement after a failed COPY ran")
    assert isinstance(failed.value.__cause__, psycopg.errors.ForeignKeyViolation)
    assert _count(pg_database, Lead) == 0 and _count(pg_database, Event) == 0


def test_an_error_in_the_block_waits_for_the_lane_and_rolls_back(pg_database: str) -> None:
    from tests.conftest import _truncate_all

    _truncate_all(pg_database)

    class Stop(Exception):
        pass

    with pytest.raises(Stop), unit_of_work(pg_database) as session, overlapped(session):  # noqa: PT012
        insert_with_ids(session, Lead, bare_lead_rows(N * 20, AT))
        raise Stop
    assert _count(pg_database, Lead) == 0
    with unit_of_work(pg_database) as session:  # the connection went back to the pool usable
        insert_with_ids(session, Lead, bare_lead_rows(N, AT))
    assert _count(pg_database, Lead) == N
