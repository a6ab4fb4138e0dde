"""Writing many leads' new scores or stages in one statement per chunk, not one per lead.

PostgreSQL gets ``UPDATE … FROM unnest(array, array, …)``: a handful of array parameters carry a whole
chunk, and the planner joins them to the primary key. SQLite, in-process, gets its bare ``executemany``.
Datetimes that bypass SQLAlchemy's types are written as both databases store them (naive UTC text on SQLite).
A lead's score columns live in its ``lead_scores`` row, the rest in ``leads``: each goes where it lives.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import BindParameter, Table, bindparam, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from pheu.store.leads import LEAD_SCORES, LEADS, SCORE_COLUMNS

CHUNK: Final = 50_000
# Each table with the name of its lead id column.
_TARGETS: Final[tuple[tuple[Table, str], ...]] = ((LEADS, "id"), (LEAD_SCORES, "lead_id"))


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def update_leads(
    session: Session,
    rows: Mapping[str, Sequence[Any]],
    constants: Mapping[str, Any],
    *,
    scored_up_to: datetime | None = None,
) -> None:
    """Set, per lead id in ``rows["id"]``, the columns of ``rows`` (one value per lead) and ``constants``
    (the same for all). With ``scored_up_to``, a lead scored after that time is left alone: a rescore that
    started earlier must not overwrite what a new event wrote since."""
    session.flush()
    ids = rows["id"]
    for table, key in _TARGETS:
        mine = [n for n in rows if n != "id" and (n in SCORE_COLUMNS) == (table is LEAD_SCORES)]
        fixed = {n: v for n, v in constants.items() if (n in SCORE_COLUMNS) == (table is LEAD_SCORES)}
        if not mine and not fixed:
            continue
        if scored_up_to is not None and table is not LEAD_SCORES:
            raise ValueError("scored_up_to guards score columns only")
        for start in range(0, len(ids), CHUNK):
            part = {n: list(rows[n][start : start + CHUNK]) for n in ("id", *mine)}
            if session.get_bind().dialect.name == "postgresql":
                _postgresql(session, table, key, part, mine, fixed, scored_up_to)
            else:
                _sqlite(session, table, key, part, mine, fixed, scored_up_to)


def _guard(table: Table, scored_up_to: datetime | None, mark: str) -> str:
    at = f"{table.name}.scored_at"
    return "" if scored_up_to is None else f" AND ({at} IS NULL OR {at} <= {mark})"


def _postgresql(
    session: Session,
    table: Table,
    key: str,
    part: dict[str, list[Any]],
    names: list[str],
    constants: Mapping[str, Any],
    scored_up_to: datetime | None,
) -> None:
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    arrays = ", ".join(
        f"CAST(:a_{n} AS {table.c[key if n == 'id' else n].type.compile(dialect=dialect)}[])"
        for n in ("id", *names)
    )
    sets = [f"{n} = v.{n}" for n in names] + [f"{n} = :c_{n}" for n in constants]
    sql = (
        f"UPDATE {table.name} SET {', '.join(sets)} "  # noqa: S608 - our table and column names
        f"FROM unnest({arrays}) AS v(id{''.join(', ' + n for n in names)}) "
        f"WHERE {table.name}.{key} = v.id{_guard(table, scored_up_to, ':scored_up_to')}"
    )
    params: list[BindParameter[Any]] = [bindparam(f"a_{n}", part[n]) for n in ("id", *names)]
    params += [bindparam(f"c_{n}", v, type_=table.c[n].type) for n, v in constants.items()]
    if scored_up_to is not None:
        params.append(bindparam("scored_up_to", scored_up_to, type_=LEAD_SCORES.c.scored_at.type))
    session.execute(text(sql).bindparams(*params))


def _sqlite(
    session: Session,
    table: Table,
    key: str,
    part: dict[str, list[Any]],
    names: list[str],
    constants: Mapping[str, Any],
    scored_up_to: datetime | None,
) -> None:
    sets = ", ".join([f"{n} = ?" for n in names] + [f"{n} = ?" for n in constants])
    sql = f"UPDATE {table.name} SET {sets} WHERE {key} = ?{_guard(table, scored_up_to, '?')}"  # noqa: S608
    fixed = [_sqlite_value(v) for v in constants.values()]
    tail = [] if scored_up_to is None else [_sqlite_value(scored_up_to)]
    columns = [part[n] for n in names]
    args = [(*values, *fixed, lead_id, *tail) for lead_id, *values in zip(part["id"], *columns, strict=True)]
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    cursor.executemany(sql, args)
    cursor.close()
