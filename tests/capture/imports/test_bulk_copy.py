"""COPY (PostgreSQL, 200 rows and up) stores exactly what a plain INSERT stores: the same JSON, the same
instants whatever zone they were given in, and the ids handed back in the order of the rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import select

from pheu.db import unit_of_work
from pheu.store import RejectedRecord
from pheu.store.bulk import COPY_FROM, insert_many, insert_with_ids
from tests.factories import bare_lead_rows

VIETNAM = timezone(timedelta(hours=7))


def rows(n: int, start: int) -> list[dict[str, object]]:
    base = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
    out: list[dict[str, object]] = []
    for i in range(start, start + n):
        at = base + timedelta(minutes=i % 7)  # a few instants shared by many rows, as in a batch
        out.append(
            {
                "source": f"import:{i % 3}",
                "line": i,
                "raw": {"Họ và tên": f"Nguyễn Văn {i}", "note": 'say "hi"\t\\ ;'},
                # lists of text are encoded once per batch; lists of anything else each time ([1] and [True]
                # are equal keys, not equal JSON)
                "reasons": [
                    [{"field": "email", "code": "syntax", "n": i}],
                    ["email_role", "phone_invalid"],
                    [1, "a"],
                    [True, "a"],
                    [],
                ][i % 5],
                "status": "open",
                "lead_id": None,
                # the same instant, given in Vietnam's zone for odd rows
                "created_at": at.astimezone(VIETNAM) if i % 2 else at,
                "resolved_at": None if i % 5 else at + timedelta(seconds=i),
            }
        )
    return out


def test_copy_and_insert_store_the_same_values(db_url: str) -> None:
    big, small = rows(COPY_FROM + 50, 0), rows(20, 10_000)
    with unit_of_work(db_url) as session:
        big_ids = insert_with_ids(session, RejectedRecord, big)
        small_ids = insert_with_ids(session, RejectedRecord, small)
        insert_many(session, RejectedRecord, rows(COPY_FROM, 20_000))
    assert len(set(big_ids)) == len(big) and len(small_ids) == len(small)
    with unit_of_work(db_url) as session:
        stored = {r.id: r for r in session.scalars(select(RejectedRecord))}
        assert len(stored) == len(big) + len(small) + COPY_FROM
        for given, row_id in zip([*big, *small], [*big_ids, *small_ids], strict=True):
            row = stored[row_id]
            assert row.line == given["line"] and row.source == given["source"]
            assert row.raw == given["raw"] and row.reasons == given["reasons"]
            assert [type(x) for x in row.reasons] == [type(x) for x in given["reasons"]]
            assert row.created_at == given["created_at"]
            assert row.resolved_at == given["resolved_at"]


def test_a_big_update_sets_exactly_what_row_by_row_updates_set(db_url: str) -> None:
    """``update_many`` of many rows (the merges of an import chunk) stores what it is given: JSON, instants
    in any zone, NULLs, a lead's score in its score row, columns not given left alone, and for an id given
    twice its last values."""
    from pheu.store import Lead
    from pheu.store.bulk import update_many

    base = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
    leads = bare_lead_rows(COPY_FROM + 30, base)
    with unit_of_work(db_url) as session:
        ids = insert_with_ids(session, Lead, leads)
    changes = [
        {
            "id": lead_id,
            "full_name": f"Trần Thị {i}" if i % 3 else None,
            "flags": ["email_role"] if i % 2 else [],
            "updated_at": (base + timedelta(minutes=i)).astimezone(VIETNAM if i % 2 else UTC),
            "score": i,
        }
        for i, lead_id in enumerate(ids)
    ]
    again = {**changes[0], "full_name": "Lần sau cùng", "score": 999}
    with unit_of_work(db_url) as session:
        update_many(session, Lead, [*changes, again])
    with unit_of_work(db_url) as session:
        stored = {lead.id: lead for lead in session.scalars(select(Lead))}
    for change in changes[1:]:
        lead = stored[int(change["id"])]  # type: ignore[call-overload]
        assert (lead.full_name, lead.flags, lead.updated_at, lead.score) == (
            change["full_name"],
            change["flags"],
            change["updated_at"],
            change["score"],
        )
        assert lead.email is not None  # columns not given are left alone
    first = stored[ids[0]]
    assert (first.full_name, first.score) == ("Lần sau cùng", 999)
