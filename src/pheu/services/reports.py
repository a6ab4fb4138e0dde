"""Reports: the measures of ``pheu.measure`` over the stored leads, for the CLI, the dashboard and the API.

Fetching is set-wise and sized for a million leads (``bench/reports.py``). Each lead carries its first entry
into every funnel level (``leads.reached_mql_at`` … ``reached_customer_at``, kept by the database from the
stage moves, migration 0008), so the cohort (leads created in the period) is one index range of ``leads``
with no join: PostgreSQL counts, times and bands it itself and answers a few dozen rows (``reports_pg``);
on SQLite it comes back one row per lead and numpy adds it up (``reports_rows``). The older leads that first
reached a level in the period are counted by the database, one index range per level; campaign costs are
summed per campaign and currency. The previous period is measured as things stood one period earlier
(``as_of`` moved back by the period's length; a stored entry at or after that moment has not happened yet),
so both cohorts have had the same time to convert; the dashboard and the API measure it at the same time as
the current one.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import (
    ColumnElement,
    String,
    case,
    cast,
    func,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from pheu.auth.roles import Principal, Role
from pheu.config import get_settings
from pheu.lifecycle import LeadKind, Stage
from pheu.measure.costs import Spend
from pheu.measure.counts import Counter, PeriodCounts
from pheu.measure.paths import ABOVE_IQL, LEVEL
from pheu.measure.period import Period
from pheu.measure.quality import BOUGHT_LIST_FLAG
from pheu.measure.report import REVENUE_NOTE, Figures, figures
from pheu.services import reports_pg, reports_rows
from pheu.services.errors import Forbidden, Invalid
from pheu.services.reports_rows import LEADS
from pheu.store import Campaign, CampaignCost, Channel, LeadMerge, Team, User

DEFAULT_DAYS = 30
SPEND_NOT_SPLIT = (
    "Spend is booked per campaign, not per owner or team: costs are left out under those filters."
)
CONTACT_EVENT = reports_rows.CONTACT_EVENT  # a call logged for the lead: contact by sales
_LEVEL_OF = {stage.value: LEVEL[stage] for stage in ABOVE_IQL}
# Per level above IQL, in funnel order: the lead's first entry into it or a later one (``paths.reached``).
_REACHED_AT = {
    Stage.MQL: LEADS.c.reached_mql_at,
    Stage.SQL: LEADS.c.reached_sql_at,
    Stage.OPPORTUNITY: LEADS.c.reached_opportunity_at,
    Stage.CUSTOMER: LEADS.c.reached_customer_at,
}
_REACHED = [_REACHED_AT[stage] for stage in ABOVE_IQL]


def can_read_reports(role: Role) -> bool:
    """Reports show spend, channel quality and every owner's pipeline: admin, marketing and sales managers.
    A sales rep works from their own lead list and board instead (403 on the dashboard and the API)."""
    return role is not Role.SALES_REP


def require_report_reader(principal: Principal) -> None:
    if not can_read_reports(principal.role):
        raise Forbidden("Reports are for administrators, marketing and sales managers.")


@dataclass(frozen=True, slots=True)
class ReportFilters:
    """Which leads a report covers. ``channels`` are channel codes (any of them); ``team_id`` means leads
    owned by a member of that team."""

    period: Period
    channels: tuple[str, ...] = ()
    campaign_id: int | None = None
    owner_id: int | None = None
    team_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "channels": list(self.channels),
            "campaign_id": self.campaign_id,
            "owner_id": self.owner_id,
            "team_id": self.team_id,
        }


@dataclass(frozen=True, slots=True)
class Report:
    """This period's figures, the previous period's, and notes a reader needs to trust them."""

    filters: ReportFilters
    current: Figures
    previous: Figures
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.current.to_dict(),
            "filters": self.filters.to_dict(),
            "notes": list(self.notes),
            "previous_period": self.previous.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class _Channels:
    codes: dict[int, str]
    low_quality: frozenset[str]

    def code(self, channel_id: int | None) -> str | None:
        return self.codes.get(channel_id) if channel_id is not None else None


def _channels(session: Session) -> _Channels:
    rows = session.execute(select(Channel.id, Channel.code, Channel.low_quality)).all()
    return _Channels({id_: code for id_, code, _ in rows}, frozenset(code for _, code, low in rows if low))


def teams(session: Session) -> list[Team]:
    """Teams, for the dashboard's team filter."""
    return list(session.scalars(select(Team).order_by(Team.name)))


def report_zone() -> tzinfo:
    """The zone reporting days are cut in (``PHEU_TIMEZONE``); a fixed UTC+7 without time zone data."""
    try:
        return ZoneInfo(get_settings().timezone)
    except ZoneInfoNotFoundError:
        return timezone(timedelta(hours=7), "Asia/Ho_Chi_Minh")


def default_period(
    as_of: datetime, zone: tzinfo, *, first_day: date | None = None, last_day: date | None = None
) -> Period:
    """The period people mean when they leave a bound out: it ends today (``as_of``'s local date) and starts
    ``DEFAULT_DAYS`` days before its end. Raises ``ValueError`` when it would end before it starts."""
    if last_day is None:
        last_day = max(as_of.astimezone(zone).date(), first_day or date.min)
    if first_day is None:
        return Period.ending(last_day, DEFAULT_DAYS)
    return Period(first_day, last_day)


def build_report(
    session: Session,
    filters: ReportFilters,
    as_of: datetime,
    *,
    zone: tzinfo | None = None,
    concurrent: bool = False,
) -> Report:
    """The report for ``filters`` as seen at ``as_of`` (aware), with the previous period for comparison.

    ``concurrent=True`` measures the previous period at the same time on a second connection, which halves
    the wait on a machine with two cores or more; only for a session holding no uncommitted writes (the
    second connection cannot see them). PostgreSQL only: on SQLite the work is the interpreter's own (rows
    counted in numpy), two threads take turns on its lock, and at a million leads the report took 1.16 s at
    p95 that way against 0.74 s one period after the other. Raises ``Invalid`` naming the known channels when a channel code is
    unknown.
    """
    zone = zone or report_zone()
    channels = _channels(session)
    unknown = [code for code in filters.channels if code not in channels.codes.values()]
    if unknown:
        known = ", ".join(sorted(channels.codes.values())) or "none yet"
        raise Invalid(f"Unknown channel {', '.join(unknown)}. Known channels: {known}.", field="channel")
    previous_args = (filters, filters.period.previous(), as_of - filters.period.length, zone, channels)
    bind = session.get_bind()
    # A session on one connection has nothing to share.
    if concurrent and isinstance(bind, Engine) and bind.dialect.name == "postgresql":
        with ThreadPoolExecutor(max_workers=1) as pool:
            later = pool.submit(_figures_apart, bind, *previous_args)
            current = _figures(session, filters, filters.period, as_of, zone, channels)
            previous = later.result()
    else:
        current = _figures(session, filters, filters.period, as_of, zone, channels)
        previous = _figures(session, *previous_args)
    notes = [] if current.valued else [REVENUE_NOTE]
    if _spend_hidden(filters):
        notes.append(SPEND_NOT_SPLIT)
    return Report(filters, current, previous, tuple(notes))


def _figures_apart(bind: Engine, *args: Any) -> Figures:
    """``_figures`` on a session of its own, for another thread."""
    with Session(bind) as session:
        return _figures(session, *args)


def _figures(
    session: Session,
    filters: ReportFilters,
    period: Period,
    as_of: datetime,
    zone: tzinfo,
    channels: _Channels,
) -> Figures:
    """The cohort (leads created in the period) one row each, worked out and counted by the database, and
    the older leads that first reached a level in the period counted per level in the database:
    together all the period view can count, since a lead created before the period reached IQL before it."""
    start, end = period.bounds(zone)
    seen_end = min(end, as_of)
    matching = _lead_conditions(filters, channels)
    cohort = [*matching, LEADS.c.created_at >= start, LEADS.c.created_at < seen_end]
    older = _older_entered(session, matching, start, seen_end)
    spend = [] if _spend_hidden(filters) else _spend(session, filters, period, as_of.astimezone(zone).date())
    if session.get_bind().dialect.name == "postgresql":
        found = reports_pg.cohort_figures(
            session,
            cohort,
            bought=_bought(),
            reached=[case((column < as_of, column)) for column in _REACHED],
            handed_level=_LEVEL_OF[Stage.SQL.value],
            advanced_level=_LEVEL_OF[Stage.OPPORTUNITY.value],
            contact_event=CONTACT_EVENT,
            start=start,
            end=end,
            as_of=as_of,
            channel_code=channels.codes,
        )
        entered = [a + b for a, b in zip(found.entered, older, strict=True)]
        counts = PeriodCounts(found.at_level, {}, entered, found.won)
        times, contact = found.times, found.first_contact
    else:
        counter = Counter(start, end)
        reached = reports_rows.count_cohort(
            session, counter, cohort, as_of, _bought(), channels.code, _REACHED
        )
        counter.add_entered(older)
        contact = reports_rows.first_contact_of(
            session, reached, as_of, _LEVEL_OF[Stage.SQL.value], _LEVEL_OF[Stage.OPPORTUNITY.value]
        )
        counts, times = counter.result(), None
    return figures(
        counts,
        spend,
        period=period,
        zone=zone,
        as_of=as_of,
        low_quality_channels=channels.low_quality,
        first_contact=contact,
        times=times,
    )


def _spend_hidden(filters: ReportFilters) -> bool:
    return filters.owner_id is not None or filters.team_id is not None


def _lead_conditions(filters: ReportFilters, channels: _Channels) -> list[ColumnElement[bool]]:
    """Sales leads matching the filters, minus any lead recorded as merged away (normally already deleted).
    Channel ids are given as values so the database can use its channel-and-creation index."""
    merged_away = select(LeadMerge.merged_lead_id).where(
        LeadMerge.merged_lead_id.is_not(None), LeadMerge.reverted_at.is_(None)
    )
    conditions = [LEADS.c.kind == LeadKind.SALES.value, LEADS.c.id.not_in(merged_away)]
    if filters.channels:
        wanted = set(filters.channels)
        conditions.append(LEADS.c.channel_id.in_([i for i, code in channels.codes.items() if code in wanted]))
    if filters.campaign_id is not None:
        conditions.append(LEADS.c.campaign_id == filters.campaign_id)
    if filters.owner_id is not None:
        conditions.append(LEADS.c.owner_id == filters.owner_id)
    if filters.team_id is not None:
        conditions.append(LEADS.c.owner_id.in_(select(User.id).where(User.team_id == filters.team_id)))
    return conditions


def _bought() -> ColumnElement[bool]:
    return cast(LEADS.c.flags, String).like(f'%"{BOUGHT_LIST_FLAG.replace("_", "!_")}"%', escape="!")


def _older_entered(
    session: Session,
    matching: Sequence[ColumnElement[bool]],
    start: datetime,
    seen_end: datetime,
) -> list[int]:
    """Leads created before the period that first reached each level inside it (and before ``seen_end``, the
    report's moment when that comes first), counted in the database: one range of the level's partial index
    each (IQL: none, they reached it when created)."""
    older = [*matching, LEADS.c.created_at < start]
    counts = [
        select(func.count()).where(*older, column >= start, column < seen_end).scalar_subquery()
        for column in _REACHED
    ]
    row = session.execute(select(*counts)).one()
    return [0, *(int(n) for n in row)]


def _spend(session: Session, filters: ReportFilters, period: Period, today: date) -> Sequence[Spend]:
    """Campaign costs booked on the period's days, up to ``today``, summed per campaign and currency."""
    last_day = min(period.last_day, today)
    if last_day < period.first_day:
        return []
    stmt = (
        select(
            Campaign.id,
            Campaign.name,
            Channel.code,
            CampaignCost.currency,
            func.sum(CampaignCost.amount_minor),
        )
        .join(Campaign, Campaign.id == CampaignCost.campaign_id)
        .join(Channel, Channel.id == Campaign.channel_id)
        .where(CampaignCost.day >= period.first_day, CampaignCost.day <= last_day)
        .group_by(Campaign.id, Campaign.name, Channel.code, CampaignCost.currency)
    )
    if filters.channels:
        stmt = stmt.where(Channel.code.in_(filters.channels))
    if filters.campaign_id is not None:
        stmt = stmt.where(Campaign.id == filters.campaign_id)
    return [
        Spend(campaign_id, name, code, currency, int(amount))
        for campaign_id, name, code, currency, amount in session.execute(stmt)
    ]
