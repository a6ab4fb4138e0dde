"""How values look on a page: times in the user's zone, numbers with local separators, stage colours.

Times arrive from the store in UTC and are shown in ``PHEU_TIMEZONE`` (Asia/Ho_Chi_Minh by default).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone, tzinfo
from functools import cache
from typing import Final
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from babel.dates import format_datetime as babel_datetime
from babel.numbers import format_decimal

from pheu.config import get_settings

_VN_FALLBACK: Final = timezone(timedelta(hours=7), "Asia/Ho_Chi_Minh")

STAGE_TONES: Final[dict[str, str]] = {
    "iql": "cold",
    "mql": "warm",
    "sql": "hot",
    "opportunity": "opportunity",
    "customer": "won",
    "lost": "closed",
    "disqualified": "muted",
    "applicant": "cold",
    "interview": "warm",
    "hired": "won",
    "rejected": "closed",
}


@cache
def local_zone() -> tzinfo:
    """The zone people read times in; a fixed UTC+7 if the system lacks time zone data."""
    name = get_settings().timezone
    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError:
        return _VN_FALLBACK


def format_datetime(value: datetime | None, locale: str) -> str:
    """``26/11/2026 09:30`` in Vietnamese, ``26 Nov 2026, 09:30`` in English; ``""`` for no value."""
    if value is None:
        return ""
    local = value.astimezone(local_zone())
    if locale == "vi":
        return local.strftime("%d/%m/%Y %H:%M")
    return babel_datetime(local, "d MMM yyyy, HH:mm", tzinfo=local.tzinfo, locale=locale)


def iso_datetime(value: datetime) -> str:
    """Machine-readable time for ``<time datetime=…>``."""
    return value.astimezone(local_zone()).isoformat(timespec="minutes")


def start_of_day(day: date) -> datetime:
    """The first moment of a local calendar day, as an aware datetime."""
    return datetime.combine(day, time.min, local_zone())


def format_number(value: int | float, locale: str) -> str:
    """``1.234`` in Vietnamese, ``1,234`` in English."""
    return format_decimal(value, locale=locale)


def format_phone(e164: str | None) -> str:
    """A stored E.164 number as people write it: ``0912 345 678`` at home, ``+1 650-253-0000`` abroad."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    style = phonenumbers.PhoneNumberFormat
    home = phonenumbers.region_code_for_number(number) == "VN"
    return phonenumbers.format_number(number, style.NATIONAL if home else style.INTERNATIONAL)


def stage_class(stage: str) -> str:
    """The CSS class giving a stage badge its colour (cold blue, warm amber, hot red, won green…)."""
    return f"stage stage-{STAGE_TONES.get(stage, 'muted')}"


def score_class(score: int) -> str:
    if score >= 70:
        return "score score-high"
    if score >= 40:
        return "score score-mid"
    return "score score-low"


def initials(name: str | None) -> str:
    """Two letters for an avatar; Vietnamese names put the given name last, so take first and last."""
    words = (name or "").split()
    if not words:
        return "?"
    if len(words) == 1:
        return words[0][:2].upper()
    return (words[0][0] + words[-1][0]).upper()


def safe_href(url: str | None) -> str | None:
    """The URL if it is a plain web link, else ``None`` — so a stored ``javascript:`` never becomes a link."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme in {"http", "https"} and parts.netloc else None
