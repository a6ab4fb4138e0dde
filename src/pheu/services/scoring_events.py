"""Events as arrays for set-wise scoring, read the fastest way each database offers.

The result is, per event of the types the models read: the lead id, a type code and whole seconds UTC;
for the scored model's rules with property conditions, each one's match per event; and on request the
properties themselves (the backtest's replay reads them). Millions of plain events never become Python
objects:

- PostgreSQL groups them by type (and, for the few types some rule reads properties of, by properties) and
  packs each group's lead ids and times into one binary string (``int8send(lead_id) ||
  timestamp_send(occurred_at)``), which numpy reads as it is; a full read goes in ranges of event ids (so
  no string nears PostgreSQL's 1 GB limit), shared by two connections on one snapshot.
- SQLite, in-process, hands plain rows to numpy straight from its cursor, the type code and the seconds
  computed in SQL, walking the table in storage order.

Either way a property condition is evaluated once per distinct properties value, not once per event.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain
from types import MappingProxyType
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from pheu.score import ScoringModel
from pheu.score.bulk import Bools, Ints
from pheu.score.matching import event_predicate
from pheu.score.model import BehaviourRule
from pheu.services.scoring_facts import Needs
from pheu.services.scoring_leads_pg import tune_for_scans

ID_RANGE: Final = 1_000_000
READERS: Final = 2
ROWS: Final = 100_000
SUBSET: Final = 10_000
PG_EPOCH: Final = 946_684_800  # 2000-01-01, where PostgreSQL's binary timestamps count from
_PACKED: Final = np.dtype([("lead", ">i8"), ("micros", ">i8")])
_EMPTY: Final[Mapping[str, object]] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Group:
    """Events of one type (and one properties text, for property types)."""

    type: str
    properties: str | None
    lead: Ints
    time: Ints


@dataclass(frozen=True, slots=True)
class EventArrays:
    lead: Ints
    code: Ints
    time: Ints
    masks: dict[str, Bools]
    properties: list[Mapping[str, object]] | None


def read(
    session: Session,
    models: Sequence[ScoringModel],
    wanted: Needs,
    at: datetime,
    subset: Sequence[int] | None,
    *,
    properties: bool = False,
) -> EventArrays:
    """Events up to ``at`` of every lead (``subset`` None) or of the given leads. Masks are for the rules of
    ``models[0]``, the model being scored."""
    postgresql = session.get_bind().dialect.name == "postgresql"
    if not wanted.types or (subset is not None and not subset):
        groups: list[Group] = []
    elif postgresql and subset is None:
        return start_full_read(session, models, wanted, at, properties=properties)()
    elif postgresql and subset is not None:
        groups = _postgresql(session, wanted, at, subset)
    else:
        groups = _sqlite(session, wanted, at, subset)
    return _assemble(groups, models[0], wanted, properties)


def _assemble(groups: list[Group], model: ScoringModel, wanted: Needs, keep: bool) -> EventArrays:
    code_of = {t: i for i, t in enumerate(wanted.types)}
    rules = [r for r in model.all_rules() if isinstance(r, BehaviourRule) and r.when]
    tests = [(r.id, r.event_type, event_predicate(r)) for r in rules]
    sizes = [len(g.lead) for g in groups]
    decoded = [_decode(g.properties) for g in groups]
    masks = {
        rule_id: np.repeat(
            np.array(
                [
                    g.type == kind and test is not None and test(p)
                    for g, p in zip(groups, decoded, strict=True)
                ],
                np.bool_,
            ),
            sizes,
        )
        for rule_id, kind, test in tests
    }
    kept = list(chain.from_iterable([p] * n for p, n in zip(decoded, sizes, strict=True))) if keep else None
    return EventArrays(
        lead=np.concatenate([g.lead for g in groups]) if groups else np.zeros(0, np.int64),
        code=np.repeat(np.array([code_of[g.type] for g in groups], np.int64), sizes),
        time=np.concatenate([g.time for g in groups]) if groups else np.zeros(0, np.int64),
        masks=masks,
        properties=kept,
    )


def _decode(text: str | None) -> Mapping[str, object]:
    if not text:
        return _EMPTY
    value = json.loads(text)
    return value if isinstance(value, dict) else _EMPTY


def _naive(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(tzinfo=None)


_SQL: Final = (
    "SELECT type, CASE WHEN type = ANY(%(ptypes)s) THEN CAST(properties AS TEXT) END, "
    "string_agg(int8send(lead_id) || timestamp_send(occurred_at), CAST('' AS bytea)) "
    "FROM events WHERE type = ANY(%(types)s) AND occurred_at <= %(at)s {where} GROUP BY 1, 2"
)
_SNAPSHOT: Final = re.compile(r"^[0-9A-F]+-[0-9A-F]+(-[0-9]+)?$")
Range = tuple[str, dict[str, Any]]


def _params(wanted: Needs, at: datetime) -> dict[str, Any]:
    return {"types": list(wanted.types), "at": _naive(at), "ptypes": sorted(wanted.property_types)}


def _groups(cursor: Any, params: dict[str, Any], ranges: Sequence[Range]) -> list[Group]:
    found = []
    for where, extra in ranges:
        for kind, props, packed in cursor.execute(_SQL.format(where=where), {**params, **extra}):
            rows = np.frombuffer(packed, _PACKED)
            found.append(
                Group(kind, props, rows["lead"].astype(np.int64), rows["micros"] // 1_000_000 + PG_EPOCH)
            )
    return found


def _postgresql(session: Session, wanted: Needs, at: datetime, subset: Sequence[int]) -> list[Group]:
    ranges = [
        ("AND lead_id = ANY(%(ids)s)", {"ids": list(subset[i : i + SUBSET])})
        for i in range(0, len(subset), SUBSET)
    ]
    driver: Any = session.connection().connection.driver_connection
    with driver.cursor(binary=True) as cursor:
        return _groups(cursor, _params(wanted, at), ranges)


def start_full_read(
    session: Session, models: Sequence[ScoringModel], wanted: Needs, at: datetime, *, properties: bool = False
) -> Callable[[], EventArrays]:
    """Read every event on PostgreSQL in the background, on ``READERS`` connections that share this
    transaction's snapshot (``pg_export_snapshot``), each a share of the table by id, so the scan uses more
    than one core and overlaps the reading of the leads; call the returned function for the result. (Not on
    SQLite: its driver hands the interpreter lock over for every row, so threads there only slow each
    other down.)"""
    driver: Any = session.connection().connection.driver_connection
    with driver.cursor() as cursor:
        snapshot = str(cursor.execute("SELECT pg_export_snapshot()").fetchone()[0])
        low, high = cursor.execute("SELECT min(id), max(id) FROM events").fetchone()
    ranges = [
        ("AND id >= %(lo)s AND id < %(hi)s", {"lo": lo, "hi": lo + ID_RANGE})
        for lo in range(int(low or 0), int(high or -1) + 1, ID_RANGE)
    ]
    engine, params = session.get_bind(), _params(wanted, at)
    pool = ThreadPoolExecutor(max_workers=READERS)
    futures = (
        [pool.submit(_read_shared, engine, snapshot, params, ranges[w::READERS]) for w in range(READERS)]
        if wanted.types
        else []
    )

    def finish() -> EventArrays:
        try:
            groups = [g for future in futures for g in future.result()]
        finally:
            pool.shutdown()
        return _assemble(groups, models[0], wanted, properties)

    return finish


def _read_shared(engine: Any, snapshot: str, params: dict[str, Any], ranges: Sequence[Range]) -> list[Group]:
    if not _SNAPSHOT.match(snapshot):
        raise ValueError(f"unexpected snapshot id {snapshot!r}")
    raw = engine.raw_connection()
    try:
        driver = raw.driver_connection
        with driver.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
        tune_for_scans(driver)
        with driver.cursor(binary=True) as cursor:
            return _groups(cursor, params, ranges)
    finally:
        raw.rollback()
        raw.close()


def start_sqlite_full_read(
    session: Session, models: Sequence[ScoringModel], wanted: Needs, at: datetime, *, properties: bool = False
) -> Callable[[], EventArrays]:
    """Read every event on SQLite in the background, on a connection of its own, while the caller reads the
    leads; call the returned function for the result. SQLite builds each range's ``group_concat`` without
    holding the interpreter lock, so the two scans overlap. They are two snapshots a moment apart, both
    taken after the rescore's ``at``: an event written in between is newer than ``at``, its own scoring
    already counted it, and the write-back leaves a lead scored after ``at`` alone."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    if not wanted.types or engine.url.database in (None, "", ":memory:"):
        groups = _sqlite(session, wanted, at, None) if wanted.types else []
        return lambda: _assemble(groups, models[0], wanted, properties)
    pool = ThreadPoolExecutor(max_workers=1)

    def work() -> list[Group]:
        raw = engine.raw_connection()
        try:
            return _sqlite_on(raw.driver_connection, wanted, at, None)
        finally:
            raw.rollback()
            raw.close()

    future = pool.submit(work)

    def finish() -> EventArrays:
        try:
            groups = future.result()
        finally:
            pool.shutdown()
        return _assemble(groups, models[0], wanted, properties)

    return finish


def _sqlite(session: Session, wanted: Needs, at: datetime, subset: Sequence[int] | None) -> list[Group]:
    return _sqlite_on(session.connection().connection.driver_connection, wanted, at, subset)


def _sqlite_on(driver: Any, wanted: Needs, at: datetime, subset: Sequence[int] | None) -> list[Group]:
    cursor: Any = driver.cursor()
    if subset is None:
        groups = _sqlite_reads(cursor, wanted, at, "", [], in_order=True)
    else:
        groups = []
        for i in range(0, len(subset), SUBSET):
            ids = list(subset[i : i + SUBSET])
            groups += _sqlite_reads(cursor, wanted, at, f" AND lead_id IN ({', '.join('?' * len(ids))})", ids)
    cursor.close()
    return groups


def _sqlite_reads(
    cursor: Any, wanted: Needs, at: datetime, where: str, args: list[int], *, in_order: bool = False
) -> list[Group]:
    """``in_order``: walk the table by id ('+' keeps SQLite off the (type, time) index, whose order would
    make it jump around the table for every row); otherwise the lead index finds a few leads' events."""
    stamp = _naive(at).strftime("%Y-%m-%d %H:%M:%S.%f")
    plain = [t for t in wanted.types if t not in wanted.property_types]
    scan = "+" if in_order else ""
    groups: list[Group] = []
    if plain and in_order:
        groups += _sqlite_plain_whole(cursor, plain, stamp)
    elif plain:
        groups += _sqlite_plain(cursor, plain, stamp, f"{scan}type IN ({sql_list(plain)}){where}", args)
    if wanted.property_types:
        types = sorted(wanted.property_types)
        groups += _sqlite_properties(cursor, stamp, f"{scan}type IN ({sql_list(types)}){where}", args)
    return groups


# Whole seconds, rounded down (times are after 1970): unixepoch() where SQLite has it (3.38+), twice as fast.
SECONDS: Final = (
    "unixepoch(occurred_at)"
    if sqlite3.sqlite_version_info >= (3, 38)
    else "CAST(strftime('%s', occurred_at) AS INTEGER)"
)


def sql_list(types: Sequence[str]) -> str:
    """Types are model ids (``[a-z0-9_-]`` only, checked when the model was built): safe as literals."""
    return ", ".join(f"'{t}'" for t in types)


def _sqlite_plain(cursor: Any, types: list[str], stamp: str, where: str, args: list[int]) -> list[Group]:
    case = " ".join(f"WHEN '{t}' THEN {i}" for i, t in enumerate(types))
    cursor.execute(
        f"SELECT lead_id, CASE type {case} END, {SECONDS} FROM events "  # noqa: S608
        f"WHERE +occurred_at <= ? AND {where}",
        (stamp, *args),
    )
    parts: list[Ints] = []
    while rows := cursor.fetchmany(ROWS):
        parts.append(np.fromiter(chain.from_iterable(rows), np.int64, 3 * len(rows)).reshape(-1, 3))
    return _by_type(np.concatenate(parts) if parts else np.zeros((0, 3), np.int64), types)


def _by_type(flat: Ints, types: list[str]) -> list[Group]:
    """Rows of (lead, type code, seconds) as one group per type, in their order within each type."""
    order = np.argsort(flat[:, 1], kind="stable")
    flat = flat[order]
    edges = np.searchsorted(flat[:, 1], np.arange(len(types) + 1))
    return [
        Group(kind, None, flat[a:b, 0].copy(), flat[a:b, 2].copy())
        for kind, a, b in zip(types, edges[:-1], edges[1:], strict=True)
        if b > a
    ]


WHOLE_RANGE: Final = 2_000_000


def _sqlite_plain_whole(cursor: Any, types: list[str], stamp: str) -> list[Group]:
    """Every event of the plain types, in ranges of ids walked in storage order. SQLite joins each column of
    a range into one text (``group_concat``) that numpy parses whole: no event becomes a Python object, and
    the interpreter lock is free while SQLite works (fetching ten million rows as tuples took most of a
    rescore on SQLite)."""
    case = " ".join(f"WHEN '{t}' THEN {i}" for i, t in enumerate(types))
    sql = (
        f"SELECT group_concat(lead_id), group_concat(CASE type {case} END), group_concat({SECONDS}) "  # noqa: S608
        f"FROM events WHERE +occurred_at <= ? AND id >= ? AND id < ? AND +type IN ({sql_list(types)})"
    )
    low, high = cursor.execute("SELECT min(id), max(id) FROM events").fetchone()
    parts: list[Ints] = []
    for lo in range(int(low or 0), int(high or -1) + 1, WHOLE_RANGE):
        leads, codes, seconds = cursor.execute(sql, (stamp, lo, lo + WHOLE_RANGE)).fetchone()
        if leads:
            parts.append(
                np.stack([joined_numbers(leads), joined_numbers(codes), joined_numbers(seconds)], axis=1)
            )
    flat = np.concatenate(parts) if parts else np.zeros((0, 3), np.int64)
    return _by_type(flat, types)


def joined_numbers(joined: str | None, dtype: type = np.int64) -> NDArray[Any]:
    """Numbers joined by commas, as SQLite's ``group_concat`` gives them (``None``: no row), parsed whole."""
    if not joined:
        return np.zeros(0, dtype)
    return np.fromstring(joined, dtype=dtype, sep=",")


def _sqlite_properties(cursor: Any, stamp: str, where: str, args: list[int]) -> list[Group]:
    cursor.execute(
        f"SELECT type, properties, lead_id, {SECONDS} FROM events "  # noqa: S608
        f"WHERE +occurred_at <= ? AND {where}",
        (stamp, *args),
    )
    by_key: dict[tuple[str, str | None], tuple[list[int], list[int]]] = {}
    while rows := cursor.fetchmany(ROWS):
        for kind, props, lead_id, time in rows:
            leads, times = by_key.setdefault((kind, props), ([], []))
            leads.append(lead_id)
            times.append(time)
    return [
        Group(kind, props, np.array(leads, np.int64), np.array(times, np.int64))
        for (kind, props), (leads, times) in by_key.items()
    ]
