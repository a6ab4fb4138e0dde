"""``pheu report``: the CLI shell over ``pheu.services.reports`` — Rich tables for people, JSON for scripts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import typer
from babel.numbers import format_currency, format_decimal, format_percent, get_currency_precision
from rich.console import Console
from rich.table import Table

from pheu.config import get_settings

if TYPE_CHECKING:
    from pheu.measure.contact import FirstContact
    from pheu.measure.costs import CostLine, Money
    from pheu.measure.period import Period
    from pheu.measure.quality import GroupQuality
    from pheu.measure.report import Figures
    from pheu.measure.revenue import Return, Revenue
    from pheu.services.reports import Report

console = Console()
err = Console(stderr=True)

STAGE_NAMES = {"iql": "IQL", "mql": "MQL", "sql": "SQL", "opportunity": "Opportunity", "customer": "Customer"}
LABELS = {
    "iql_to_mql": "IQL → MQL",
    "mql_to_sql": "MQL → SQL",
    "sql_to_opportunity": "SQL → Opportunity",
    "opportunity_to_customer": "Opportunity → Customer",
    "lead_to_customer": "Lead → customer",
}

BAND_NAMES = {
    "within_1h": "Within an hour",
    "within_24h": "Within a day",
    "within_3d": "Within three days",
    "later": "Later",
    "not_yet": "Not called yet",
}


def report(
    from_: Annotated[
        datetime | None,
        typer.Option("--from", formats=["%Y-%m-%d"], help="First day, YYYY-MM-DD (default: 30 days to --to)"),
    ] = None,
    to: Annotated[
        datetime | None,
        typer.Option("--to", formats=["%Y-%m-%d"], help="Last day, included (default: today)"),
    ] = None,
    channel: Annotated[
        list[str] | None, typer.Option("--channel", help="Channel code; repeat for several")
    ] = None,
    campaign: Annotated[int | None, typer.Option("--campaign", help="Campaign id")] = None,
    owner: Annotated[int | None, typer.Option("--owner", help="Owner's user id")] = None,
    team: Annotated[int | None, typer.Option("--team", help="Team id (leads owned by its members)")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
    db_url: Annotated[str | None, typer.Option("--db-url", help="Database URL")] = None,
) -> None:
    """Funnel, conversion rates, time between stages, cost per lead and channel quality for a period, next to
    the period before it. Days are local (PHEU_TIMEZONE); see the README's metric definitions."""
    from pheu.db import unit_of_work
    from pheu.services import reports
    from pheu.services.errors import ServiceError

    as_of = datetime.now(UTC)
    zone = reports.report_zone()
    period = _period(from_, to, as_of, zone)
    filters = reports.ReportFilters(
        period, channels=tuple(channel or ()), campaign_id=campaign, owner_id=owner, team_id=team
    )
    try:
        with unit_of_work(db_url or get_settings().database_url) as session:
            result = reports.build_report(session, filters, as_of, zone=zone)
    except ServiceError as exc:
        err.print(f"[bold red]Error:[/] {exc.message}")
        raise typer.Exit(1) from exc
    if json_output:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return
    if not console.is_terminal:  # piped or redirected: room for every column rather than 80 characters
        console.width = max(console.width, 150)
    _Printer(get_settings().default_locale, zone).print(result)


def _period(from_: datetime | None, to: datetime | None, as_of: datetime, zone: tzinfo) -> Period:
    from pheu.services import reports

    try:
        return reports.default_period(
            as_of, zone, first_day=from_.date() if from_ else None, last_day=to.date() if to else None
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="'--from' / '--to'") from exc


class _Printer:
    """Renders a report as Rich tables, numbers and money in the interface locale (``1.234.567 ₫`` in vi)."""

    def __init__(self, locale: str, zone: tzinfo) -> None:
        self.locale = locale
        self.zone = zone

    def print(self, result: Report) -> None:
        now, before = result.current, result.previous
        console.print(
            f"[bold]Report {self._days(now.period)}[/] compared with {self._days(before.period)}"
            f" · as of {now.as_of.astimezone(self.zone):%d/%m/%Y %H:%M}{self._filters(result)}",
            highlight=False,
        )
        console.print(self._funnel(now, before))
        console.print(self._rates(now, before))
        console.print(self._times(now, before))
        if now.valued:
            console.print(f"[bold]Revenue[/] (cohort customers' won values) {self._revenue(now.revenue)}"
                          f"{self._return_text(now.returns)}", highlight=False)  # fmt: skip
        valued = now.valued
        console.print(
            self._costs("Cost by channel", now.cost_by_channel, now.spend, campaigns=False, valued=valued)
        )
        console.print(
            self._costs("Cost by campaign", now.cost_by_campaign, now.spend, campaigns=True, valued=valued)
        )
        console.print(self._quality(now))
        if now.first_contact is not None:
            console.print(self._contact(now.first_contact))
        for note in result.notes:
            console.print(f"[dim]Note:[/] {note}", highlight=False)

    def _funnel(self, now: Figures, before: Figures) -> Table:
        from pheu.measure.stats import relative_change

        table = Table(title="Funnel — cohort: leads created in the period, followed to today")
        _columns(
            table,
            ("Stage", "Leads", "→ next", "Previous", "Change", "Entered in period", "Previous"),
            names=1,
        )
        rows = zip(
            now.cohort_funnel, before.cohort_funnel, now.period_funnel, before.period_funnel, strict=True
        )
        for cohort, cohort_before, flow, flow_before in rows:
            table.add_row(
                STAGE_NAMES[cohort.stage.value],
                self._count(cohort.leads),
                self._percent(cohort.conversion_to_next),
                self._count(cohort_before.leads),
                self._signed_percent(relative_change(cohort.leads, cohort_before.leads)),
                self._count(flow.leads),
                self._count(flow_before.leads),
            )
        return table

    def _rates(self, now: Figures, before: Figures) -> Table:
        table = Table(title="Conversion rates (cohort)")
        _columns(table, ("Rate", "This period", "Previous", "Change"), names=1)
        current, previous = now.rates.to_dict(), before.rates.to_dict()
        for name, value in current.items():
            was = previous[name]
            change = None if value is None or was is None else (value - was) * 100
            points = "–" if change is None else f"{'+' if change >= 0 else '−'}{self._number(abs(change))} pp"
            table.add_row(_label(name), self._percent(value), self._percent(was), points)
        return table

    def _times(self, now: Figures, before: Figures) -> Table:
        table = Table(title="Time between stages (cohort)")
        _columns(table, ("Step", "Leads", "Median", "90th percentile", "Previous median"), names=1)
        steps = (*now.times.steps, now.times.lead_to_customer)
        previous = (*before.times.steps, before.times.lead_to_customer)
        for step, was in zip(steps, previous, strict=True):
            table.add_row(
                _label(step.name),
                self._count(step.leads),
                self._hours(step.median_hours),
                self._hours(step.p90_hours),
                self._hours(was.median_hours),
            )
        return table

    def _costs(
        self, title: str, lines: Sequence[CostLine], spend: Sequence[Money], *, campaigns: bool, valued: bool
    ) -> Table:
        total = ", ".join(self._money(m.amount_minor, m.currency) for m in spend) or "none recorded"
        table = Table(title=f"{title} — spend {total}")
        columns = ("Campaign", "Channel") if campaigns else ("Channel",)
        value_columns = ("Revenue", "Return", "Revenue − spend") if valued else ()
        _columns(
            table,
            (*columns, "Spend", "Leads", "Per lead", "Per MQL", "Per SQL", "Per customer", *value_columns),
            names=len(columns),
        )
        for line in lines:
            currency = line.currency or ""
            names = (line.campaign or "", line.channel) if campaigns else (line.channel,)
            table.add_row(
                *names,
                ", ".join(self._money(m.amount_minor, m.currency) for m in line.spend),
                self._count(line.leads),
                *(
                    self._money(value, currency)
                    for value in (
                        line.cost_per_lead,
                        line.cost_per_mql,
                        line.cost_per_sql,
                        line.cost_per_customer,
                    )
                ),
                *(self._value_cells(line) if valued else ()),
            )
        return table

    def _value_cells(self, line: CostLine) -> tuple[str, str, str]:
        returns = line.returns
        if returns is None:
            return self._revenue(line.revenue), "–", "–"
        multiple = "–" if returns.return_on_spend is None else f"{self._number(returns.return_on_spend)}×"
        return self._revenue(line.revenue), multiple, self._money(returns.net_return, returns.currency)

    def _revenue(self, revenue: Sequence[Revenue]) -> str:
        """Each currency apart, with its deals and average deal value."""
        parts = [
            f"{self._money(r.amount_minor, r.currency)} ({self._count(r.deals)} deals, "
            f"avg {self._money(r.average_deal, r.currency)})"
            for r in revenue
        ]
        return ", ".join(parts) or "–"

    def _return_text(self, returns: Return | None) -> str:
        if returns is None or returns.return_on_spend is None:
            return ""
        net = self._money(returns.net_return, returns.currency)
        return f" · return {self._number(returns.return_on_spend)}× spend, revenue − spend {net}"

    def _quality(self, now: Figures) -> Table:
        quality = now.channel_quality
        table = Table(title="Channel quality (cohort)")
        headers = (
            "Channel",
            "Leads",
            "MQL",
            "SQL",
            "Customers",
            "Lead → MQL",
            "MQL → SQL",
            "Lead → customer",
        )
        _columns(table, (*headers, *(("Won value",) if now.valued else ())), names=1)
        for group in quality.channels:
            self._quality_row(
                table,
                group,
                (group.name or "(none)") + (" [yellow](low quality)[/]" if group.low_quality else ""),
                valued=now.valued,
            )
        table.add_section()
        self._quality_row(table, quality.bought_lists, "Bought lists", valued=now.valued)
        self._quality_row(table, quality.rest, "Everything else", valued=now.valued)
        return table

    def _contact(self, contact: FirstContact) -> Table:
        wait = f"median {self._hours(contact.median_hours)}, 90th percentile {self._hours(contact.p90_hours)}"
        table = Table(
            title=f"Time to first contact — {self._count(contact.contacted)} of "
            f"{self._count(contact.handed_off)} SQLs called, {wait}"
        )
        _columns(table, ("First call", "Leads", "Became opportunities", "SQL → Opportunity"), names=1)
        for band in contact.bands:
            table.add_row(
                BAND_NAMES[band.name],
                self._count(band.leads),
                self._count(band.opportunities),
                self._percent(band.to_opportunity),
            )
        return table

    def _quality_row(self, table: Table, group: GroupQuality, name: str, *, valued: bool) -> None:
        table.add_row(
            name,
            *(self._count(n) for n in (group.leads, group.mqls, group.sqls, group.customers)),
            *(self._percent(r) for r in (group.lead_to_mql, group.mql_to_sql, group.lead_to_customer)),
            *((self._revenue(group.revenue),) if valued else ()),
        )

    def _days(self, period: Period) -> str:
        return f"{period.first_day:%d/%m/%Y}–{period.last_day:%d/%m/%Y} ({period.days} days)"

    @staticmethod
    def _filters(result: Report) -> str:
        chosen = {k: v for k, v in result.filters.to_dict().items() if v not in (None, [])}
        parts = [f"{k} {', '.join(v) if isinstance(v, list) else v}" for k, v in chosen.items()]
        return f" · filters: {', '.join(parts)}" if parts else ""

    def _count(self, value: int) -> str:
        return format_decimal(value, locale=self.locale)

    def _number(self, value: float) -> str:
        return format_decimal(value, format="#,##0.0", locale=self.locale)

    def _percent(self, value: float | None) -> str:
        return "–" if value is None else format_percent(value, format="#,##0.0%", locale=self.locale)

    def _signed_percent(self, value: float | None) -> str:
        if value is None:
            return "–"
        return ("+" if value >= 0 else "−") + self._percent(abs(value))

    def _hours(self, hours: float | None) -> str:
        if hours is None:
            return "–"
        return f"{self._number(hours)} h" if hours < 48 else f"{self._number(hours / 24)} days"

    def _money(self, amount_minor: int | None, currency: str) -> str:
        if amount_minor is None or not currency:
            return "–"
        amount = Decimal(amount_minor).scaleb(-get_currency_precision(currency))
        return format_currency(amount, currency, locale=self.locale)


def _columns(table: Table, headers: Sequence[str], *, names: int) -> None:
    """The first ``names`` columns hold names and may wrap; figures are right-aligned and never split."""
    for i, header in enumerate(headers):
        if i < names:
            table.add_column(header, overflow="fold", min_width=12, max_width=40)
        else:
            table.add_column(header, justify="right", no_wrap=True)


def _label(name: str) -> str:
    return LABELS.get(name, name)
