"""The cohort's figures worked out inside PostgreSQL, in one statement that answers a few dozen rows.

On PostgreSQL the report does not fetch the cohort (tens of thousands of leads for a 90-day range over a
million) to count it in Python: the database reads each cohort lead with its stored first entry into every
level (``leads.reached_*_at``, ``paths.reached``: the earliest move to that level or a later one) from one
range of the covering index ``ix_leads_report``, then counts the leads per origin and level (with the won
values of the customers per currency), the first entries inside the period, each step's median and 90th
percentile (``percentile_cont``, the same linear interpolation as ``measure.stats.percentile``) and the time
to first contact with its bands (``measure.contact``). Transferring and converting rows was most of a
report's time, and Python work done in two threads at once (the dashboard measures both periods together)
takes turns on the interpreter lock, while the database's work runs in parallel. SQLite keeps the row-wise
path of ``reports_rows``: it has no ``percentile_cont``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any

from sqlalchemy import ColumnElement, Float, and_, case, cast, extract, func, select, true
from sqlalchemy.orm import Session

from pheu.measure.contact import BANDS, NOT_CONTACTED, ContactBand, FirstContact
from pheu.measure.counts import LEVELS, Origin
from pheu.measure.timing import Times, times_from_figures
from pheu.services.reports_rows import LEADS
from pheu.store import Event


@dataclass(frozen=True, slots=True)
class CohortFigures:
    """What the cohort contributes to a period's counts (see ``measure.counts.PeriodCounts``)."""

    at_level: dict[Origin, list[int]]
    entered: list[int]
    won: dict[Origin, dict[str, list[int]]]
    times: Times
    first_contact: FirstContact


def _hours(later: ColumnElement[Any], earlier: ColumnElement[Any]) -> ColumnElement[Any]:
    return cast(extract("epoch", later - earlier), Float) / 3600.0


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.count().filter(condition)


def cohort_figures(
    session: Session,
    cohort: Sequence[ColumnElement[bool]],
    *,
    bought: ColumnElement[bool],
    reached: Sequence[ColumnElement[Any]],
    handed_level: int,
    advanced_level: int,
    contact_event: str,
    start: datetime,
    end: datetime,
    as_of: datetime,
    channel_code: dict[int, str],
) -> CohortFigures:
    """The cohort (leads matching ``cohort``) counted by PostgreSQL. ``reached`` are the leads' first entries
    into each level above IQL in funnel order, as seen at ``as_of`` (NULL: not yet); ``handed_level`` and
    ``advanced_level`` the levels of SQL and Opportunity."""
    per_lead = (
        select(
            LEADS.c.id.label("id"),
            LEADS.c.channel_id.label("channel_id"),
            LEADS.c.campaign_id.label("campaign_id"),
            bought.label("bought"),
            LEADS.c.created_at.label("created_at"),
            LEADS.c.won_amount_minor.label("won_amount"),
            LEADS.c.won_currency.label("won_currency"),
            *(moment.label(f"r{i + 1}") for i, moment in enumerate(reached)),
        )
        .where(*cohort)
        .cte("cohort_leads")
    )
    firsts = [getattr(per_lead.c, f"r{i + 1}") for i in range(len(reached))]
    # A merge can bring in moves older than the kept lead: it became a lead at the earliest of the two.
    became = func.least(per_lead.c.created_at, firsts[0])
    level: ColumnElement[int] = case((firsts[0].is_not(None), 1), else_=0)
    for later in firsts[1:]:  # reached levels are contiguous: the level is how many were reached
        level = level + case((later.is_not(None), 1), else_=0)
    # A customer's won value counts when it has both amount and currency (``measure.revenue``).
    valued = and_(firsts[-1].is_not(None), per_lead.c.won_amount.is_not(None), per_lead.c.won_currency != "")
    currency = case((valued, per_lead.c.won_currency))
    origins = (
        select(
            per_lead.c.channel_id,
            per_lead.c.campaign_id,
            per_lead.c.bought,
            level.label("level"),
            func.count().label("leads"),
            currency.label("currency"),
            func.sum(per_lead.c.won_amount).filter(valued).label("won_amount"),
            _count_if(valued).label("deals"),
        )
        .group_by(per_lead.c.channel_id, per_lead.c.campaign_id, per_lead.c.bought, level, currency)
        .subquery()
    )
    moments = [became, *firsts]
    spans = [*pairwise(moments), (became, firsts[-1])]
    overall: list[ColumnElement[Any]] = []
    for earlier, later in spans:
        hours = _hours(later, earlier)
        overall += [
            func.count(later),
            func.percentile_cont(0.5).within_group(hours),
            func.percentile_cont(0.9).within_group(hours),
        ]
    overall += [_count_if(and_(m >= start, m < end)) for m in moments]
    summary = select(*overall).select_from(per_lead).subquery()

    handed, advanced = firsts[handed_level - 1], firsts[advanced_level - 1]
    # The calls since the earliest hand-off, found through the type-and-time index of events (calls are few
    # among the events), then matched to the handed-off leads.
    earliest = select(func.min(handed)).select_from(per_lead).scalar_subquery()
    calls = (
        select(Event.lead_id.label("lead_id"), Event.occurred_at.label("at"))
        .where(Event.type == contact_event, Event.occurred_at >= earliest, Event.occurred_at < as_of)
        .subquery()
    )
    first_call = (
        select(per_lead.c.id.label("id"), func.min(calls.c.at).label("at"))
        .join(calls, and_(calls.c.lead_id == per_lead.c.id, calls.c.at >= handed))
        .group_by(per_lead.c.id)
        .subquery("first_call")
    )
    wait = _hours(first_call.c.at, handed)
    contact_columns: list[ColumnElement[Any]] = [
        func.count(),
        func.count(first_call.c.at),
        func.percentile_cont(0.5).within_group(wait),
        func.percentile_cont(0.9).within_group(wait),
    ]
    shortest = 0.0
    for _, longest in BANDS:
        inside = [wait > shortest] if shortest else [wait >= 0]
        inside += [wait <= longest] if longest != float("inf") else []
        contact_columns += [_count_if(and_(*inside)), _count_if(and_(*inside, advanced.is_not(None)))]
        shortest = longest
    contact_columns += [
        _count_if(first_call.c.at.is_(None)),
        _count_if(and_(first_call.c.at.is_(None), advanced.is_not(None))),
    ]
    contact = (
        select(*contact_columns)
        .select_from(per_lead.outerjoin(first_call, first_call.c.id == per_lead.c.id))
        .where(handed.is_not(None))
        .subquery()
    )
    stmt = select(*summary.c, *contact.c, *origins.c).select_from(
        summary.join(contact, true()).outerjoin(origins, true())
    )
    rows = session.execute(stmt).all()
    return _figures(rows, len(overall), len(contact_columns), channel_code)


def _figures(
    rows: Sequence[Any], n_summary: int, n_contact: int, channel_code: dict[int, str]
) -> CohortFigures:
    first = rows[0]
    summary, contact = list(first[:n_summary]), list(first[n_summary : n_summary + n_contact])
    names = ("iql_to_mql", "mql_to_sql", "sql_to_opportunity", "opportunity_to_customer", "lead_to_customer")
    steps = {
        name: (int(summary[3 * i]), _float(summary[3 * i + 1]), _float(summary[3 * i + 2]))
        for i, name in enumerate(names)
    }
    entered = [int(n) for n in summary[3 * len(names) :]]
    at_level: dict[Origin, list[int]] = {}
    won: dict[Origin, dict[str, list[int]]] = {}
    for row in rows:
        channel_id, campaign_id, bought, level, leads, currency, amount, deals = row[n_summary + n_contact :]
        if leads is None:  # no cohort lead at all: the outer join's empty row
            continue
        code = channel_code.get(channel_id) if channel_id is not None else None
        origin = Origin(code, campaign_id, bool(bought))
        at_level.setdefault(origin, [0] * LEVELS)[int(level)] += int(leads)
        if currency is not None and deals:
            sums = won.setdefault(origin, {}).setdefault(str(currency), [0, 0])
            sums[0] += int(amount)
            sums[1] += int(deals)
    handed, contacted, median, p90, *bands = contact
    band_names = [name for name, _ in BANDS] + [NOT_CONTACTED]
    first_contact = FirstContact(
        handed_off=int(handed),
        contacted=int(contacted),
        median_hours=_float(median),
        p90_hours=_float(p90),
        bands=tuple(
            ContactBand(name, int(bands[2 * i]), int(bands[2 * i + 1])) for i, name in enumerate(band_names)
        ),
    )
    return CohortFigures(at_level, entered, won, times_from_figures(steps), first_contact)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)
