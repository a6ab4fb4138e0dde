"""BANT: what sales learns about a lead (Budget, Authority, Need, Timing) and the team's bar for calling an
SQL an Opportunity.

Each part of the criteria is optional: a team that does not ask about budget leaves it unset, and only the
parts set are checked. ``meets`` answers with every gap at once, in words sales can act on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Final, Literal


class Authority(StrEnum):
    DECISION_MAKER = "decision_maker"
    INFLUENCER = "influencer"
    NONE = "none"


class Level(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class TimingWindow(StrEnum):
    MONTH = "within_1_month"
    QUARTER = "within_3_months"
    HALF_YEAR = "within_6_months"
    YEAR = "within_12_months"
    LATER = "later"


_LEVEL_RANK: Final = {Level.LOW: 1, Level.MEDIUM: 2, Level.HIGH: 3}
WINDOW_DAYS: Final[dict[TimingWindow, int | None]] = {
    TimingWindow.MONTH: 31,
    TimingWindow.QUARTER: 92,
    TimingWindow.HALF_YEAR: 183,
    TimingWindow.YEAR: 366,
    TimingWindow.LATER: None,
}
_LEVEL_WORDS: Final = {
    Level.LOW: ("thấp", "low"),
    Level.MEDIUM: ("vừa", "medium"),
    Level.HIGH: ("cao", "high"),
}
_WINDOW_WORDS: Final = {
    TimingWindow.MONTH: ("trong 1 tháng", "within a month"),
    TimingWindow.QUARTER: ("trong 3 tháng", "within 3 months"),
    TimingWindow.HALF_YEAR: ("trong 6 tháng", "within 6 months"),
    TimingWindow.YEAR: ("trong 12 tháng", "within 12 months"),
    TimingWindow.LATER: ("sau 12 tháng", "later than 12 months"),
}
# Digits after the decimal point per currency; amounts are stored in minor units (VND has none).
_MINOR_DIGITS: Final = {"VND": 0, "JPY": 0, "KRW": 0}


@dataclass(frozen=True, slots=True)
class Money:
    amount: int
    currency: str = "VND"

    def text(self, lang: str = "vi") -> str:
        """ "50.000.000 VND" in Vietnamese, "50,000,000 VND" in English."""
        digits = _MINOR_DIGITS.get(self.currency, 2)
        plain = f"{self.amount / 10**digits:,.{digits}f}"
        if lang == "vi":
            plain = plain.replace(",", " ").replace(".", ",").replace(" ", ".")
        return f"{plain} {self.currency}"


@dataclass(frozen=True, slots=True)
class Bant:
    """What sales recorded. Budget as an amount or, when the lead will not say, a level; need in the lead's
    words plus a level; timing as a window or an expected date."""

    budget: Money | None = None
    budget_level: Level | None = None
    authority: Authority | None = None
    need: str = ""
    need_level: Level | None = None
    timing: TimingWindow | None = None
    expected_by: date | None = None


@dataclass(frozen=True, slots=True)
class BantCriteria:
    """The team's bar. An amount and a level may both be set: either one satisfies the budget part.
    An empty ``authority`` set does not check authority."""

    min_budget: Money | None = None
    min_budget_level: Level | None = None
    authority: frozenset[Authority] = field(default_factory=lambda: frozenset({Authority.DECISION_MAKER}))
    min_need_level: Level | None = Level.MEDIUM
    timing_within: TimingWindow | None = TimingWindow.QUARTER


@dataclass(frozen=True, slots=True)
class BantGap:
    part: Literal["budget", "authority", "need", "timing"]
    vi: str
    en: str

    def text(self, lang: str = "vi") -> str:
        return self.en if lang == "en" else self.vi


def _level_ok(have: Level | None, need: Level) -> bool:
    return have is not None and _LEVEL_RANK[have] >= _LEVEL_RANK[need]


def _budget(criteria: BantCriteria, bant: Bant) -> BantGap | None:
    wanted, level = criteria.min_budget, criteria.min_budget_level
    if wanted is None and level is None:
        return None
    if level is not None and _level_ok(bant.budget_level, level):
        return None
    if wanted is not None and bant.budget is not None:
        if bant.budget.currency != wanted.currency:
            return BantGap("budget", f"ngân sách ghi bằng {bant.budget.currency}, tiêu chí tính bằng {wanted.currency}",
                           f"budget is in {bant.budget.currency}, the criteria in {wanted.currency}")  # fmt: skip
        if bant.budget.amount >= wanted.amount:
            return None
        return BantGap("budget", f"ngân sách {bant.budget.text('vi')} dưới mức {wanted.text('vi')}",
                       f"budget {bant.budget.text('en')} is below {wanted.text('en')}")  # fmt: skip
    bar_vi = " hoặc ".join(
        x
        for x in (wanted.text("vi") if wanted else "", f"mức {_LEVEL_WORDS[level][0]}" if level else "")
        if x
    )
    bar_en = " or ".join(
        x
        for x in (wanted.text("en") if wanted else "", f"{_LEVEL_WORDS[level][1]} level" if level else "")
        if x
    )
    return BantGap(
        "budget", f"cần xác nhận ngân sách từ {bar_vi}", f"needs a confirmed budget of at least {bar_en}"
    )


def _authority(criteria: BantCriteria, bant: Bant) -> BantGap | None:
    if not criteria.authority or bant.authority in criteria.authority:
        return None
    if bant.authority is None:
        return BantGap("authority", "cần biết ai là người quyết định", "needs to know who decides")
    return BantGap("authority", "người liên hệ chưa có quyền quyết định, cần gặp người quyết định",
                   "the contact cannot decide; needs the decision maker")  # fmt: skip


def _need(criteria: BantCriteria, bant: Bant) -> BantGap | None:
    level = criteria.min_need_level
    if level is None or _level_ok(bant.need_level, level):
        return None
    vi, en = _LEVEL_WORDS[level]
    if bant.need_level is None:
        return BantGap(
            "need", f"cần đánh giá mức nhu cầu (tối thiểu {vi})", f"needs the need rated (at least {en})"
        )
    return BantGap("need", f"nhu cầu mới ở mức {_LEVEL_WORDS[bant.need_level][0]}, cần từ mức {vi}",
                   f"need is only {_LEVEL_WORDS[bant.need_level][1]}, needs {en} or more")  # fmt: skip


def _timing(criteria: BantCriteria, bant: Bant, on: date | None) -> BantGap | None:
    window = criteria.timing_within
    if window is None:
        return None
    limit = WINDOW_DAYS[window]
    if limit is None:  # "later" accepts any timing
        return None
    if bant.expected_by is not None and on is not None and (bant.expected_by - on).days <= limit:
        return None
    recorded = WINDOW_DAYS.get(bant.timing) if bant.timing is not None else None
    if recorded is not None and recorded <= limit:
        return None
    vi, en = _WINDOW_WORDS[window]
    if bant.timing is None and bant.expected_by is None:
        return BantGap(
            "timing", f"cần biết thời điểm mua (tiêu chí: {vi})", f"needs a buying date (criteria: {en})"
        )
    return BantGap("timing", f"thời điểm mua quá xa, cần {vi}", f"buying too far off; needs {en}")


def meets(criteria: BantCriteria, bant: Bant, *, on: date | None = None) -> tuple[bool, list[BantGap]]:
    """Whether ``bant`` meets ``criteria``, and every gap if not. ``on`` is today's date, needed only to read
    an ``expected_by`` date against the timing window (without it only the recorded window counts)."""
    found = [
        gap
        for gap in (
            _budget(criteria, bant),
            _authority(criteria, bant),
            _need(criteria, bant),
            _timing(criteria, bant, on),
        )
        if gap is not None
    ]
    return not found, found
