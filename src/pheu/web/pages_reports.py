"""The reports dashboard: the funnel, rates, times, cost per level and channel quality of a period next to
the period before, as charts and tables whose every number opens the leads behind it; and its CSV and Excel
downloads. Admin, marketing and sales managers (the service refuses sales reps).

The figures are ``pheu.services.reports.build_report``'s, the same as ``pheu report`` and the API. A number
links to the lead list (``/leads``) narrowed by the filters that name exactly the leads the number counts
(``reached`` a stage, first ``reached`` it in the period, bought lists or the rest, a team), so what a reader
sees there is what was counted, with the list's own search, sorting and paging.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Final
from urllib.parse import urlencode

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent, get_currency_precision
from fastapi import APIRouter, Depends, Request
from starlette.datastructures import QueryParams
from starlette.responses import RedirectResponse, Response

from pheu.db import unit_of_work
from pheu.i18n import N_, gettext
from pheu.lifecycle import SALES_FUNNEL
from pheu.measure.period import Period
from pheu.measure.report import REVENUE_NOTE, Figures
from pheu.measure.stats import relative_change
from pheu.services import exports, reports
from pheu.web import labels, queries
from pheu.web.auth import CurrentViewer, request_locale
from pheu.web.csrf import csrf_protect
from pheu.web.errors import PageRoute
from pheu.web.templating import render

router = APIRouter(route_class=PageRoute, dependencies=[Depends(csrf_protect)], include_in_schema=False)
PRESETS: Final = (30, 90, 180)
DRILL_PATH: Final = "/leads"
STEP_LABELS: Final[dict[str, str]] = {
    "iql_to_mql": N_("IQL → MQL"),
    "mql_to_sql": N_("MQL → SQL"),
    "sql_to_opportunity": N_("SQL → Opportunity"),
    "opportunity_to_customer": N_("Opportunity → Customer"),
    "lead_to_customer": N_("Lead → customer"),
}
EXPORT_WORDS: Final[dict[str, str]] = {
    **STEP_LABELS,
    "summary": N_("Summary"), "item": N_("Item"), "value": N_("Value"), "period": N_("Period"),
    "previous_period": N_("Previous period"), "as_of": N_("As of"), "channel": N_("Channel"),
    "campaign": N_("Campaign"), "owner": N_("Owner"), "team": N_("Team"), "all": N_("All"),
    "spend": N_("Spend"), "note": N_("Note"), "funnel": N_("Funnel"), "stage": N_("Stage"),
    "leads": N_("Leads"), "conversion_to_next": N_("Conversion to next stage"),
    "previous_leads": N_("Leads, previous period"), "previous_conversion": N_("Conversion, previous period"),
    "entered_in_period": N_("Entered in period"), "previous_entered": N_("Entered, previous period"),
    "rates": N_("Conversion rates"), "rate": N_("Rate"), "this_period": N_("This period"),
    "times": N_("Time between stages"), "step": N_("Step"), "median_hours": N_("Median (hours)"),
    "p90_hours": N_("90th percentile (hours)"), "previous_median_hours": N_("Median, previous period (hours)"),
    "cost_by_channel": N_("Cost by channel"), "cost_by_campaign": N_("Cost by campaign"),
    "currency": N_("Currency"), "mqls": N_("MQLs"), "sqls": N_("SQLs"), "customers": N_("Customers"),
    "cost_per_lead": N_("Cost per lead"), "cost_per_mql": N_("Cost per MQL"), "cost_per_sql": N_("Cost per SQL"),
    "cost_per_customer": N_("Cost per customer"), "channel_quality": N_("Channel quality"),
    "low_quality": N_("Low quality"), "yes": N_("Yes"), "lead_to_mql": N_("Lead → MQL"),
    "bought_lists": N_("Bought lists"), "rest": N_("Everything else"),
    "first_contact": N_("Time to first contact"), "contact_speed": N_("Contact speed and conversion"),
    "handed_off": N_("Handed to sales (reached SQL)"), "contacted": N_("Called since"),
    "hours": N_("Hours"), "first_call": N_("First call"), "opportunities": N_("Became opportunities"),
    "sql_to_opportunity": N_("SQL → Opportunity"), "within_1h": N_("Within an hour"),
    "within_24h": N_("Within a day"), "within_3d": N_("Within three days"), "later": N_("Later"),
    "not_yet": N_("Not called yet"),
    "revenue": N_("Revenue"), "deals": N_("Deals with a value"), "average_deal": N_("Average deal value"),
    "return_on_spend": N_("Return on spend"), "net_return": N_("Revenue − spend"),
    "revenue_currency": N_("Revenue currency"),
}  # fmt: skip
NO_CHANNEL: Final = N_("No channel")
CONTACT_BANDS: Final[dict[str, str]] = {
    "within_1h": N_("Within an hour"),
    "within_24h": N_("Within a day"),
    "within_3d": N_("Within three days"),
    "later": N_("Later"),
    "not_yet": N_("Not called yet"),
}
NOTE_TEXTS: Final[dict[str, str]] = {
    reports.SPEND_NOT_SPLIT: N_(
        "Spend is booked per campaign, not per owner or team: costs are left out under those filters."
    ),
    REVENUE_NOTE: N_(
        "Won value is not recorded yet: revenue and return per channel and campaign appear once deals carry "
        "a value."
    ),
}


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 12 else None


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class DashboardQuery:
    """The dashboard's filters as the URL carries them; ``days`` is a preset, or None for ``first``–``last``.
    Parsing is forgiving, as for the lead list: a bad value falls back to the default."""

    days: int | None = 30
    first: date | None = None
    last: date | None = None
    channel: str = ""
    campaign: int | None = None
    owner: int | None = None
    team: int | None = None

    @classmethod
    def parse(cls, params: QueryParams) -> DashboardQuery:
        first, last = _day(params.get("from")), _day(params.get("to"))
        days = _int(params.get("days"))
        custom = params.get("days") == "custom" or (days is None and (first or last))
        if first and last and last < first:
            first, last = last, first
        return cls(
            days=None if custom else (days if days in PRESETS else 30),
            first=first if custom else None,
            last=last if custom else None,
            channel=params.get("channel", "")[:40],
            campaign=_int(params.get("campaign")),
            owner=_int(params.get("owner")),
            team=_int(params.get("team")),
        )

    def period(self, as_of: datetime) -> Period:
        zone = reports.report_zone()
        if self.days is not None:
            return Period.ending(as_of.astimezone(zone).date(), self.days)
        return reports.default_period(as_of, zone, first_day=self.first, last_day=self.last)

    def filters(self, period: Period) -> reports.ReportFilters:
        channels = (self.channel,) if self.channel else ()
        return reports.ReportFilters(period, channels, self.campaign, self.owner, self.team)

    def params(self) -> list[tuple[str, str]]:
        pairs = [("days", str(self.days) if self.days else "custom")]
        pairs += [("from", self.first.isoformat())] if self.first else []
        pairs += [("to", self.last.isoformat())] if self.last else []
        for name in ("channel", "campaign", "owner", "team"):
            value = getattr(self, name)
            if value not in (None, ""):
                pairs.append((name, str(value)))
        return pairs

    def url(self, path: str = "/reports") -> str:
        return f"{path}?{urlencode(self.params())}"


@dataclass(frozen=True, slots=True)
class Links:
    """URLs of the leads behind the dashboard's numbers, for the current period."""

    query: DashboardQuery
    period: Period

    def _url(self, **params: Any) -> str:
        base: dict[str, Any] = {
            "kind": "sales",
            "channel": self.query.channel,
            "campaign": self.query.campaign,
            "owner": self.query.owner,
            "team": self.query.team,
        }
        base.update(params)
        return f"{DRILL_PATH}?{urlencode({k: v for k, v in base.items() if v not in (None, '')})}"

    def cohort(self, stage: str = "iql", **params: Any) -> str:
        """Leads created in the period that reached ``stage`` (IQL: all of them)."""
        first, last = self.period.first_day.isoformat(), self.period.last_day.isoformat()
        return self._url(created_from=first, created_to=last, reached=stage, **params)

    def entered(self, stage: str) -> str:
        """Leads, whenever created, that first reached ``stage`` in the period."""
        first, last = self.period.first_day.isoformat(), self.period.last_day.isoformat()
        return self._url(reached=stage, reached_from=first, reached_to=last)


class Fmt:
    """Numbers, money, rates, times and dates as the reader's language writes them (``1.234.567 ₫`` in
    Vietnamese); "–" where there is no figure."""

    def __init__(self, locale: str) -> None:
        self.locale = locale

    def count(self, value: int | None) -> str:
        return "–" if value is None else format_decimal(value, locale=self.locale)

    def pct(self, value: float | None) -> str:
        return "–" if value is None else format_percent(value, format="#,##0.0%", locale=self.locale)

    def money(self, amount_minor: int | None, currency: str | None) -> str:
        if amount_minor is None or not currency:
            return "–"
        amount = Decimal(amount_minor).scaleb(-get_currency_precision(currency))
        return format_currency(amount, currency, locale=self.locale)

    def multiple(self, value: float | None) -> str:
        """A return on spend as a multiple (``6,67×``): revenue per unit of spend."""
        return "–" if value is None else f"{format_decimal(round(value, 2), locale=self.locale)}×"

    def hours(self, hours: float | None) -> str:
        if hours is None:
            return "–"
        if hours < 48:
            return gettext(self.locale, N_("%(n)s h"), n=format_decimal(round(hours, 1), locale=self.locale))
        days = format_decimal(round(hours / 24, 1), locale=self.locale)
        return gettext(self.locale, N_("%(n)s days"), n=days)

    def day(self, value: date) -> str:
        vietnamese = self.locale == "vi"
        return value.strftime("%d/%m/%Y") if vietnamese else format_date(value, "d MMM yyyy", self.locale)

    def change(self, now: float | None, before: float | None) -> float | None:
        """Relative change of a count (rates compare in percentage points, ``points``)."""
        if now is None or before is None:
            return None
        return relative_change(int(now), int(before))

    def points(self, now: float | None, before: float | None) -> str:
        if now is None or before is None:
            return "–"
        return format_decimal(round(abs(now - before) * 100, 1), locale=self.locale)


def _stage_name(locale: str, code: str) -> str:
    return gettext(locale, labels.STAGES[code]) if code in labels.STAGES else code


def _channel_name(locale: str, code: str | None) -> str:
    if code is None:
        return gettext(locale, NO_CHANNEL)
    msgid = labels.CHANNELS.get(code)
    return gettext(locale, msgid) if msgid else code


def _chart_data(locale: str, current: Figures, previous: Figures, links: Links) -> dict[str, Any]:
    """What the charts draw, with each bar's or slice's link to its leads."""
    funnel = [
        {
            "name": _stage_name(locale, row.stage.value),
            "value": row.leads,
            "link": links.cohort(row.stage.value),
        }
        for row in current.cohort_funnel
    ]
    entered = [{"value": row.leads, "link": links.entered(row.stage.value)} for row in current.period_funnel]
    entered_before = [row.leads for row in previous.period_funnel]
    quality = [
        {
            "name": _channel_name(locale, group.name),
            "rates": [group.lead_to_mql, group.mql_to_sql, group.lead_to_customer],
            "link": links.cohort(channel=group.name) if group.name else None,
        }
        for group in current.channel_quality.channels
    ]
    cpl = [
        {
            "name": _channel_name(locale, line.channel),
            "value": line.cost_per_lead,
            "link": links.cohort(channel=line.channel),
        }
        for line in current.cost_by_channel
        if line.currency == "VND" and line.cost_per_lead is not None
    ]
    # Revenue against spend, for the channels whose spend and won values are all in VND.
    returns = [
        {
            "name": _channel_name(locale, line.channel),
            "revenue": line.returns.revenue_minor,
            "spend": line.returns.spend_minor,
            "link": links.cohort("customer", channel=line.channel),
        }
        for line in current.cost_by_channel
        if line.returns is not None and line.returns.currency == "VND"
    ]
    return {
        "funnel": funnel,
        "entered": entered,
        "entered_before": entered_before,
        "quality": quality,
        "cpl": cpl,
        "returns": returns,
    }


def _report(request: Request, viewer: CurrentViewer) -> tuple[DashboardQuery, reports.Report]:
    reports.require_report_reader(viewer.principal)
    query = DashboardQuery.parse(request.query_params)
    as_of = datetime.now(UTC)
    with unit_of_work(request.app.state.db_url) as session:
        report = reports.build_report(session, query.filters(query.period(as_of)), as_of, concurrent=True)
        return query, report


@router.get("/reports")
def dashboard(request: Request, viewer: CurrentViewer) -> Response:
    query, result = _report(request, viewer)
    locale = request_locale(request)
    links = Links(query, result.current.period)
    with unit_of_work(request.app.state.db_url) as session:
        options = {
            "channels": queries.channels(session),
            "campaigns": queries.campaigns(session),
            "owners": queries.lead_owners(session),
            "teams": reports.teams(session),
        }
    context = {
        "section": "reports",
        "query": query,
        "report": result,
        "now": result.current,
        "before": result.previous,
        "links": links,
        "fmt": Fmt(locale),
        "options": options,
        "presets": PRESETS,
        "steps": STEP_LABELS,
        "contact_bands": CONTACT_BANDS,
        "note_texts": NOTE_TEXTS,
        "channel_name": lambda code: _channel_name(locale, code),
        "funnel": SALES_FUNNEL,
        "charts": _chart_data(locale, result.current, result.previous, links),
        "chart_labels": {
            "stages": [_stage_name(locale, s.value) for s in SALES_FUNNEL],
            "this_period": gettext(locale, N_("This period")),
            "previous_period": gettext(locale, N_("Previous period")),
            "rates": [gettext(locale, m) for m in (N_("Lead → MQL"), N_("MQL → SQL"), N_("Lead → customer"))],
            "revenue": gettext(locale, N_("Revenue")),
            "spend": gettext(locale, N_("Spend")),
        },
    }
    return render(request, "reports/dashboard.html", context)


def _download(request: Request, viewer: CurrentViewer, kind: str) -> Response:
    _, result = _report(request, viewer)
    locale = request_locale(request)
    texts = exports.Texts(
        {key: gettext(locale, msgid) for key, msgid in EXPORT_WORDS.items()},
        stage=lambda code: _stage_name(locale, code),
        channel=lambda code: _channel_name(locale, code),
    )
    tables = exports.report_tables(result, texts)
    period = result.current.period
    name = f"pheu-report-{period.first_day.isoformat()}-{period.last_day.isoformat()}.{kind}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
    if kind == "csv":
        return Response(exports.to_csv(tables), media_type="text/csv; charset=utf-8", headers=headers)
    media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(exports.to_xlsx(tables), media_type=media, headers=headers)


@router.get("/reports/export.csv")
def export_csv(request: Request, viewer: CurrentViewer) -> Response:
    return _download(request, viewer, "csv")


@router.get("/reports/export.xlsx")
def export_xlsx(request: Request, viewer: CurrentViewer) -> Response:
    return _download(request, viewer, "xlsx")


@router.get("/reports/leads")
def report_leads(request: Request) -> Response:
    """Where figure links pointed before the lead list took the report filters: kept for bookmarks."""
    query = request.url.query
    return RedirectResponse(f"{DRILL_PATH}?{query}" if query else DRILL_PATH, status_code=307)
