"""How a worked lead ends: won (a customer, with the deal's value), lost (with a reason from the managed list),
or recycled to nurturing when it is lost or has stalled.

These outcomes are what the scoring backtests and the funnel reports learn from, so each is checked here
before anything is stored: a won deal without a value or a lost lead without a countable reason would teach
the reports nothing.

- **Won**: only an Opportunity becomes a Customer (the lifecycle's rule); the value is a positive amount in
  minor units with a three-letter currency (VND has no minor unit: 15,000,000 ₫ is ``15000000``).
- **Lost**: from any open sales stage, with the code of an active reason from the managed list.
- **Stalled**: an SQL or Opportunity with no activity (no event, no task done, no stage move) for
  ``stalled_after`` (30 days by default). IQL and MQL leads are nurtured by marketing already.
- **Recycle**: a lost or stalled lead goes back to MQL, where nurturing picks it up.

Pure: stages and times are passed in; errors are ``ConversionError`` with a message code.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from pheu.lifecycle import Stage

STALLED_AFTER: Final = timedelta(days=30)
RECYCLE_TO: Final = Stage.MQL
STALLABLE: Final = frozenset({Stage.SQL, Stage.OPPORTUNITY})
LOSABLE: Final = frozenset({Stage.IQL, Stage.MQL, Stage.SQL, Stage.OPPORTUNITY})
MAX_AMOUNT_MINOR: Final = 10**15
_CURRENCY = re.compile(r"^[A-Z]{3}$")


class ConversionError(ValueError):
    """A refused conversion; ``code`` names the message, ``field`` the form field to fix."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


@dataclass(frozen=True, slots=True)
class Won:
    amount_minor: int
    currency: str


@dataclass(frozen=True, slots=True)
class Lost:
    reason_code: str


def check_won(stage: Stage, amount_minor: int | None, currency: str | None) -> Won:
    """The won deal to record, or ``ConversionError`` (not_opportunity, value_required, value_positive,
    value_too_large, currency_invalid)."""
    if stage is not Stage.OPPORTUNITY:
        raise ConversionError(
            "not_opportunity", f"Only an Opportunity can be won; this lead is '{stage.value}'.", "stage"
        )
    if amount_minor is None:
        raise ConversionError("value_required", "A won deal needs its value.", "amount")
    if amount_minor <= 0:
        raise ConversionError("value_positive", "The value must be more than zero.", "amount")
    if amount_minor > MAX_AMOUNT_MINOR:
        raise ConversionError("value_too_large", "The value is too large.", "amount")
    code = (currency or "").strip().upper()
    if not _CURRENCY.match(code):
        raise ConversionError(
            "currency_invalid", "The currency is a three-letter code such as VND.", "currency"
        )
    return Won(amount_minor=amount_minor, currency=code)


def check_lost(stage: Stage, reason_code: str | None, active_reasons: Collection[str]) -> Lost:
    """The loss to record, or ``ConversionError`` (not_open, reason_required, reason_unknown)."""
    if stage not in LOSABLE:
        raise ConversionError("not_open", f"A lead in '{stage.value}' cannot be marked lost.", "stage")
    code = (reason_code or "").strip()
    if not code:
        raise ConversionError("reason_required", "Choose why the lead was lost.", "reason")
    if code not in active_reasons:
        raise ConversionError("reason_unknown", f"'{code}' is not a lost reason in the list.", "reason")
    return Lost(reason_code=code)


def is_stalled(
    stage: Stage, last_activity_at: datetime, now: datetime, after: timedelta = STALLED_AFTER
) -> bool:
    """An SQL or Opportunity nobody has touched for ``after``."""
    return stage in STALLABLE and now - last_activity_at >= after


def check_recycle(
    stage: Stage, last_activity_at: datetime, now: datetime, after: timedelta = STALLED_AFTER
) -> Stage:
    """The stage to recycle to (MQL), or ``ConversionError`` (not_recyclable) for a lead still being worked."""
    if stage is Stage.LOST or is_stalled(stage, last_activity_at, now, after):
        return RECYCLE_TO
    days = after.days
    raise ConversionError(
        "not_recyclable",
        f"Only a lost lead, or an SQL or Opportunity untouched for {days} days, can go back to nurturing.",
        "stage",
    )
