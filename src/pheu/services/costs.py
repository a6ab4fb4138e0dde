"""Campaign costs: what each campaign spent per day, typed in or imported from an ads platform's export.

Spend is stored per campaign per local day in integer minor units with its currency (VND has none), the unit
every cost-per figure is computed in. A day holds one amount per campaign: entering it again, or importing
a file that covers it, replaces it — so re-importing the same export never counts a day twice.

Imports read Facebook Ads Manager exports ("Campaign name", "Day" or "Reporting starts"/"Reporting ends",
"Amount spent (VND)") and Google Ads exports ("Campaign", "Day", "Cost", "Currency code"), Vietnamese headers
too, through the same streaming reader as lead imports. Campaigns are matched by name (accents and case
ignored) or by ``utm_campaign``. A file lands whole or not at all: any unreadable value refuses the file with
every problem listed, and rows naming no known campaign are reported and left out. Admin and marketing only.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Final

from babel.numbers import get_currency_precision, list_currencies
from sqlalchemy import select
from sqlalchemy.orm import Session

from pheu.auth.roles import Principal, Role
from pheu.capture.files import FileNotReadable, open_table
from pheu.clean.search import fold
from pheu.services import audit
from pheu.services.errors import Forbidden, Invalid, NotFound
from pheu.store import Campaign, CampaignCost

COST_MANAGERS: Final = frozenset({Role.ADMIN, Role.MARKETING})
DEFAULT_CURRENCY: Final = "VND"
MAX_PROBLEMS: Final = 50
_CURRENCIES: Final = frozenset(list_currencies())
_IN_PARENS: Final = re.compile(r"\(([A-Za-z]{3})\)")
_NUMBER_JUNK: Final = re.compile(r"[\s\u00a0\u202f'₫$€£¥]|VND|đ|USD", re.IGNORECASE)
_DASHES: Final = str.maketrans(dict.fromkeys("–—‐‑−", "-"))
_DAY_FORMATS: Final = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%b %d, %Y", "%d %b %Y", "%B %d, %Y", "%Y/%m/%d")

# Folded header → role. Facebook's "Amount spent (VND)" is recognised by its prefix.
_HEADERS: Final[dict[str, str]] = {
    "campaign name": "campaign",
    "campaign": "campaign",
    "ten chien dich": "campaign",
    "chien dich": "campaign",
    "day": "day",
    "date": "day",
    "ngay": "day",
    "reporting starts": "day",
    "bat dau bao cao": "day",
    "reporting ends": "day_end",
    "ket thuc bao cao": "day_end",
    "cost": "amount",
    "amount spent": "amount",
    "spend": "amount",
    "chi phi": "amount",
    "so tien da chi tieu": "amount",
    "currency code": "currency",
    "currency": "currency",
    "tien te": "currency",
    "ma tien te": "currency",
}


def can_manage_costs(role: Role) -> bool:
    """Spend is marketing's budget: marketing and the admin enter it; sales never see it edited."""
    return role in COST_MANAGERS


def require_cost_manager(principal: Principal) -> None:
    if not can_manage_costs(principal.role):
        raise Forbidden("Only administrators and marketing manage campaign costs.")


@dataclass(frozen=True, slots=True)
class CostProblem:
    """One row that did not land: its line in the file (as Excel numbers it), the campaign it named, why
    (English, for the API and CLI) and a stable ``code`` for translated messages."""

    line: int
    campaign: str
    code: str
    reason: str


@dataclass(frozen=True, slots=True)
class CostImport:
    """What an import did: days written (new or replaced), rows read, and the rows left out."""

    source: str
    rows_read: int
    created: int
    replaced: int
    unmatched: tuple[CostProblem, ...]
    totals_skipped: int

    @property
    def written(self) -> int:
        return self.created + self.replaced


class CostFileInvalid(Invalid):
    """The file was refused and nothing was written; ``problems`` says which rows and why."""

    def __init__(self, message: str, problems: tuple[CostProblem, ...] = ()) -> None:
        super().__init__(message, code="cost_file_invalid", field="file")
        self.problems = problems


def list_costs(
    session: Session,
    principal: Principal,
    *,
    campaign_id: int | None = None,
    first_day: date | None = None,
    last_day: date | None = None,
    limit: int = 500,
) -> list[CampaignCost]:
    """Recorded days, newest first, with their campaign loaded."""
    require_cost_manager(principal)
    stmt = select(CampaignCost).join(Campaign, Campaign.id == CampaignCost.campaign_id)
    if campaign_id is not None:
        stmt = stmt.where(CampaignCost.campaign_id == campaign_id)
    if first_day is not None:
        stmt = stmt.where(CampaignCost.day >= first_day)
    if last_day is not None:
        stmt = stmt.where(CampaignCost.day <= last_day)
    order = (CampaignCost.day.desc(), Campaign.name, CampaignCost.id.desc())
    return list(session.scalars(stmt.order_by(*order).limit(limit)))


def campaign_names(session: Session) -> dict[int, str]:
    return {row.id: row.name for row in session.execute(select(Campaign.id, Campaign.name))}


def set_cost(
    session: Session,
    principal: Principal,
    *,
    campaign_id: int,
    day: date,
    amount_minor: int,
    currency: str | None,
    now: datetime,
) -> tuple[CampaignCost, bool]:
    """Record a campaign's spend on a day, replacing what that day held; returns the row and whether it is
    new. ``currency`` defaults to the campaign's own. Raises ``Invalid`` for an unknown campaign or currency
    or a negative amount."""
    require_cost_manager(principal)
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise Invalid(f"No campaign with id {campaign_id}.", field="campaign_id")
    code = check_currency(currency or campaign.currency or DEFAULT_CURRENCY)
    if amount_minor < 0:
        raise Invalid("Spend cannot be negative.", field="amount")
    cost = session.scalar(
        select(CampaignCost).where(CampaignCost.campaign_id == campaign_id, CampaignCost.day == day)
    )
    created = cost is None
    old = None if cost is None else [cost.amount_minor, cost.currency]
    if cost is None:
        cost = CampaignCost(campaign_id=campaign_id, day=day)
        session.add(cost)
    cost.amount_minor, cost.currency = amount_minor, code
    session.flush()
    changes = {"campaign_id": campaign_id, "day": day.isoformat(), "spend": [old, [amount_minor, code]]}
    audit.record(
        session, at=now, actor=principal, action="create" if created else "update",
        entity="campaign_cost", entity_id=cost.id, changes=changes,
    )  # fmt: skip
    return cost, created


def delete_cost(session: Session, principal: Principal, cost_id: int, now: datetime) -> None:
    require_cost_manager(principal)
    cost = session.get(CampaignCost, cost_id)
    if cost is None:
        raise NotFound(f"No recorded spend with id {cost_id}.")
    changes = {"campaign_id": cost.campaign_id, "day": cost.day.isoformat(), "spend": cost.amount_minor}
    session.delete(cost)
    audit.record(
        session, at=now, actor=principal, action="delete", entity="campaign_cost", entity_id=cost_id,
        changes=changes,
    )  # fmt: skip


def check_currency(code: str) -> str:
    """An ISO 4217 code, upper-cased; raises ``Invalid`` naming the problem otherwise."""
    upper = code.strip().upper()
    if upper not in _CURRENCIES:
        raise Invalid(f"'{code}' is not a currency code; use ISO 4217, like VND or USD.", field="currency")
    return upper


def parse_amount(text: str, currency: str) -> int:
    """Text as people and exports write money ("1.234.567", "1,234,567 ₫", "12.50", "--") → integer minor
    units of ``currency``, halves rounded up. Empty and "--" (Google's "none") are 0. Raises ``ValueError``.

    With both "," and "." present, the last one is the decimal mark; a lone mark followed by exactly three
    digits (or repeated) groups thousands, else it is the decimal mark."""
    cleaned = _NUMBER_JUNK.sub("", text)
    if cleaned in {"", "-", "--"}:
        return 0
    if "," in cleaned and "." in cleaned:
        mark = "," if cleaned.rfind(",") > cleaned.rfind(".") else "."
        cleaned = cleaned.replace("." if mark == "," else ",", "").replace(mark, ".")
    else:
        for mark in (",", "."):
            parts = cleaned.split(mark)
            if len(parts) > 2 or (len(parts) == 2 and len(parts[1]) == 3):
                cleaned = "".join(parts)
            elif len(parts) == 2:
                cleaned = ".".join(parts)
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"'{text}' is not an amount") from None
    if not value.is_finite() or value < 0:
        raise ValueError(f"'{text}' is not an amount of spend")
    minor = value.scaleb(get_currency_precision(currency)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(minor)


def parse_day(text: str) -> date:
    """ISO dates, day-first dates as written in Vietnam (31/03/2026) and English month names. Raises
    ``ValueError``."""
    value = text.strip()
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        pass
    for pattern in _DAY_FORMATS:
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise ValueError(f"'{text}' is not a date")


def import_costs(session: Session, principal: Principal, path: Path, *, now: datetime) -> CostImport:
    """Read a cost export and write its days in the caller's transaction. Raises ``CostFileInvalid`` (nothing
    written) when the columns are not recognised or any row holds an unreadable day, amount or currency."""
    require_cost_manager(principal)
    try:
        table = open_table(path)
    except (FileNotReadable, OSError) as exc:
        raise CostFileInvalid(f"The file cannot be read: {exc}") from exc
    columns, header_currency, source = _columns(table.headers)
    matcher = _Matcher(session)
    sums: dict[tuple[int, date], list[int | str]] = {}
    problems: list[CostProblem] = []
    unmatched: list[CostProblem] = []
    rows_read = totals = 0
    for row in table.rows():
        rows_read += 1
        values = {role: row.values.get(header, "").strip() for role, header in columns.items()}
        name = values.get("campaign", "")
        if row.error:
            problems.append(CostProblem(row.line, name, "unreadable", row.error))
            continue
        if not name or fold(name).startswith("total"):
            totals += 1  # summary lines: "Total: Account", or a row of all campaigns with no name
            continue
        if not values.get("day"):
            problems.append(CostProblem(row.line, name, "value", "The row has no day."))
            continue
        found = matcher.find(name)
        if isinstance(found, str):
            unmatched.append(CostProblem(row.line, name, found, _UNMATCHED[found].format(name=name)))
            continue
        problem = _add(sums, found, values, header_currency, row.line)
        if problem:
            problems.append(problem)
    if problems:
        shown = tuple(problems[:MAX_PROBLEMS])
        raise CostFileInvalid(f"{len(problems)} row(s) cannot be read; nothing was imported.", shown)
    created, replaced = _write(session, principal, sums, now)
    return CostImport(source, rows_read, created, replaced, tuple(unmatched), totals)


_UNMATCHED: Final[dict[str, str]] = {
    "unknown_campaign": "No campaign is named '{name}' or has it as utm_campaign.",
    "ambiguous_campaign": "Several campaigns are named '{name}'; rename one or use its utm_campaign.",
}


def _columns(headers: list[str]) -> tuple[dict[str, str], str | None, str]:
    """Role → header, the currency an amount header names, and which tool wrote the file."""
    columns: dict[str, str] = {}
    currency = None
    for header in headers:
        folded = fold(header).strip()
        role = _HEADERS.get(_IN_PARENS.sub("", folded).strip())
        if role and role not in columns:
            columns[role] = header
            if role == "amount" and (found := _IN_PARENS.search(header)):
                currency = found.group(1).upper()
    missing = [role for role in ("campaign", "day", "amount") if role not in columns]
    if missing:
        names = {"campaign": "campaign name", "day": "day", "amount": "amount spent or cost"}
        raise CostFileInvalid(
            f"No column for the {', '.join(names[m] for m in missing)}. Export from Facebook Ads Manager "
            "(Campaign name, Day, Amount spent) or Google Ads (Campaign, Day, Cost, Currency code)."
        )
    amount = fold(columns["amount"])
    source = "facebook" if "amount spent" in amount else "google" if amount == "cost" else "other"
    return columns, currency, source


class _Matcher:
    """Campaigns by folded name and by utm_campaign; a name two campaigns share matches neither."""

    def __init__(self, session: Session) -> None:
        self.by_name: dict[str, list[Campaign]] = defaultdict(list)
        self.by_utm: dict[str, Campaign] = {}
        for campaign in session.scalars(select(Campaign)):
            self.by_name[_key(campaign.name)].append(campaign)
            if campaign.utm_campaign:
                self.by_utm[campaign.utm_campaign.strip().lower()] = campaign

    def find(self, name: str) -> Campaign | str:
        named = self.by_name.get(_key(name), [])
        if len(named) == 1:
            return named[0]
        if len(named) > 1:
            return "ambiguous_campaign"
        return self.by_utm.get(name.strip().lower()) or "unknown_campaign"


def _key(name: str) -> str:
    """Names compare without accents, case, extra spaces or the kind of dash (– typed, - exported)."""
    return " ".join(fold(name).translate(_DASHES).split())


def _add(
    sums: dict[tuple[int, date], list[int | str]],
    campaign: Campaign,
    values: dict[str, str],
    header_currency: str | None,
    line: int,
) -> CostProblem | None:
    """Add a row's amount to its campaign and day (breakdown rows of one day add up)."""
    name = values["campaign"]
    try:
        day = parse_day(values["day"])
        end = values.get("day_end")
        if end and parse_day(end) != day:
            return CostProblem(line, name, "several_days", "The row covers several days; export by day.")
        currency = check_currency(values.get("currency") or header_currency or campaign.currency)
        amount = parse_amount(values["amount"], currency)
    except Invalid as exc:
        return CostProblem(line, name, "currency", exc.message)
    except ValueError as exc:
        return CostProblem(line, name, "value", f"{exc}.")
    held = sums.setdefault((campaign.id, day), [0, currency])
    if held[1] != currency:
        return CostProblem(line, name, "currency", "The same campaign and day appear in two currencies.")
    held[0] = int(held[0]) + amount
    return None


def _write(
    session: Session, principal: Principal, sums: dict[tuple[int, date], list[int | str]], now: datetime
) -> tuple[int, int]:
    if not sums:
        return 0, 0
    days = [day for _, day in sums]
    existing = {
        (cost.campaign_id, cost.day): cost
        for cost in session.scalars(
            select(CampaignCost).where(
                CampaignCost.campaign_id.in_({campaign_id for campaign_id, _ in sums}),
                CampaignCost.day >= min(days),
                CampaignCost.day <= max(days),
            )
        )
    }
    created = replaced = 0
    for (campaign_id, day), (amount, currency) in sorted(sums.items()):
        cost = existing.get((campaign_id, day))
        if cost is None:
            session.add(
                CampaignCost(campaign_id=campaign_id, day=day, amount_minor=amount, currency=currency)
            )
            created += 1
        else:
            cost.amount_minor, cost.currency = int(amount), str(currency)
            replaced += 1
    changes = {"created": created, "replaced": replaced, "first_day": min(days).isoformat(),
               "last_day": max(days).isoformat()}  # fmt: skip
    audit.record(
        session, at=now, actor=principal, action="import", entity="campaign_cost", entity_id="import",
        changes=changes,
    )  # fmt: skip
    return created, replaced
