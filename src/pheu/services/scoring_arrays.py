"""Leads and their events as arrays for set-wise scoring (``pheu.score.bulk``).

For every lead (or a given set): its fit-rule columns coded per distinct value (``LeadTable``), its kind
and stage, and the score it has stored now, so that writing back can skip the leads whose score did not
change. Leads are read through the bare driver cursor in large batches (no ORM rows: at a million leads
that overhead alone would take longer than the scoring); each distinct value is decoded once. Events come
from ``scoring_events``.

Memory: about 20 bytes per event and a few hundred per lead (10 million events take some 200 MB).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.orm import Session

from pheu.lifecycle import LeadKind
from pheu.score import ScoringModel
from pheu.score.bulk import Bools, Column, EventBatch, Floats, Ints, LeadTable
from pheu.score.facts import FieldValue
from pheu.score.model import LEAD_FIELDS
from pheu.services import scoring_events, scoring_leads_pg
from pheu.services.scoring_events import joined_numbers
from pheu.services.scoring_facts import Needs, needs
from pheu.store import Channel, Consent
from pheu.store.filters import one_of

ROWS: Final = 100_000
SUBSET: Final = 10_000
NO_MODEL: Final = -1


@dataclass(frozen=True, slots=True)
class Stored:
    """The score each lead holds now (``nan`` / ``None`` / ``NO_MODEL`` where never scored)."""

    score: Ints
    fit: Floats
    behaviour: Floats
    temperature: NDArray[np.object_]
    model_id: Ints


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Leads (``ids`` ascending; event ``lead`` indexes them) and their events as the models need them."""

    ids: Ints
    sales: Bools
    stages: tuple[str, ...]
    table: LeadTable
    events: EventBatch
    masks: dict[str, Bools]
    stored: Stored

    @property
    def size(self) -> int:
        return len(self.ids)


def load(
    session: Session,
    models: Sequence[ScoringModel],
    at: datetime,
    lead_ids: Iterable[int] | None = None,
    *,
    properties: bool = False,
) -> Snapshot:
    """Every lead (or those of ``lead_ids``) with its events up to ``at``, for all of ``models`` (masks for
    the first). With ``properties`` the event batch carries them too, which the backtest's replay wants."""
    wanted = needs(*models)
    subset = None if lead_ids is None else sorted(set(lead_ids))
    if subset is None:
        start = (
            scoring_events.start_full_read
            if session.get_bind().dialect.name == "postgresql"
            else scoring_events.start_sqlite_full_read
        )
        finish = start(session, models, wanted, at, properties=properties)
        try:
            ids, sales, stages, table, stored = _leads(session, wanted, subset)
        finally:
            found = finish()
    else:
        ids, sales, stages, table, stored = _leads(session, wanted, subset)
        found = scoring_events.read(session, models, wanted, at, subset, properties=properties)
    index, known = positions(ids, found.lead)
    kept = None
    if found.properties is not None:
        kept = [p for p, k in zip(found.properties, known.tolist(), strict=True) if k]
    batch = EventBatch(
        index[known], found.code[known].astype(np.int32), found.time[known], wanted.types, kept
    )
    masks = {rule_id: mask[known] for rule_id, mask in found.masks.items()}
    return Snapshot(ids, sales, stages, table, batch, masks, stored)


def positions(ids: Ints, wanted: Ints) -> tuple[Ints, Bools]:
    """Where each of ``wanted`` is in the sorted ``ids``, and whether it is there at all. Ids are usually
    dense, and then a lookup table beats a binary search by far at ten million events."""
    if not len(ids):
        return np.zeros(len(wanted), np.int64), np.zeros(len(wanted), np.bool_)
    low, span = int(ids[0]), int(ids[-1]) - int(ids[0]) + 1
    if span <= 4 * len(ids) + 1024:
        table = np.full(span, -1, np.int64)
        table[ids - low] = np.arange(len(ids))
        inside = (wanted >= low) & (wanted < low + span)
        found = np.where(inside, table[np.clip(wanted - low, 0, span - 1)], -1)
        return np.maximum(found, 0), found >= 0
    index = np.minimum(np.searchsorted(ids, wanted), len(ids) - 1)
    return index, ids[index] == wanted


_STORED = "score, score_fit, score_behaviour, temperature, score_model_id"
_FROM = "leads JOIN lead_scores ON lead_scores.lead_id = leads.id"


def _leads(
    session: Session, wanted: Needs, subset: Sequence[int] | None
) -> tuple[Ints, Bools, tuple[str, ...], LeadTable, Stored]:
    if session.get_bind().dialect.name == "postgresql":
        return _leads_postgresql(session, wanted, subset)
    return _leads_sqlite(session, wanted, subset)


def _leads_postgresql(
    session: Session, wanted: Needs, subset: Sequence[int] | None
) -> tuple[Ints, Bools, tuple[str, ...], LeadTable, Stored]:
    driver: Any = session.connection().connection.driver_connection
    if subset is None:
        scoring_leads_pg.tune_for_scans(driver)
    rows = scoring_leads_pg.numbers(driver, subset)
    ids = rows["id"].astype(np.int64)
    temperature = np.array([None, *scoring_leads_pg.TEMPERATURES], dtype=object)[rows["temperature"] + 1]
    stored = Stored(
        score=rows["score"].astype(np.int64),
        fit=rows["fit"].astype(np.float64),
        behaviour=rows["behaviour"].astype(np.float64),
        temperature=temperature,
        model_id=rows["model"].astype(np.int64),
    )
    combos, members, sizes = scoring_leads_pg.fit_groups(driver, wanted, subset)
    sales, stages, table = _from_groups(session, wanted, subset, ids, combos, members, sizes)
    return ids, sales, stages, table, stored


def _from_groups(
    session: Session,
    wanted: Needs,
    subset: Sequence[int] | None,
    ids: Ints,
    combos: Sequence[Sequence[Any]],
    members: Ints,
    sizes: Ints,
) -> tuple[Bools, tuple[str, ...], LeadTable]:
    """Per lead, from the groups of (stage code, is sales, fit values…) and the lead ids of each."""
    of_lead = np.zeros(len(ids), np.int64)
    where, known = positions(ids, members)
    of_lead[where[known]] = np.repeat(np.arange(len(combos)), sizes)[known]
    stage_names = np.array([*scoring_leads_pg.STAGES, ""], dtype=object)
    stages = (
        tuple(stage_names[np.array([c[0] for c in combos], np.int64)[of_lead]].tolist()) if combos else ()
    )
    sales = np.array([bool(c[1]) for c in combos], np.bool_)[of_lead] if combos else np.zeros(0, np.bool_)
    columns: dict[str, Column] = {}
    for j, name in enumerate(wanted.fields, start=len(scoring_leads_pg.STAGE_AND_KIND)):
        per_combo = _column([c[j] for c in combos], _decoder(session, name, subset))
        columns[name] = Column(per_combo.codes[of_lead], per_combo.values)
    return sales, stages, LeadTable(len(ids), columns)


def _fit_exprs(wanted: Needs) -> list[str]:
    """Column names come from ``LEAD_FIELDS`` and the derived names, never from input. A text column read
    only as present or missing comes as a stand-in ('x' when it holds an ASCII letter or digit), and the email
    as its domain when it has exactly one '@' (as itself otherwise, for the decoder to cut): both keep the
    number of distinct values, each decoded once, small."""
    exprs = []
    for name in wanted.fields:
        if name in ("flags", "interests"):  # decoded once per distinct text
            exprs.append(f"CAST({name} AS TEXT)")
        elif name == "email_domain":
            after = "substr(email, instr(email, '@') + 1)"
            exprs.append(
                f"CASE WHEN instr(email, '@') = 0 THEN NULL WHEN instr({after}, '@') = 0 THEN {after} ELSE email END"
            )
        elif name == "channel":
            exprs.append("channel_id")
        elif name in ("kind", "consents"):
            exprs.append("kind" if name == "kind" else "leads.id")
        elif name in wanted.presence_only:
            exprs.append(f"CASE WHEN {name} GLOB '*[0-9A-Za-z]*' THEN 'x' ELSE {name} END")
        else:
            assert name in LEAD_FIELDS
            exprs.append(name)
    return exprs


def _select_sql(wanted: Needs) -> str:
    return ", ".join(["leads.id", "kind", "stage", _STORED, *_fit_exprs(wanted)])


def _rows(session: Session, sql: str, subset: Sequence[int] | None) -> Iterable[list[tuple[Any, ...]]]:
    cursor: Any = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    chunks: list[list[int] | None] = [None]
    if subset is not None:
        chunks = [list(subset[i : i + SUBSET]) for i in range(0, len(subset), SUBSET)]
    for ids in chunks:
        params: tuple[Any, ...] = ()
        query = f"SELECT {sql} FROM {_FROM} ORDER BY leads.id"  # noqa: S608 - our column names
        if ids is not None:
            marks = ", ".join("?" * len(ids))
            query = f"SELECT {sql} FROM {_FROM} WHERE leads.id IN ({marks}) ORDER BY leads.id"  # noqa: S608
            params = tuple(ids)
        cursor.execute(query, params)
        while rows := cursor.fetchmany(ROWS):
            yield rows
    cursor.close()


WHOLE_RANGE: Final = 2_000_000
_TEMPERATURE_CODE: Final = (
    "CASE temperature "
    + " ".join(f"WHEN '{t}' THEN {i}" for i, t in enumerate(scoring_leads_pg.TEMPERATURES))
    + " ELSE -1 END"
)
_STAGE_CODE: Final = (
    "CASE stage "
    + " ".join(f"WHEN '{t}' THEN {i}" for i, t in enumerate(scoring_leads_pg.STAGES))
    + " ELSE -1 END"
)


def _leads_sqlite_whole(
    session: Session, wanted: Needs
) -> tuple[Ints, Bools, tuple[str, ...], LeadTable, Stored]:
    """Every lead on SQLite the way ``scoring_leads_pg`` reads them on PostgreSQL: the stored scores column by
    column from ``lead_scores`` (``group_concat``, parsed whole by numpy), and the stage, kind and fit
    columns grouped by their combination of values with the ids of their leads. No lead becomes a Python
    object, and SQLite does the work without holding the interpreter lock, beside the events' read."""
    cursor: Any = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    numbers_sql = (
        "SELECT group_concat(lead_id), group_concat(score), group_concat(COALESCE(score_fit, 'nan')), "  # noqa: S608
        f"group_concat(COALESCE(score_behaviour, 'nan')), group_concat({_TEMPERATURE_CODE}), "
        "group_concat(COALESCE(score_model_id, -1)) FROM lead_scores WHERE lead_id >= ? AND lead_id < ?"
    )
    exprs = [_STAGE_CODE, "kind = 'sales'", *_fit_exprs(wanted)]
    keys = ", ".join(str(i + 1) for i in range(len(exprs)))
    groups_sql = (
        f"SELECT {', '.join(exprs)}, group_concat(id) FROM leads "  # noqa: S608 - our column names
        f"WHERE id >= ? AND id < ? GROUP BY {keys}"
    )
    low, high = cursor.execute("SELECT min(id), max(id) FROM leads").fetchone()
    parts: list[list[NDArray[Any]]] = []
    combos: list[tuple[Any, ...]] = []
    member_parts: list[Ints] = []
    for lo in range(int(low or 0), int(high or -1) + 1, WHOLE_RANGE):
        row = cursor.execute(numbers_sql, (lo, lo + WHOLE_RANGE)).fetchone()
        if row[0]:
            parts.append(
                [joined_numbers(text, np.float64 if j in (2, 3) else np.int64) for j, text in enumerate(row)]
            )
        for *values, joined in cursor.execute(groups_sql, (lo, lo + WHOLE_RANGE)):
            combos.append(tuple(values))
            member_parts.append(joined_numbers(joined))
    cursor.close()
    columns = [np.concatenate([p[j] for p in parts]) if parts else np.zeros(0) for j in range(6)]
    order = np.argsort(columns[0], kind="stable")
    ids, score, fit, behaviour, temperature, model = (c[order] for c in columns)
    stored = Stored(
        score=score.astype(np.int64),
        fit=fit.astype(np.float64),
        behaviour=behaviour.astype(np.float64),
        temperature=np.array([None, *scoring_leads_pg.TEMPERATURES], dtype=object)[
            temperature.astype(np.int64) + 1
        ],
        model_id=model.astype(np.int64),
    )
    lead_ids: Ints = ids.astype(np.int64)
    sizes = np.fromiter((len(m) for m in member_parts), np.int64, len(member_parts))
    members = np.concatenate(member_parts) if member_parts else np.zeros(0, np.int64)
    sales, stages, table = _from_groups(session, wanted, None, lead_ids, combos, members, sizes)
    return lead_ids, sales, stages, table, stored


def _leads_sqlite(
    session: Session, wanted: Needs, subset: Sequence[int] | None
) -> tuple[Ints, Bools, tuple[str, ...], LeadTable, Stored]:
    if subset is None:
        return _leads_sqlite_whole(session, wanted)
    """SQLite is in-process: rows straight from its cursor are cheap, and are coded column by column."""
    fields = wanted.fields
    columns: list[list[Any]] = [[] for _ in range(8 + len(fields))]
    for rows in _rows(session, _select_sql(wanted), subset):
        for column, values in zip(columns, zip(*rows, strict=True), strict=True):
            column.extend(values)
    n = len(columns[0])
    ids = np.fromiter(columns[0], np.int64, n)
    sales = np.fromiter(map(LeadKind.SALES.value.__eq__, columns[1]), np.bool_, n)
    stored = Stored(
        score=np.fromiter((s or 0 for s in columns[3]), np.int64, n),
        fit=np.array(columns[4], dtype=np.float64),  # None becomes nan
        behaviour=np.array(columns[5], dtype=np.float64),
        temperature=np.array(columns[6], dtype=object),
        model_id=np.fromiter((NO_MODEL if v is None else v for v in columns[7]), np.int64, n),
    )
    table = LeadTable(
        n,
        {
            name: _column(values, _decoder(session, name, subset, sqlite=True))
            for name, values in zip(fields, columns[8:], strict=True)
        },
    )
    return ids, sales, tuple(columns[2]), table, stored


def _decoder(
    session: Session,
    name: str,
    subset: Sequence[int] | None,
    *,
    domain_only: bool = False,
    sqlite: bool = False,
) -> Callable[[Any], FieldValue]:
    """How a fetched value becomes what ``LeadFacts.value(name)`` would give (``domain_only``: the email
    column was already cut to what follows its last '@'; ``sqlite``: cut when it had a single '@')."""
    if name == "flags":
        return lambda text: () if text is None else tuple(sorted(set(json.loads(text) or ())))
    if name == "interests":
        return lambda text: None if text is None else _tuple(json.loads(text))
    if name == "email_domain":  # the domain, or an email with several '@' to cut here; None without one
        return lambda value: None if value is None else (value.rpartition("@")[2].strip().lower() or None)
    if name == "channel":
        codes = dict(session.execute(select(Channel.id, Channel.code)).all())
        return lambda channel_id: codes.get(channel_id)
    if name == "consents":
        granted = _granted(session, subset)
        return lambda lead_id: granted.get(lead_id, ())
    return lambda value: value


def _tuple(value: Any) -> FieldValue:
    return tuple(value) if isinstance(value, list) else value


def _granted(session: Session, subset: Sequence[int] | None) -> Mapping[int, tuple[str, ...]]:
    stmt = select(Consent.lead_id, Consent.purpose).where(Consent.granted)
    if subset is not None:
        stmt = stmt.where(one_of(session, Consent.lead_id, subset))
    by_lead: dict[int, set[str]] = {}
    for lead_id, purpose in session.execute(stmt):
        by_lead.setdefault(lead_id, set()).add(purpose)
    return {lead_id: tuple(sorted(purposes)) for lead_id, purposes in by_lead.items()}


def _column(raw: Sequence[Any], decode: Callable[[Any], FieldValue]) -> Column:
    """Codes per distinct fetched value (first seen, first coded); each distinct value is decoded once."""
    index = {value: code for code, value in enumerate(dict.fromkeys(raw))}
    codes = np.fromiter(map(index.__getitem__, raw), np.int32, len(raw))
    return Column(codes, tuple(decode(v) for v in index))
