"""The cohort read row by row and added up in numpy: the report's path on SQLite (PostgreSQL counts the
cohort itself, ``reports_pg``).

One row per cohort lead comes back with its stored first entry into every level (``leads.reached_*_at``),
read from the covering index ``ix_leads_report`` in index order, and ``measure.counts.Counter.cohort_columns``
adds them up. The handed-off leads' first calls are then matched in numpy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import ColumnElement, Float, Select, cast, extract, select
from sqlalchemy.orm import Session

from pheu.measure.contact import FirstContact, first_contact
from pheu.measure.counts import Counter, Moments, Origin
from pheu.store import Event
from pheu.store.base import Base

CONTACT_EVENT = "call"
# The ``leads`` table itself rather than the ``Lead`` entity: the report reads only the table's own columns,
# from its covering indexes, and is never joined to whatever else the entity may be mapped over.
LEADS = Base.metadata.tables["leads"]


@dataclass(frozen=True, slots=True)
class Reached:
    """The cohort's lead ids (sorted) and, per level above IQL, each one's first entry into it or later."""

    ids: npt.NDArray[np.int64]
    firsts: list[Moments]


def first_contact_of(
    session: Session, reached: Reached, as_of: datetime, handed_level: int, advanced_level: int
) -> FirstContact:
    """Per cohort lead that reached SQL (from the cohort already read): its wait from then to its first call,
    and whether it reached Opportunity (``measure.contact``). PostgreSQL works this out itself
    (``reports_pg``)."""
    if not reached.firsts:
        return first_contact([], [])
    handed_all = reached.firsts[handed_level - 1]
    chosen = ~np.isnat(handed_all)
    ids, handed = reached.ids[chosen], handed_all[chosen]
    advanced = ~np.isnat(reached.firsts[advanced_level - 1][chosen])
    if not len(ids):
        return first_contact([], [])
    sqlite = session.get_bind().dialect.name == "sqlite"
    occurred = Event.occurred_at if sqlite else cast(extract("epoch", Event.occurred_at), Float)
    earliest = datetime.fromisoformat(str(handed.min())).replace(tzinfo=UTC)
    # Calls are few among events: the type-and-time index finds them, numpy keeps the handed-off leads'.
    stmt = select(Event.lead_id, occurred).where(
        Event.type == CONTACT_EVENT,
        Event.occurred_at >= earliest,
        Event.occurred_at < as_of,
        Event.lead_id.between(int(ids[0]), int(ids[-1])),
    )
    never = np.iinfo(np.int64).max
    first_call = np.full(len(ids), never, dtype=np.int64)
    rows = plain_rows(session, stmt)
    if rows:
        lead_ids, moments = zip(*rows, strict=True)
        called_ids = np.asarray(lead_ids, dtype=np.int64)
        slot = np.minimum(np.searchsorted(ids, called_ids), len(ids) - 1)
        ticks = _moments(moments, sqlite).astype(np.int64)
        keep = (ids[slot] == called_ids) & (ticks >= handed[slot].astype(np.int64))
        np.minimum.at(first_call, slot[keep], ticks[keep])
    called = first_call != never
    hours = (first_call - handed.astype(np.int64)) / 3_600_000_000
    waits = [float(h) if c else None for h, c in zip(hours.tolist(), called.tolist(), strict=True)]
    return first_contact(waits, advanced.tolist())


def count_cohort(
    session: Session,
    counter: Counter,
    cohort: Sequence[ColumnElement[bool]],
    as_of: datetime,
    bought: ColumnElement[bool],
    channel_code: Callable[[int | None], str | None],
    reached: Sequence[ColumnElement[Any]],
) -> Reached:
    """Feed the counter the cohort: one row per lead with ``reached``, its stored first entries into each
    level above IQL in funnel order, added up by numpy (``measure.counts.Counter.cohort_columns``). An entry
    at or after ``as_of`` has not happened yet."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    # SQLite hands times over as text, which numpy reads; PostgreSQL's timestamps are cheaper as numbers.
    stored: list[ColumnElement[Any]] = [LEADS.c.created_at, *reached]
    times = stored if sqlite else [cast(extract("epoch", moment), Float) for moment in stored]
    stmt = select(
        LEADS.c.id,
        LEADS.c.channel_id,
        LEADS.c.campaign_id,
        bought,
        LEADS.c.won_amount_minor,
        LEADS.c.won_currency,
        *times,
    ).where(*cohort)
    rows = plain_rows(session, stmt)
    if not rows:
        return Reached(np.zeros(0, dtype=np.int64), [])
    lead_ids, channel_ids, campaign_ids, flags, amounts, currencies, created, *entries = zip(
        *rows, strict=True
    )
    won = [
        (int(amount), str(currency)) if amount is not None and currency else None
        for amount, currency in zip(amounts, currencies, strict=True)
    ]
    seen = np.datetime64(as_of.astimezone(UTC).replace(tzinfo=None), "us")
    firsts = [_moments(column, sqlite) for column in entries]
    for first in firsts:
        first[first >= seen] = np.datetime64("NaT")
    keys: dict[tuple[Any, Any, Any], int] = {}
    groups = [keys.setdefault(key, len(keys)) for key in zip(channel_ids, campaign_ids, flags, strict=True)]
    origins = [Origin(channel_code(ch), campaign, bool(flag)) for ch, campaign, flag in keys]
    counter.cohort_columns(origins, groups, _moments(created, sqlite), firsts, won)
    ids = np.asarray(lead_ids, dtype=np.int64)
    order = np.argsort(ids, kind="stable")
    return Reached(ids[order], [first[order] for first in firsts])


def _moments(column: Sequence[Any], text: bool) -> Moments:
    """Stored times as numpy microseconds (naive UTC), ``None`` as NaT: from text, or from seconds since
    the epoch."""
    if text:
        return np.array(column, dtype="datetime64[us]")
    seconds = np.array(column, dtype=float)
    known = ~np.isnan(seconds)
    out = np.full(len(seconds), np.datetime64("NaT"), dtype="datetime64[us]")
    out[known] = np.round(seconds[known] * 1e6).astype(np.int64).astype("datetime64[us]")
    return out


def plain_rows(session: Session, stmt: Select[Any]) -> list[tuple[Any, ...]]:
    """The driver's own rows: tens of thousands of numbers need no result processing, and building an ORM
    or Core row for each costs more than the query's slowest part."""
    with session.connection().execute(stmt) as result:
        return list(result.cursor.fetchall()) if result.cursor is not None else []
