"""BANT on a lead, the team's criteria, and the gate from SQL to Opportunity.

Sales records Budget, Authority, Need and Timing as it learns them; meeting the team's criteria is what lets
an SQL become an Opportunity, and an Opportunity also needs the deal's amount and expected close date (the
pipeline's value and forecast are read from them). Reading and writing a lead's BANT follows the lead's
visibility: a sales rep only reaches their own leads, anyone else gets a 404 as for the lead itself.

The criteria are one row (``bant_criteria``); without it the defaults of ``pheu.score.bant.BantCriteria``
apply (a decision maker, a medium need, buying within three months; budget unchecked). Admins and sales
managers set them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from pheu.auth.roles import Principal, Role
from pheu.config import get_settings
from pheu.lifecycle import Stage
from pheu.score.bant import Authority, Bant, BantCriteria, Level, Money, TimingWindow, meets
from pheu.services import audit
from pheu.services.errors import Forbidden, Invalid, NotFound
from pheu.services.leads import get_lead
from pheu.store import BantCriteriaRow, Lead, LeadBant, StageChange

CRITERIA_EDITORS: Final = frozenset({Role.ADMIN, Role.SALES_MANAGER})
_CURRENCY = re.compile(r"^[A-Z]{3}$")
BANT_FIELDS: Final = (
    "budget_amount_minor", "budget_currency", "budget_level", "authority", "need", "need_level",
    "timing_window", "timing_date", "opportunity_amount_minor", "opportunity_currency", "expected_close_date",
    "notes",
)  # fmt: skip


def _currency(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip().upper()
    if not _CURRENCY.match(value):
        raise ValueError("a three-letter ISO 4217 code such as VND or USD")
    return value


class BantPatch(BaseModel):
    """What sales learnt; only the fields sent change. Amounts are integer minor units of their currency
    (VND has none: 50000000 is 50 million đồng); a currency defaults to VND."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    budget_amount_minor: int | None = Field(default=None, ge=0)
    budget_currency: str | None = None
    budget_level: Level | None = None
    authority: Authority | None = None
    need: str = Field(default="", max_length=4000)
    need_level: Level | None = None
    timing_window: TimingWindow | None = None
    timing_date: date | None = None
    opportunity_amount_minor: int | None = Field(default=None, gt=0)
    opportunity_currency: str | None = None
    expected_close_date: date | None = None
    notes: str | None = Field(default=None, max_length=4000)

    _check_currency = field_validator("budget_currency", "opportunity_currency")(_currency)


class CriteriaIn(BaseModel):
    """The team's bar; an unset part is not checked, an empty ``authority`` list does not check authority."""

    model_config = ConfigDict(extra="forbid")

    min_budget_minor: int | None = Field(default=None, ge=0)
    min_budget_currency: str = "VND"
    min_budget_level: Level | None = None
    authority: list[Authority] = Field(default_factory=lambda: [Authority.DECISION_MAKER])
    min_need_level: Level | None = Level.MEDIUM
    timing_within: TimingWindow | None = TimingWindow.QUARTER

    _check_currency = field_validator("min_budget_currency")(_currency)


@dataclass(frozen=True, slots=True)
class Gap:
    """One thing missing before the lead can be an Opportunity; ``part`` is budget, authority, need,
    timing, amount or close_date."""

    part: str
    vi: str
    en: str


@dataclass(frozen=True, slots=True)
class BantView:
    lead_id: int
    record: LeadBant | None
    criteria: BantCriteria
    met: bool
    gaps: list[Gap]


def today(now: datetime) -> date:
    """The date in the team's time zone, which is what a close date or a timing window means."""
    return now.astimezone(ZoneInfo(get_settings().timezone)).date()


def criteria(session: Session) -> BantCriteria:
    row = session.get(BantCriteriaRow, 1)
    if row is None:
        return BantCriteria()
    level = Level(row.min_budget_level) if row.min_budget_level else None
    budget = (
        Money(row.min_budget_minor, row.min_budget_currency or "VND")
        if row.min_budget_minor is not None
        else None
    )
    return BantCriteria(
        min_budget=budget,
        min_budget_level=level,
        authority=frozenset(Authority(a) for a in row.authority or ()),
        min_need_level=Level(row.min_need_level) if row.min_need_level else None,
        timing_within=TimingWindow(row.timing_within) if row.timing_within else None,
    )


def set_criteria(
    session: Session, principal: Principal | None, data: CriteriaIn, now: datetime
) -> BantCriteria:
    if principal is not None and principal.role not in CRITERIA_EDITORS:
        raise Forbidden("Only an admin or a sales manager can set the team's BANT criteria.")
    row = session.get(BantCriteriaRow, 1) or BantCriteriaRow(id=1)
    row.min_budget_minor = data.min_budget_minor
    row.min_budget_currency = data.min_budget_currency if data.min_budget_minor is not None else None
    row.min_budget_level = data.min_budget_level.value if data.min_budget_level else None
    row.authority = sorted(a.value for a in data.authority)
    row.min_need_level = data.min_need_level.value if data.min_need_level else None
    row.timing_within = data.timing_within.value if data.timing_within else None
    row.updated_by = principal.user_id if principal else None
    row.updated_at = now
    session.add(row)
    session.flush()
    audit.record(
        session, at=now, actor=principal, action="update", entity="bant_criteria", entity_id=1,
        changes=data.model_dump(mode="json"),
    )  # fmt: skip
    return criteria(session)


def bant_of(record: LeadBant | None) -> Bant:
    if record is None:
        return Bant()
    budget = (
        Money(record.budget_amount_minor, record.budget_currency or "VND")
        if record.budget_amount_minor is not None
        else None
    )
    return Bant(
        budget=budget,
        budget_level=Level(record.budget_level) if record.budget_level else None,
        authority=Authority(record.authority) if record.authority else None,
        need=record.need or "",
        need_level=Level(record.need_level) if record.need_level else None,
        timing=TimingWindow(record.timing_window) if record.timing_window else None,
        expected_by=record.timing_date,
    )


def _record(session: Session, lead_id: int) -> LeadBant | None:
    return session.scalar(select(LeadBant).where(LeadBant.lead_id == lead_id))


def opportunity_gaps(session: Session, lead: Lead, now: datetime) -> list[Gap]:
    """Everything the lead lacks to be an Opportunity: the unmet BANT criteria, then amount and close date."""
    record = _record(session, lead.id)
    _, bant_gaps = meets(criteria(session), bant_of(record), on=today(now))
    found = [Gap(g.part, g.vi, g.en) for g in bant_gaps]
    if record is None or record.opportunity_amount_minor is None:
        found.append(Gap("amount", "cần giá trị cơ hội (số tiền)", "needs the opportunity amount"))
    if record is None or record.expected_close_date is None:
        found.append(Gap("close_date", "cần ngày dự kiến chốt", "needs the expected close date"))
    return found


def view(session: Session, principal: Principal, lead_id: int, now: datetime) -> BantView:
    lead = get_lead(session, principal, lead_id)
    return _view(session, lead.id, _record(session, lead.id), now)


def _view(session: Session, lead_id: int, record: LeadBant | None, now: datetime) -> BantView:
    team = criteria(session)
    met, gaps = meets(team, bant_of(record), on=today(now))
    return BantView(lead_id, record, team, met, [Gap(g.part, g.vi, g.en) for g in gaps])


def update(
    session: Session, principal: Principal | None, lead_id: int, patch: BantPatch, now: datetime
) -> BantView:
    """Record what sales learnt (the fields sent replace the stored ones); every change is audited.
    ``principal`` None is the system (no visibility rule applies)."""
    lead = get_lead(session, principal, lead_id) if principal else session.get(Lead, lead_id)
    if lead is None:
        raise NotFound(f"No lead with id {lead_id}.")
    sent = patch.model_fields_set
    if patch.expected_close_date is not None and patch.expected_close_date < today(now):
        raise Invalid(
            "The expected close date is in the past; give a date from today on.", field="expected_close_date"
        )
    record = _record(session, lead.id) or LeadBant(lead_id=lead.id, need="")
    changes: dict[str, list[object]] = {}
    for name in BANT_FIELDS:
        if name not in sent:
            continue
        value = getattr(patch, name)
        value = value.value if hasattr(value, "value") else value
        if name == "need":
            value = value or ""
        if getattr(record, name) != value:
            changes[name] = [getattr(record, name), value]
            setattr(record, name, value)
    if record.budget_amount_minor is not None and not record.budget_currency:
        record.budget_currency = "VND"
    if record.opportunity_amount_minor is not None and not record.opportunity_currency:
        record.opportunity_currency = "VND"
    record.updated_by = principal.user_id if principal else None
    record.updated_at = now
    session.add(record)
    session.flush()
    if changes:
        audit.record(
            session, at=now, actor=principal, action="update", entity="lead_bant", entity_id=lead.id,
            changes={k: [_plain(a), _plain(b)] for k, (a, b) in changes.items()},
        )  # fmt: skip
    return _view(session, lead.id, record, now)


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else value


class OpportunityNotReady(Invalid):
    """The gate refused: ``gaps`` lists every missing part, in Vietnamese and English (``localized``), so a
    page can show them in its language; ``message`` is the English one the API sends."""

    code = "opportunity_not_ready"

    def __init__(self, lead_id: int, gaps: list[Gap]) -> None:
        missing = "; ".join(f"{g.part}: {g.en}" for g in gaps)
        super().__init__(
            f"Lead {lead_id} cannot become an Opportunity yet. Missing — {missing}. "
            "Record them with PUT /api/v1/leads/{id}/bant.",
            field="bant",
        )
        self.gaps = tuple(gaps)

    def localized(self, locale: str) -> str:
        if locale == "vi":
            return (
                "Lead chưa thể thành Cơ hội vì chưa đạt tiêu chí BANT của nhóm: "
                + "; ".join(g.vi for g in self.gaps)
                + "."
            )
        return "The lead cannot become an Opportunity: it does not meet the team's BANT criteria yet: " + (
            "; ".join(g.en for g in self.gaps) + "."
        )


def require_opportunity_ready(session: Session, lead: Lead, now: datetime) -> None:
    """Raise ``OpportunityNotReady`` (code ``opportunity_not_ready``) naming every missing part when
    ``lead`` may not become an Opportunity yet. ``stages.move_stage`` calls it before any move into
    Opportunity, so no path (API, stage card, board, this module) gets around the team's criteria."""
    gaps = opportunity_gaps(session, lead, now)
    if gaps:
        raise OpportunityNotReady(lead.id, gaps)


class OpportunityIn(BaseModel):
    """The deal, sent with the move (or recorded before it through the BANT fields)."""

    model_config = ConfigDict(extra="forbid")

    amount_minor: int | None = Field(default=None, gt=0)
    currency: str | None = None
    expected_close_date: date | None = None
    reason: str = Field(default="", max_length=1000)

    _check_currency = field_validator("currency")(_currency)


def move_to_opportunity(
    session: Session, principal: Principal, lead_id: int, data: OpportunityIn, now: datetime
) -> StageChange:
    """Record the deal's amount and close date when given, check the gate, and move SQL → Opportunity."""
    from pheu.services.stages import move_stage  # stages may call back into this module's gate

    lead = get_lead(session, principal, lead_id)
    reason = data.reason or "BANT đạt tiêu chí"
    if lead.stage != Stage.SQL.value:  # only an SQL may become an Opportunity: the lifecycle says why not
        return move_stage(session, principal, lead, Stage.OPPORTUNITY, reason=reason, now=now)
    deal = {
        k: v
        for k, v in (
            ("opportunity_amount_minor", data.amount_minor),
            ("opportunity_currency", data.currency),
            ("expected_close_date", data.expected_close_date),
        )
        if v is not None
    }
    if deal:
        update(session, principal, lead.id, BantPatch.model_validate(deal), now)
    require_opportunity_ready(session, lead, now)
    return move_stage(session, principal, lead, Stage.OPPORTUNITY, reason=reason, now=now)
