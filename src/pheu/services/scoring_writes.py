"""Writing many leads' new scores or stages in one statement per chunk, not one per lead.

PostgreSQL gets ``UPDATE leads … FROM unnest(array, array, …)``: a handful of array parameters carry a whole
chunk, and the planner joins them to the primary key. SQLite, in-process, gets its bare ``executemany``.
Datetimes that bypass SQLAlchemy's types are written as both databases store them (naive UTC text on SQLite).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import BindParameter, bindparam, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from pheu.store import Lead

CHUNK: Final = 50_000
_LEADS = Lead.__table__


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
    names = [n for n in rows if n != "id"]
    for start in range(0, len(ids), CHUNK):
        part = {n: list(rows[n][start : start + CHUNK]) for n in ("id", *names)}
        if session.get_bind().dialect.name == "postgresql":
            _postgresql(session, part, names, constants, scored_up_to)
        else:
            _sqlite(session, part, names, constants, scored_up_to)


def _guard(scored_up_to: datetime | None, mark: str) -> str:
    return "" if scored_up_to is None else f" AND (leads.scored_at IS NULL OR leads.scored_at <= {mark})"


def _postgresql(
    session: Session,
    part: dict[str, list[Any]],
    names: list[str],
    constants: Mapping[str, Any],
    scored_up_to: datetime | None,
) -> None:
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    arrays = ", ".join(
        f"CAST(:a_{n} AS {_LEADS.c[n].type.compile(dialect=dialect)}[])" for n in ("id", *names)
    )
    sets = [f"{n} = v.{n}" for n in names] + [f"{n} = :c_{n}" for n in constants]
    sql = (
        f"UPDATE leads SET {', '.join(sets)} FROM unnest({arrays}) AS v(id, {', '.join(names)}) "  # noqa: S608
        f"WHERE leads.id = v.id{_guard(scored_up_to, ':scored_up_to')}"
    )
    params: list[BindParameter[Any]] = [bindparam(f"a_{n}", part[n]) for n in ("id", *names)]
    params += [bindparam(f"c_{n}", v, type_=_LEADS.c[n].type) for n, v in constants.items()]
    if scored_up_to is not None:
        params.append(bindparam("scored_up_to", scored_up_to, type_=_LEADS.c.scored_at.type))
    session.execute(text(sql).bindparams(*params))


def _sqlite(
    session: Session,
    part: dict[str, list[Any]],
    names: list[str],
    constants: Mapping[str, Any],
    scored_up_to: datetime | None,
) -> None:
    sets = ", ".join([f"{n} = ?" for n in names] + [f"{n} = ?" for n in constants])
    sql = f"UPDATE leads SET {sets} WHERE id = ?{_guard(scored_up_to, '?')}"  # noqa: S608 - our column names
    fixed = [_sqlite_value(v) for v in constants.values()]
    tail = [] if scored_up_to is None else [_sqlite_value(scored_up_to)]
    columns = [part[n] for n in names]
    args = [(*values, *fixed, lead_id, *tail) for lead_id, *values in zip(part["id"], *columns, strict=True)]
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    cursor.executemany(sql, args)
    cursor.close()
