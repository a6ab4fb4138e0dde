"""Set-wise inserts that hand back the new primary keys without INSERT … RETURNING.

SQLAlchemy's batched RETURNING re-assembles result rows one by one and dominated import time (tens of
seconds per 10,000 rows), so keys are obtained the way each database makes cheap: PostgreSQL hands out a
block of sequence values up front; SQLite has a single writer, so once the rows are in, the transaction
holds the write lock and the highest ids are exactly the rows just written.

A lead is two rows (``leads`` and its ``lead_scores`` row, see ``store.leads``): given ``Lead``, these
functions split each row's score columns off and write the score rows too, so no bulk path can leave a lead
without one (the ORM joins the two, so such a lead would vanish from every list). The one exception is asked
for by name: intake scores the leads it creates before their score rows exist and writes those rows once,
with their scores (``insert_with_ids(..., score_rows=False)`` then ``insert_scores``), in one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any, Final

from sqlalchemy import JSON, Table, bindparam, insert, select, text, update
from sqlalchemy.orm import Session

from pheu.store.base import Base, UTCDateTime
from pheu.store.copy_lane import lane_of
from pheu.store.leads import LEAD_SCORES, LEADS, SCORE_COLUMNS

SCORE_SET: Final = frozenset(SCORE_COLUMNS)


def table_of(model: type[Base]) -> Table:
    """The Core table (for ``Lead``, the ``leads`` table without its score): executemany on it sends one
    statement for all rows, where the ORM's bulk path splits rows by which of their values are None and sends
    a statement per group."""
    table = model.__mapper__.tables[0]
    assert isinstance(table, Table)
    return table


def _split_scores(
    model: type[Base], rows: Sequence[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]] | None:
    """For ``Lead`` rows: the rows without their score columns, and the score values per row (maybe empty
    dicts, for the defaults). ``None`` for any other model."""
    if model.__mapper__.tables[0] is not LEADS:
        return None
    if not rows or not SCORE_SET.intersection(rows[0]):
        return list(rows), [{} for _ in rows]
    plain = [{k: v for k, v in row.items() if k not in SCORE_SET} for row in rows]
    scores = [{k: v for k, v in row.items() if k in SCORE_SET} for row in rows]
    return plain, scores


def insert_scores(session: Session, ids: Sequence[int], scores: Sequence[dict[str, Any]]) -> None:
    """The score rows of newly inserted leads, all with the keys of the first (columns left out take their
    defaults)."""
    keys = list(scores[0]) if scores else []
    rows = [
        {"lead_id": i, "score": 0, **{k: s.get(k) for k in keys}} for i, s in zip(ids, scores, strict=True)
    ]
    if len(rows) >= COPY_FROM and session.get_bind().dialect.name == "postgresql":
        _copy(session, LEAD_SCORES, rows)
    elif rows:
        session.execute(insert(LEAD_SCORES), rows)


# Below this many rows a plain executemany is as quick as COPY and simpler to read in a query log.
COPY_FROM = 200


def insert_many(session: Session, model: type[Base], rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows that all carry the same keys: COPY on PostgreSQL (psycopg would otherwise send one INSERT
    per row), executemany elsewhere. Runs inside the session's transaction either way."""
    if not rows:
        return
    table = table_of(model)
    split = _split_scores(model, rows)
    plain = rows if split is None else split[0]
    if len(plain) >= COPY_FROM and session.get_bind().dialect.name == "postgresql":
        _copy(session, table, plain)
    else:
        session.execute(insert(table), list(plain))
    if split is not None:
        insert_scores(session, [row["id"] for row in rows], split[1])


def _copy(session: Session, table: Table, rows: Sequence[dict[str, Any]], ids: Sequence[int] = ()) -> None:
    """COPY ``rows`` (plus an ``id`` column from ``ids`` when given). The rows are turned into columns
    and back into tuples in C (``map``, ``itemgetter``, ``zip``), and only the columns whose type needs it
    are converted, a column at a time: at a million rows a Python step per value is most of the client's
    time, and what is left per row is the one call that hands it to the driver."""
    names = list(rows[0])
    columns: list[Iterable[Any]] = []
    for name in names:
        column: Iterable[Any] = map(itemgetter(name), rows)
        convert = _copy_converter(table.c[name].type)
        columns.append(column if convert is None else map(convert, column))
    if ids:
        columns.append(ids)
    quoted = ", ".join(f'"{name}"' for name in (*names, *(["id"] if ids else [])))
    driver = session.connection().connection.driver_connection
    statement = f'COPY "{table.name}" ({quoted}) FROM STDIN'

    def send() -> None:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
            write = copy.write_row
            for values in zip(*columns, strict=True):
                write(values)

    lane = lane_of(session)
    if lane is None:
        send()
    else:  # the rows are read on the lane's thread: callers leave them alone once written
        lane.submit(table.name, send)


def _copy_converter(column_type: Any) -> Callable[[Any], Any] | None:
    """COPY bypasses SQLAlchemy's bind processing, so do by hand what our column types do (None: nothing
    to do). A batch shares a few timestamps (the batch's "now"), so each is converted once."""
    if isinstance(column_type, UTCDateTime):
        seen: dict[datetime, datetime] = {}

        def naive_utc(v: datetime | None) -> datetime | None:
            if v is None:
                return None
            hit = seen.get(v)  # equal aware datetimes are the same instant, so the same naive UTC value
            if hit is None:
                hit = seen[v] = v.astimezone(UTC).replace(tzinfo=None)
            return hit

        return naive_utc
    if isinstance(column_type, JSON):
        return _json_text()
    return None


def _json_text() -> Callable[[Any], str]:
    """JSON text per value, a list of strings encoded once per batch: a lead's flags and interests are a
    handful of distinct lists repeated over thousands of rows."""
    lists: dict[tuple[Any, ...], str] = {}

    def text(value: Any) -> str:
        if type(value) is not list:
            return _JSON_TEXT(value)
        key = tuple(value)
        if not all(type(item) is str for item in key):  # 1 and True are equal keys but not equal JSON
            return _JSON_TEXT(value)
        hit = lists.get(key)
        if hit is None:
            hit = lists[key] = _JSON_TEXT(value)
        return hit

    return text


# One encoder for every value: json.dumps with options builds a new JSONEncoder per call.
_JSON_TEXT: Final = json.JSONEncoder(ensure_ascii=False, default=str).encode


def update_many(session: Session, model: type[Base], rows: Sequence[dict[str, Any]]) -> None:
    """Update rows by id; every row must carry the same keys."""
    if not rows:
        return
    table = table_of(model)
    columns = [k for k in rows[0] if k != "id"]
    targets = [(table, table.c.id, columns)]
    if table is LEADS:  # a lead's score columns are in its score row
        targets = [
            (LEADS, LEADS.c.id, [c for c in columns if c not in SCORE_SET]),
            (LEAD_SCORES, LEAD_SCORES.c.lead_id, [c for c in columns if c in SCORE_SET]),
        ]
    for target, key, names in targets:
        if names:
            stmt = update(target).where(key == bindparam("_id")).values({c: bindparam(c) for c in names})
            session.execute(stmt, [{**{c: row[c] for c in names}, "_id": row["id"]} for row in rows])


def insert_with_ids(
    session: Session, model: type[Base], rows: Sequence[dict[str, Any]], *, score_rows: bool = True
) -> list[int]:
    """Insert ``rows`` (all with the same keys) and return their new ids, in the order of ``rows``. For
    ``Lead`` with ``score_rows=False`` the score rows are the caller's to write, in the same transaction."""
    if not rows:
        return []
    table = table_of(model)
    id_column = table.c.id
    split = _split_scores(model, rows)
    plain = rows if split is None else split[0]
    if session.get_bind().dialect.name == "postgresql":
        ids = [
            int(i)
            for i in session.scalars(
                text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"),
                {"table": table.name, "n": len(plain)},
            )
        ]
        if len(plain) >= COPY_FROM:
            _copy(session, table, plain, ids)
        else:
            session.execute(insert(table), [{**row, "id": i} for row, i in zip(plain, ids, strict=True)])
    else:
        session.execute(insert(table), list(plain))
        newest = session.scalars(select(id_column).order_by(id_column.desc()).limit(len(plain)))
        ids = sorted(int(i) for i in newest)
    if split is not None and score_rows:
        insert_scores(session, ids, split[1])
    return ids
