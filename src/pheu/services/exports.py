"""A report as tables people open in a spreadsheet: CSV (UTF-8 with a BOM, so Excel reads Vietnamese) and
Excel .xlsx, one sheet per table.

Campaign and channel names are typed by people and reach the file as they are, so every text cell is made
safe from formula injection the same way lead exports are (``capture.imports.safe_cell``: text starting
with = + - @, a tab or a carriage return gets a leading '). Figures stay numbers: rates as fractions (shown
as percentages in Excel), money in major units of its currency (VND has no minor unit), times in hours, return
on spend as a multiple. Revenue in one currency is a number with its currency beside it; revenue in several
currencies (never added together) is written as text, one amount per currency.
Words come translated from the caller (``Texts``), so the file reads in the person's language.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final, Literal

from babel.numbers import get_currency_precision

from pheu.capture.imports import safe_cell
from pheu.measure.costs import CostLine, Money
from pheu.measure.quality import GroupQuality
from pheu.measure.report import Figures
from pheu.measure.revenue import Revenue
from pheu.services.reports import Report

Kind = Literal["text", "count", "rate", "money", "hours", "multiple"]
Cell = str | int | float | Decimal | None
_FORMATS: Final[dict[str, str]] = {
    "count": "#,##0",
    "rate": "0.0%",
    "money": "#,##0.##",
    "hours": "0.0",
    "multiple": "0.00",
}
_SHEET_JUNK: Final = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True, slots=True)
class Texts:
    """The words of the export in the reader's language: ``words`` by key (a missing key shows as itself),
    and how to name a stage code and a channel code."""

    words: Mapping[str, str]
    stage: Callable[[str], str]
    channel: Callable[[str | None], str]

    def __call__(self, key: str) -> str:
        return self.words.get(key, key)


@dataclass(frozen=True, slots=True)
class Table:
    title: str
    columns: tuple[str, ...]
    kinds: tuple[Kind, ...]
    rows: list[list[Cell]]


def report_tables(report: Report, texts: Texts) -> list[Table]:
    """The report's figures as titled tables, this period next to the previous one."""
    now, before = report.current, report.previous
    return [
        _summary(report, texts),
        _funnel(now, before, texts),
        _rates(now, before, texts),
        _times(now, before, texts),
        _costs(now.cost_by_channel, texts, campaigns=False),
        _costs(now.cost_by_campaign, texts, campaigns=True),
        _quality(now, texts),
        *_contact(now, texts),
    ]


def to_csv(tables: Sequence[Table]) -> str:
    """The tables one under another, each under its title, a blank line between them."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    for i, table in enumerate(tables):
        if i:
            writer.writerow([])
        writer.writerow([safe_cell(table.title)])
        writer.writerow([safe_cell(c) for c in table.columns])
        for row in table.rows:
            writer.writerow([safe_cell("" if v is None else v) for v in row])
    return out.getvalue()


def to_xlsx(tables: Sequence[Table]) -> bytes:
    """A workbook with one sheet per table: bold headers, number formats per column, text made safe."""
    from openpyxl import Workbook  # type: ignore[import-untyped]  # heavy import, only for this download
    from openpyxl.styles import Font  # type: ignore[import-untyped]

    book = Workbook()
    book.remove(book.active)
    taken: set[str] = set()
    for table in tables:
        sheet = book.create_sheet(_sheet_name(table.title, taken))
        sheet.append([safe_cell(c) for c in table.columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append([safe_cell(v) if isinstance(v, str) else v for v in row])
        for index, kind in enumerate(table.kinds, start=1):
            letter = sheet.cell(row=1, column=index).column_letter
            width = max(
                [len(str(table.columns[index - 1]))] + [len(str(r[index - 1] or "")) for r in table.rows]
            )
            sheet.column_dimensions[letter].width = min(max(10, width + 2), 60)
            if kind in _FORMATS:
                for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell.number_format = _FORMATS[kind]
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _sheet_name(title: str, taken: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, unique."""
    base = _SHEET_JUNK.sub(" ", safe_cell(title)).strip("' ")[:28] or "Sheet"
    name, n = base, 1
    while name.lower() in taken:
        n += 1
        name = f"{base} {n}"
    taken.add(name.lower())
    return name


def major(amount_minor: int | None, currency: str | None) -> Decimal | None:
    """Minor units → the amount people read (VND has no minor unit; USD has cents)."""
    if amount_minor is None or not currency:
        return None
    return Decimal(amount_minor).scaleb(-get_currency_precision(currency))


def _money_text(spend: Sequence[Money | Revenue]) -> str:
    return "; ".join(f"{major(m.amount_minor, m.currency)} {m.currency}" for m in spend)


_REVENUE_COLUMNS: Final = ("revenue", "revenue_currency", "deals", "average_deal")
_REVENUE_KINDS: Final[tuple[Kind, ...]] = ("money", "text", "count", "money")


def _revenue_cells(revenue: Sequence[Revenue]) -> list[Cell]:
    """Revenue, its currency, deals and average deal value: numbers in one currency, text across several."""
    if not revenue:
        return [None, "", 0, None]
    if len(revenue) == 1:
        item = revenue[0]
        return [major(item.amount_minor, item.currency), item.currency, item.deals,
                major(item.average_deal, item.currency)]  # fmt: skip
    return [_money_text(revenue), "", sum(r.deals for r in revenue), None]


def _summary(report: Report, texts: Texts) -> Table:
    now, before = report.current, report.previous
    filters = report.filters
    rows: list[list[Cell]] = [
        [texts("period"), f"{now.period.first_day.isoformat()} – {now.period.last_day.isoformat()}"],
        [
            texts("previous_period"),
            f"{before.period.first_day.isoformat()} – {before.period.last_day.isoformat()}",
        ],
        [texts("as_of"), now.as_of.isoformat(timespec="minutes")],
        [texts("channel"), ", ".join(texts.channel(c) for c in filters.channels) or texts("all")],
        [texts("campaign"), filters.campaign_id],
        [texts("owner"), filters.owner_id],
        [texts("team"), filters.team_id],
        [texts("spend"), _money_text(now.spend) or "–"],
        [texts("revenue"), _money_text(now.revenue) or "–"],
    ]
    if now.returns is not None:
        rows += [
            [texts("return_on_spend"), now.returns.return_on_spend],
            [
                texts("net_return"),
                f"{major(now.returns.net_return, now.returns.currency)} {now.returns.currency}",
            ],
        ]
    rows += [[texts("note"), note] for note in report.notes]
    return Table(texts("summary"), (texts("item"), texts("value")), ("text", "text"), rows)


def _funnel(now: Figures, before: Figures, texts: Texts) -> Table:
    rows: list[list[Cell]] = []
    steps = zip(now.cohort_funnel, before.cohort_funnel, now.period_funnel, before.period_funnel, strict=True)
    for cohort, was, flow, flow_was in steps:
        rows.append(
            [texts.stage(cohort.stage.value), cohort.leads, cohort.conversion_to_next, was.leads,
             was.conversion_to_next, flow.leads, flow_was.leads]
        )  # fmt: skip
    columns = ("stage", "leads", "conversion_to_next", "previous_leads", "previous_conversion",
               "entered_in_period", "previous_entered")  # fmt: skip
    kinds: tuple[Kind, ...] = ("text", "count", "rate", "count", "rate", "count", "count")
    return Table(texts("funnel"), tuple(texts(c) for c in columns), kinds, rows)


def _rates(now: Figures, before: Figures, texts: Texts) -> Table:
    was = before.rates.to_dict()
    rows: list[list[Cell]] = [[texts(name), value, was[name]] for name, value in now.rates.to_dict().items()]
    columns = (texts("rate"), texts("this_period"), texts("previous_period"))
    return Table(texts("rates"), columns, ("text", "rate", "rate"), rows)


def _times(now: Figures, before: Figures, texts: Texts) -> Table:
    rows: list[list[Cell]] = []
    steps = zip(
        (*now.times.steps, now.times.lead_to_customer),
        (*before.times.steps, before.times.lead_to_customer),
        strict=True,
    )
    for step, was in steps:
        rows.append([texts(step.name), step.leads, step.median_hours, step.p90_hours, was.median_hours])
    columns = ("step", "leads", "median_hours", "p90_hours", "previous_median_hours")
    kinds: tuple[Kind, ...] = ("text", "count", "hours", "hours", "hours")
    return Table(texts("times"), tuple(texts(c) for c in columns), kinds, rows)


def _costs(lines: Sequence[CostLine], texts: Texts, *, campaigns: bool) -> Table:
    rows: list[list[Cell]] = []
    for line in lines:
        currency = line.currency
        spend: Cell = major(line.spend[0].amount_minor, currency) if currency else _money_text(line.spend)
        names: list[Cell] = (
            [line.campaign, texts.channel(line.channel)] if campaigns else [texts.channel(line.channel)]
        )
        returns = line.returns
        rows.append(
            [*names, currency or "", spend, line.leads, line.mqls, line.sqls, line.customers,
             *(major(v, currency) for v in (line.cost_per_lead, line.cost_per_mql, line.cost_per_sql,
                                            line.cost_per_customer)),
             *_revenue_cells(line.revenue),
             returns.return_on_spend if returns else None,
             major(returns.net_return, returns.currency) if returns else None]
        )  # fmt: skip
    head = ("campaign", "channel") if campaigns else ("channel",)
    columns = (*head, "currency", "spend", "leads", "mqls", "sqls", "customers", "cost_per_lead",
               "cost_per_mql", "cost_per_sql", "cost_per_customer", *_REVENUE_COLUMNS, "return_on_spend",
               "net_return")  # fmt: skip
    head_kinds: tuple[Kind, ...] = ("text", "text") if campaigns else ("text",)
    kinds: tuple[Kind, ...] = (*head_kinds, "text", "money", "count", "count", "count", "count",
                               "money", "money", "money", "money", *_REVENUE_KINDS, "multiple",
                               "money")  # fmt: skip
    title = texts("cost_by_campaign" if campaigns else "cost_by_channel")
    return Table(title, tuple(texts(c) for c in columns), kinds, rows)


def _quality(now: Figures, texts: Texts) -> Table:
    quality = now.channel_quality

    def row(name: str, group: GroupQuality) -> list[Cell]:
        return [name, texts("yes") if group.low_quality else "", group.leads, group.mqls, group.sqls,
                group.customers, group.lead_to_mql, group.mql_to_sql, group.lead_to_customer,
                *_revenue_cells(group.revenue)]  # fmt: skip

    rows = [row(texts.channel(g.name), g) for g in quality.channels]
    rows += [row(texts("bought_lists"), quality.bought_lists), row(texts("rest"), quality.rest)]
    columns = ("channel", "low_quality", "leads", "mqls", "sqls", "customers", "lead_to_mql", "mql_to_sql",
               "lead_to_customer", *_REVENUE_COLUMNS)  # fmt: skip
    kinds: tuple[Kind, ...] = ("text", "text", "count", "count", "count", "count", "rate", "rate", "rate",
                               *_REVENUE_KINDS)  # fmt: skip
    return Table(texts("channel_quality"), tuple(texts(c) for c in columns), kinds, rows)


def _contact(now: Figures, texts: Texts) -> list[Table]:
    """Time to first contact: the wait after hand-off, then SQL → Opportunity per band of contact speed."""
    contact = now.first_contact
    if contact is None:
        return []
    waits: list[list[Cell]] = [
        [texts("handed_off"), contact.handed_off, None],
        [texts("contacted"), contact.contacted, None],
        [texts("median_hours"), None, contact.median_hours],
        [texts("p90_hours"), None, contact.p90_hours],
    ]
    bands: list[list[Cell]] = [
        [texts(band.name), band.leads, band.opportunities, band.to_opportunity] for band in contact.bands
    ]
    return [
        Table(texts("first_contact"), (texts("item"), texts("leads"), texts("hours")),
              ("text", "count", "hours"), waits),
        Table(texts("contact_speed"), tuple(texts(c) for c in ("first_call", "leads", "opportunities",
              "sql_to_opportunity")), ("text", "count", "count", "rate"), bands),
    ]  # fmt: skip
