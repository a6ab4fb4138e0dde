"""The backtest's reads on PostgreSQL: the database packs the events' numbers, Python decodes distinct values.

- Leads: one scan, a plain row per lead with only the wanted fields (text read as present or missing sent as
  a stand-in, so that a field has few distinct values), coded column by column; the purposes granted
  per purpose, the lead ids packed into one binary string (``int8send(lead_id)``, read by numpy as is).
- Events: per type (and, for the types some rule has property conditions on, per value of the properties
  those conditions read, ``properties -> key``: never the whole document) the lead ids and times packed
  the same way, in ranges of event ids so that no string nears PostgreSQL's 1 GB limit.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

import numpy as np
from sqlalchemy.orm import Session

from pheu.score.bulk import Ints
from pheu.services.scoring_history import RawColumn, RawEvents, Wants, coded, granted, property_keys
from pheu.services.scoring_leads_pg import field_sql, tune_for_scans

ID_RANGE: Final = 2_000_000
PG_EPOCH: Final = 946_684_800  # 2000-01-01, where PostgreSQL's binary timestamps count from
_EVENT: Final = np.dtype([("lead", ">i8"), ("micros", ">i8")])
_ID: Final = np.dtype(">i8")


def _driver(session: Session) -> Any:
    return session.connection().connection.driver_connection


def leads(session: Session, wanted: Wants) -> tuple[Ints, dict[str, RawColumn]]:
    """Every lead id (ascending) and the wanted fields, each coded per distinct value. Plain rows: grouping
    each field in the database (``GROUPING SETS``) is no faster at 100,000 leads, and its plan turns to
    sorting as soon as a field looks as if it had many distinct values."""
    driver = _driver(session)
    tune_for_scans(driver)
    fields = [f for f in wanted.fields if f != "consents"]
    with driver.cursor(binary=True) as cursor:
        selected = ", ".join(field_sql(f, wanted.presence_only) for f in fields)
        cursor.execute(f"SELECT id, {selected} FROM leads")  # noqa: S608 - known field names
        values = list(zip(*cursor.fetchall(), strict=True)) or [() for _ in range(1 + len(fields))]
    ids = np.array(values[0], np.int64)
    order = np.argsort(ids, kind="stable")
    columns = {name: coded(raw, order) for name, raw in zip(fields, values[1:], strict=True)}
    ids = ids[order]
    if "consents" in wanted.fields:
        with driver.cursor(binary=True) as cursor:
            cursor.execute(
                "SELECT purpose, string_agg(int8send(lead_id), CAST('' AS bytea)) FROM consents "
                "WHERE granted GROUP BY purpose"
            )
            packed = cursor.fetchall()
        columns["consents"] = granted(ids, {p: np.frombuffer(m, _ID).astype(np.int64) for p, m in packed})
    return ids, columns


def events(session: Session, wanted: Wants, end: datetime) -> RawEvents:
    """Events up to ``end`` of the wanted types; the properties as the JSON text of each read key."""
    keys = property_keys(wanted)
    nothing: tuple[str | None, ...] = (None,) * len(keys)
    if not wanted.types:
        empty = np.zeros(0, np.int64)
        return RawEvents(empty, empty, empty, empty, [nothing])
    code_of = {t: i for i, t in enumerate(wanted.types)}
    reads = ", ".join(
        f"CASE WHEN type = ANY(%(t{j})s) THEN CAST(properties -> %(k{j})s AS TEXT) END"
        for j in range(len(keys))
    )
    params: dict[str, Any] = {
        "types": list(wanted.types),
        "at": end.astimezone(UTC).replace(tzinfo=None),
        **{f"k{j}": k for j, k in enumerate(keys)},
        **{f"t{j}": [t for t, read in wanted.keys.items() if k in read] for j, k in enumerate(keys)},
    }
    group_by = ", ".join(str(i + 1) for i in range(1 + len(keys)))
    sql = (
        f"SELECT type, {reads + ', ' if reads else ''}"  # noqa: S608 - only placeholders are formatted in
        "string_agg(int8send(lead_id) || timestamp_send(occurred_at), CAST('' AS bytea)) FROM events "
        "WHERE type = ANY(%(types)s) AND occurred_at <= %(at)s AND id >= %(lo)s AND id < %(hi)s "
        f"GROUP BY {group_by}"
    )
    properties: dict[tuple[str | None, ...], int] = {nothing: 0}
    packed: list[bytes] = []
    codes: list[int] = []
    property_codes: list[int] = []
    driver = _driver(session)
    with driver.cursor(binary=True) as cursor:
        low, high = cursor.execute("SELECT min(id), max(id) FROM events").fetchone()
        for lo in range(int(low or 0), int(high or -1) + 1, ID_RANGE):
            for kind, *texts, rows in cursor.execute(sql, {**params, "lo": lo, "hi": lo + ID_RANGE}):
                packed.append(rows)
                codes.append(code_of[kind])
                property_codes.append(properties.setdefault(tuple(texts), len(properties)))
    sizes = np.fromiter((len(p) // _EVENT.itemsize for p in packed), np.int64, len(packed))
    flat = np.frombuffer(b"".join(packed), _EVENT)
    return RawEvents(
        flat["lead"].astype(np.int64),
        np.repeat(np.array(codes, np.int64), sizes),
        flat["micros"] // 1_000_000 + PG_EPOCH,
        np.repeat(np.array(property_codes, np.int64), sizes),
        list(properties),
    )
