"""Reports: the measures of ``pheu.measure`` over the stored leads, for the CLI, the dashboard and the API.

Fetching is set-wise and sized for a million leads: the database groups each lead's stage moves into one row
holding its first entry into each funnel stage (never loading events or single moves), and sums campaign
costs per campaign and currency. The plain SQL used (joins, ``GROUP BY``, ``CASE``) runs the same on SQLite and
PostgreSQL. The previous period is measured as things stood one period earlier (``as_of`` moved back by the
period's length), so both cohorts have had the same time to convert.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement, String, case, cast, func, select, type_coerce
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql.sqltypes import NullType

from pheu.config import get_settings
from pheu.lifecycle import LeadKind, Stage
from pheu.measure.costs import Spend
from pheu.measure.paths import ABOVE_IQL, LeadPath
from pheu.measure.period import Period
from pheu.measure.quality import BOUGHT_LIST_FLAG
from pheu.measure.report import REVENUE_NOTE, Figures, measure
from pheu.services.errors import Invalid
from pheu.store import Campaign, CampaignCost, Channel, Lead, LeadMerge, StageChange, User

DEFAULT_DAYS = 30
SPEND_NOT_SPLIT = (
    "Spend is booked per campaign, not per owner or team: costs are left out under those filters."
)
_MOVES_UP = [stage.value for stage in ABOVE_IQL]


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


def _channels(session: Session) -> _Channels:
    rows = session.execute(select(Channel.id, Channel.code, Channel.low_quality)).all()
    return _Channels({id_: code for id_, code, _ in rows}, frozenset(code for _, code, low in rows if low))


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
    session: Session, filters: ReportFilters, as_of: datetime, *, zone: tzinfo | None = None
) -> Report:
    """The report for ``filters`` as seen at ``as_of`` (aware), with the previous period for comparison.

    Raises ``Invalid`` naming the known channels when a channel code is unknown.
    """
    zone = zone or report_zone()
    channels = _channels(session)
    unknown = [code for code in filters.channels if code not in channels.codes.values()]
    if unknown:
        known = ", ".join(sorted(channels.codes.values())) or "none yet"
        raise Invalid(f"Unknown channel {', '.join(unknown)}. Known channels: {known}.", field="channel")
    previous_period = filters.period.previous()
    current = _figures(session, filters, filters.period, as_of, zone, channels)
    previous = _figures(session, filters, previous_period, as_of - filters.period.length, zone, channels)
    notes = [REVENUE_NOTE] if current.revenue is None else []
    if _spend_hidden(filters):
        notes.append(SPEND_NOT_SPLIT)
    return Report(filters, current, previous, tuple(notes))


def _figures(
    session: Session,
    filters: ReportFilters,
    period: Period,
    as_of: datetime,
    zone: tzinfo,
    channels: _Channels,
) -> Figures:
    """The cohort (leads created in the period) and the older leads that moved up in it: together all the
    period view can count, since a lead created before the period reached IQL before it too."""
    start, end = period.bounds(zone)
    seen_end = min(end, as_of)
    matching = _lead_conditions(filters, channels)
    moved_up = select(StageChange.lead_id).where(
        StageChange.to_stage.in_(_MOVES_UP), StageChange.at >= start, StageChange.at < seen_end
    )
    cohort = [*matching, Lead.created_at >= start, Lead.created_at < seen_end]
    older_movers = [*matching, Lead.created_at < start, Lead.id.in_(moved_up)]
    paths = _paths(session, cohort, as_of, channels) + _paths(session, older_movers, as_of, channels)
    spend = [] if _spend_hidden(filters) else _spend(session, filters, period, as_of.astimezone(zone).date())
    return measure(
        paths, spend, period=period, zone=zone, as_of=as_of, low_quality_channels=channels.low_quality
    )


def _spend_hidden(filters: ReportFilters) -> bool:
    return filters.owner_id is not None or filters.team_id is not None


def _lead_conditions(filters: ReportFilters, channels: _Channels) -> list[ColumnElement[bool]]:
    """Sales leads matching the filters, minus any lead recorded as merged away (normally already deleted).
    Channel ids are given as values so the database can use its channel-and-creation index."""
    merged_away = select(LeadMerge.merged_lead_id).where(
        LeadMerge.merged_lead_id.is_not(None), LeadMerge.reverted_at.is_(None)
    )
    conditions = [Lead.kind == LeadKind.SALES.value, Lead.id.not_in(merged_away)]
    if filters.channels:
        wanted = set(filters.channels)
        conditions.append(Lead.channel_id.in_([i for i, code in channels.codes.items() if code in wanted]))
    if filters.campaign_id is not None:
        conditions.append(Lead.campaign_id == filters.campaign_id)
    if filters.owner_id is not None:
        conditions.append(Lead.owner_id == filters.owner_id)
    if filters.team_id is not None:
        conditions.append(Lead.owner_id.in_(select(User.id).where(User.team_id == filters.team_id)))
    return conditions


def _paths(
    session: Session, conditions: Sequence[ColumnElement[bool]], as_of: datetime, channels: _Channels
) -> list[LeadPath]:
    """The leads matching ``conditions``, each with its first entry into every stage above IQL before
    ``as_of``: one query for the leads, one that groups their moves per lead in the database. The moves are
    found from the leads (``lead_id``, ``at`` index), so the work grows with the leads asked about, not with
    the whole history; IQL entries are not needed (a lead is at IQL from its creation)."""
    bought = cast(Lead.flags, String).like(f'%"{BOUGHT_LIST_FLAG.replace("_", "!_")}"%', escape="!")
    origins = select(Lead.id, _raw(Lead.created_at), Lead.channel_id, Lead.campaign_id, bought).where(
        *conditions
    )
    firsts = [_raw(func.min(case((StageChange.to_stage == s.value, StageChange.at)))) for s in ABOVE_IQL]
    entries_stmt = (
        select(StageChange.lead_id, *firsts)
        .where(StageChange.lead_id.in_(select(Lead.id).where(*conditions)), StageChange.at < as_of)
        .group_by(StageChange.lead_id)
    )
    entries: dict[int, dict[Stage, datetime]] = {}
    for lead_id, *times in session.execute(entries_stmt):
        if any(times):
            entries[lead_id] = {s: _utc(at) for s, at in zip(ABOVE_IQL, times, strict=True) if at is not None}
    return [
        LeadPath(
            lead_id=lead_id,
            created_at=_utc(created_at),
            entries=entries.get(lead_id, {}),
            channel=channels.codes.get(channel_id) if channel_id is not None else None,
            campaign_id=campaign_id,
            bought_list=bool(bought),
        )
        for lead_id, created_at, channel_id, campaign_id, bought in session.execute(origins)
    ]


def _raw(expr: ColumnElement[Any] | InstrumentedAttribute[datetime]) -> ColumnElement[Any]:
    """A time read as the driver gives it: SQLAlchemy's own SQLite date parsing costs more than the query."""
    return type_coerce(expr, NullType())


def _utc(value: str | datetime) -> datetime:
    """Stored naive UTC (text on SQLite, a timestamp on PostgreSQL) as an aware datetime."""
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    return at.replace(tzinfo=UTC)


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
