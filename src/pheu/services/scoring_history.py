"""The backtest's history read from the store: every lead as columns, its events as arrays, when it first
became a customer (``pheu.score.replay.History``).

Only what the models read crosses into Python, and each distinct value is decoded once:

- the lead fields of their fit rules and of the stage conditions on the lead alone (email, phone, flags,
  consents), coded per distinct value; a text read only as present or missing comes as a stand-in ('x' when
  it holds an ASCII letter or digit — certainly not blank — as itself otherwise), the email domain as the
  part after the last '@', the consents as the purposes granted (read per purpose, not per lead);
- of the events, lead, type and whole seconds as numbers the database packs for numpy (no event becomes a
  Python object), plus, for the types some rule has property conditions on, the properties those
  conditions read, decoded once per distinct value.

PostgreSQL groups and packs the events itself (``scoring_history_pg``); SQLite, in-process, joins their
numbers into text numpy parses whole. Both give the same history (a test holds them to it and to the
history the leads' facts give).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain
from types import MappingProxyType
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pheu.lifecycle import Stage
from pheu.score import ScoringModel
from pheu.score.bulk import Column, EventBatch, Ints, LeadTable
from pheu.score.facts import FieldValue
from pheu.score.model import LEAD_FIELDS, BehaviourRule
from pheu.score.past_leads import CONDITION_FIELDS, PastLeads
from pheu.score.replay import EventProperties, History
from pheu.services.scoring_arrays import positions
from pheu.services.scoring_events import SECONDS, joined_numbers, sql_list
from pheu.store import Channel, StageChange

ROWS: Final = 100_000
ID_RANGE: Final = 2_000_000
_EMPTY: Final[Mapping[str, object]] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Wants:
    """What the models read: lead ``fields`` (``presence_only``: those read only as present or missing),
    event ``types``, and per type the property ``keys`` its rules' conditions read."""

    fields: tuple[str, ...]
    presence_only: frozenset[str]
    types: tuple[str, ...]
    keys: Mapping[str, tuple[str, ...]]


def wants(models: Sequence[ScoringModel]) -> Wants:
    """What ``models`` read, together (a backtest reads for the active model and the candidate at once)."""
    fields: set[str] = {"kind", *CONDITION_FIELDS}
    valued: set[str] = set()
    types: set[str] = set()
    keys: dict[str, set[str]] = {}
    for model in models:
        for rule in model.all_rules():
            if isinstance(rule, BehaviourRule):
                types.add(rule.event_type)
                if rule.when:
                    keys.setdefault(rule.event_type, set()).update(c.key for c in rule.when)
            else:
                fields.add(rule.field)
                if rule.op not in ("present", "missing"):
                    valued.add(rule.field)
        for stage in model.stages:
            for cond in stage.conditions:
                types.update(cond.event_types)
    # interests is a JSON list, where "present" means a non-empty list: it has no textual stand-in.
    presence = frozenset(f for f in fields - valued if f in LEAD_FIELDS and f != "interests")
    return Wants(
        tuple(sorted(fields)),
        presence,
        tuple(sorted(types)),
        {t: tuple(sorted(k)) for t, k in sorted(keys.items())},
    )


@dataclass(frozen=True, slots=True)
class RawColumn:
    """One lead field as read: each lead's code (``codes``, parallel to the ids) and the distinct raw values."""

    codes: NDArray[np.int32]
    raw: list[Any]


@dataclass(frozen=True, slots=True)
class RawEvents:
    """Events as read: lead ids, type codes (into ``Wants.types``), seconds UTC, and a properties code per event
    into ``properties`` (the read keys' JSON texts, ``None`` where missing; one all-``None`` tuple for
    events whose type no property condition reads)."""

    lead: Ints
    code: Ints
    time: Ints
    property_code: Ints
    properties: list[tuple[str | None, ...]]


def read_history(session: Session, models: Sequence[ScoringModel], end: datetime) -> History:
    """Every lead now in the store with its events up to ``end`` of the types ``models`` read (run it in
    one snapshot: a REPEATABLE READ transaction on PostgreSQL)."""
    wanted = wants(models)
    if session.get_bind().dialect.name == "postgresql":
        from pheu.services import scoring_history_pg  # it builds on this module's types

        ids, columns = scoring_history_pg.leads(session, wanted)
        events = scoring_history_pg.events(session, wanted, end)
    else:
        ids, columns = _sqlite_leads(session, wanted)
        events = _sqlite_events(session, wanted, end)
    table = _table(session, wanted, len(ids), columns)
    kind = table.columns["kind"]
    sales = np.array([v == "sales" for v in kind.values], np.bool_)[kind.codes]
    index, known = positions(ids, events.lead)
    batch = EventBatch(index[known], events.code[known].astype(np.int32), events.time[known], wanted.types)
    keys = property_keys(wanted)
    props = EventProperties(
        events.property_code[known].astype(np.int32), [_props(keys, p) for p in events.properties]
    )
    return History(PastLeads(sales, table), batch, _customer_at(session, ids), end, props)


def _customer_at(session: Session, ids: Ints) -> list[datetime | None]:
    first_sale = (
        select(StageChange.lead_id, func.min(StageChange.at))
        .where(StageChange.to_stage == Stage.CUSTOMER.value)
        .group_by(StageChange.lead_id)
    )
    won: dict[int, datetime] = dict(session.execute(first_sale).all())
    return [won.get(i) for i in ids.tolist()]


def _props(keys: Sequence[str], texts: tuple[str | None, ...]) -> Mapping[str, object]:
    """The read keys of one properties value, decoded (``texts`` follow ``keys``)."""
    found = {k: json.loads(t) for k, t in zip(keys, texts, strict=True) if t is not None}
    return found or _EMPTY


def property_keys(wanted: Wants) -> tuple[str, ...]:
    """Every property key some rule reads, in the order readers give their JSON texts."""
    return tuple(sorted(set(chain.from_iterable(wanted.keys.values()))))


def _table(session: Session, wanted: Wants, size: int, columns: Mapping[str, RawColumn]) -> LeadTable:
    return LeadTable(
        size,
        {
            name: Column(column.codes, tuple(map(_decoder(session, name), column.raw)))
            for name, column in columns.items()
        },
    )


def _decoder(session: Session, name: str) -> Callable[[Any], FieldValue]:
    """How a value read becomes what ``LeadFacts.value(name)`` gives (flags and interests come as JSON
    text, the email domain as what follows the last '@', or the whole email when SQLite could not cut it)."""
    if name == "flags":
        return lambda text: () if text is None else tuple(sorted(set(json.loads(text) or ())))
    if name == "interests":
        return lambda text: None if text is None else _hashable(json.loads(text))
    if name == "email_domain":
        return lambda cut: None if cut is None else (cut.rpartition("@")[2].strip().lower() or None)
    if name == "channel":
        codes = dict(session.execute(select(Channel.id, Channel.code)).all())
        return lambda channel_id: codes.get(channel_id)
    return lambda value: value


def _hashable(value: Any) -> FieldValue:
    return tuple(value) if isinstance(value, list) else value


def coded(raw: Sequence[Any], order: Ints | None = None) -> RawColumn:
    """Codes per distinct value, first seen first coded (``order``: the leads' order, when not as read)."""
    index = {value: code for code, value in enumerate(dict.fromkeys(raw))}
    codes = np.fromiter(map(index.__getitem__, raw), np.int32, len(raw))
    return RawColumn(codes if order is None else codes[order], list(index))


def granted(ids: Ints, by_purpose: Mapping[str, Ints]) -> RawColumn:
    """Each lead's purposes granted (sorted), coded per distinct combination, from the leads (ids) who
    granted each purpose."""
    purposes = sorted(by_purpose)
    combo = np.zeros(len(ids), np.int64)
    has: list[NDArray[np.bool_]] = []
    for purpose in purposes:
        where, known = positions(ids, by_purpose[purpose])
        has.append(np.zeros(len(ids), np.bool_))
        has[-1][where[known]] = True
        combo = np.unique(combo * 2 + has[-1], return_inverse=True)[1].reshape(-1)
    first = np.unique(combo, return_index=True)[1].tolist() if len(ids) else []
    return RawColumn(
        combo.astype(np.int32), [tuple(p for p, h in zip(purposes, has, strict=True) if h[i]) for i in first]
    )


def _sqlite_expr(name: str, wanted: Wants) -> str:
    """Column names come from ``LEAD_FIELDS`` and the derived names, never from input."""
    if name in ("flags", "interests"):
        return f"CAST({name} AS TEXT)"
    if name == "email_domain":
        after = "substr(email, instr(email, '@') + 1)"
        return f"CASE WHEN instr(email, '@') = 0 THEN NULL WHEN instr({after}, '@') = 0 THEN {after} ELSE email END"
    if name == "channel":
        return "channel_id"
    if name in wanted.presence_only:
        return f"CASE WHEN {name} GLOB '*[0-9A-Za-z]*' THEN 'x' ELSE {name} END"
    assert name in LEAD_FIELDS or name == "kind"
    return name


def _sqlite_leads(session: Session, wanted: Wants) -> tuple[Ints, dict[str, RawColumn]]:
    """SQLite is in-process: rows straight from its cursor are cheap, and are coded column by column."""
    fields = [f for f in wanted.fields if f != "consents"]
    exprs = ", ".join(_sqlite_expr(f, wanted) for f in fields)
    cursor: Any = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    cursor.execute(f"SELECT id, {exprs} FROM leads ORDER BY id")  # noqa: S608 - our column names
    values: list[list[Any]] = [[] for _ in range(1 + len(fields))]
    while rows := cursor.fetchmany(ROWS):
        for column, part in zip(values, zip(*rows, strict=True), strict=True):
            column.extend(part)
    ids = np.array(values[0], np.int64)
    columns = {name: coded(raw) for name, raw in zip(fields, values[1:], strict=True)}
    if "consents" in wanted.fields:
        by_purpose: dict[str, list[int]] = {}
        for purpose, lead_id in cursor.execute("SELECT purpose, lead_id FROM consents WHERE granted"):
            by_purpose.setdefault(purpose, []).append(lead_id)
        columns["consents"] = granted(ids, {p: np.array(i, np.int64) for p, i in by_purpose.items()})
    cursor.close()
    return ids, columns


def _sqlite_events(session: Session, wanted: Wants, end: datetime) -> RawEvents:
    """Events in storage order, in ranges of ids ('+' keeps SQLite off the (type, time) index, whose order
    would make it jump around the table for every row). SQLite joins each column of numbers into one text
    (``group_concat``) that numpy parses whole, so that no event becomes a Python object: the plain types all
    together, the types with property conditions per type and properties text, each text decoded once."""
    stamp = end.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    code = f"CASE type {' '.join(f'WHEN {sql_list([t])} THEN {i}' for i, t in enumerate(wanted.types))} END"
    where = "WHERE +occurred_at <= ? AND id >= ? AND id < ? AND +type IN"
    plain = [t for t in wanted.types if t not in wanted.keys]
    plain_sql = (
        f"SELECT group_concat(lead_id), group_concat({code}), group_concat({SECONDS}) "  # noqa: S608 - ours
        f"FROM events {where} ({sql_list(plain)})"
    )
    property_sql = (
        f"SELECT type, properties, group_concat(lead_id), group_concat({SECONDS}) "  # noqa: S608 - ours
        f"FROM events {where} ({sql_list(list(wanted.keys))}) GROUP BY type, properties"
    )
    keys = property_keys(wanted)
    properties: dict[tuple[str | None, ...], int] = {(None,) * len(keys): 0}
    parts: list[tuple[Ints, Ints, Ints, int]] = []
    cursor: Any = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    low, high = cursor.execute("SELECT min(id), max(id) FROM events").fetchone()
    for lo in range(int(low or 0), int(high or -1) + 1, ID_RANGE) if wanted.types else ():
        args = (stamp, lo, lo + ID_RANGE)
        if plain:
            for leads, codes, times in cursor.execute(plain_sql, args):
                parts.append((joined_numbers(leads), joined_numbers(codes), joined_numbers(times), 0))
        if wanted.keys:
            for kind, text, leads, times in cursor.execute(property_sql, args):
                found = properties.setdefault(_key_texts(text, wanted.keys[kind], keys), len(properties))
                lead = joined_numbers(leads)
                parts.append(
                    (lead, np.full(len(lead), wanted.types.index(kind)), joined_numbers(times), found)
                )
    cursor.close()
    sizes = [len(lead) for lead, *_ in parts]
    return RawEvents(
        np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int64),
        np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, np.int64),
        np.concatenate([p[2] for p in parts]) if parts else np.zeros(0, np.int64),
        np.repeat(np.array([p[3] for p in parts], np.int64), sizes),
        list(properties),
    )


def _key_texts(text: str | None, read: Sequence[str], keys: Sequence[str]) -> tuple[str | None, ...]:
    """The JSON text of each of ``keys`` the type's rules ``read`` (``None``: missing or not read), as
    PostgreSQL's ``properties -> key`` gives it."""
    value = json.loads(text) if text else None
    if not isinstance(value, dict):
        return (None,) * len(keys)
    return tuple(json.dumps(value[k], ensure_ascii=False) if k in read and k in value else None for k in keys)
