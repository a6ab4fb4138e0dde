"""When things happen: the rhythm of a Vietnamese business week, read in Vietnam time and stored in UTC.

Leads arrive more on weekdays than at weekends, hardly at all over Tết, mostly in office hours and in the
evening when people scroll social media; people in sales act during working hours, Monday to Saturday.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Final

from pheu.demo.weighted import Weighted

VN: Final = timezone(timedelta(hours=7), "Asia/Ho_Chi_Minh")
WINDOW_DAYS: Final = 182

# Mon..Sun
WEEKDAY_FACTOR: Final[tuple[float, ...]] = (1.1, 1.15, 1.1, 1.05, 1.0, 0.75, 0.6)

# Lunar new year (Tết) days; the holiday week around them is quiet.
TET_DAYS: Final[dict[int, date]] = {
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
    2029: date(2029, 2, 13),
    2030: date(2030, 2, 3),
    2031: date(2031, 1, 23),
    2032: date(2032, 2, 11),
}

_STEMS: Final = ("Giáp", "Ất", "Bính", "Đinh", "Mậu", "Kỷ", "Canh", "Tân", "Nhâm", "Quý")
_BRANCHES: Final = ("Tý", "Sửu", "Dần", "Mão", "Thìn", "Tỵ", "Ngọ", "Mùi", "Thân", "Dậu", "Tuất", "Hợi")

# Hour-of-day profiles (Vietnam time): social ads peak in the evening, search and email in office hours.
_SOCIAL_HOURS: Final = (
    1,
    0.5,
    0.3,
    0.2,
    0.2,
    0.4,
    1,
    2,
    3,
    4,
    4.5,
    4.5,
    5,
    4,
    3.5,
    3.5,
    3.5,
    3,
    3.5,
    5,
    6,
    6.5,
    5,
    2.5,
)
_OFFICE_HOURS: Final = (
    0.3,
    0.1,
    0.1,
    0.1,
    0.1,
    0.3,
    0.8,
    2,
    5,
    7,
    7.5,
    6.5,
    4,
    4.5,
    6.5,
    6.5,
    6,
    5,
    3,
    2.5,
    2.5,
    2,
    1.2,
    0.6,
)
HOURS: Final[dict[str, Weighted[int]]] = {
    "social": Weighted(enumerate(_SOCIAL_HOURS)),
    "office": Weighted(enumerate(_OFFICE_HOURS)),
}


def lunar_year_name(year: int) -> str:
    """The can-chi name Vietnamese use for a lunar year, e.g. 2026 → "Bính Ngọ"."""
    return f"{_STEMS[(year - 4) % 10]} {_BRANCHES[(year - 4) % 12]}"


def coming_tet_year(day: date) -> int:
    """The year whose Tết a campaign running on ``day`` would advertise (Tết itself, or the next one)."""
    tet = TET_DAYS.get(day.year)
    if tet is not None and day > tet + timedelta(days=7):
        return day.year + 1
    if tet is None and day.month > 2:
        return day.year + 1
    return day.year


def local_day(moment: datetime) -> date:
    return moment.astimezone(VN).date()


def window_days(now: datetime) -> list[date]:
    """The local calendar days of the demo window, oldest first, ending with today."""
    today = local_day(now)
    return [today - timedelta(days=offset) for offset in range(WINDOW_DAYS - 1, -1, -1)]


def day_weight(day: date, position: float) -> float:
    """Relative lead volume on ``day``; ``position`` runs 0→1 across the window, so volume grows over time."""
    weight = (0.6 + 0.8 * position) * WEEKDAY_FACTOR[day.weekday()]
    tet = TET_DAYS.get(day.year) or TET_DAYS.get(day.year + 1)
    if tet is not None and -3 <= (day - tet).days <= 5:
        weight *= 0.25
    return weight


def at_local(day: date, hour: int, rng: random.Random) -> datetime:
    """A random second in ``hour`` of a Vietnam-time ``day``, returned in UTC."""
    local = datetime.combine(day, time(hour), VN) + timedelta(seconds=rng.randrange(3600))
    return local.astimezone(UTC)


def random_moment(day: date, profile: str, rng: random.Random) -> datetime:
    return at_local(day, HOURS[profile].pick(rng), rng)


def working_time(moment: datetime, rng: random.Random) -> datetime:
    """The first moment a person at work would act on something that happened at ``moment``.

    Office hours are 08:00-18:00 Vietnam time, Monday to Saturday; anything outside is pushed to the next
    opening plus up to two hours, so that not every action lands at 08:00 sharp.
    """
    local = moment.astimezone(VN)
    if local.weekday() < 6 and 8 <= local.hour < 18:
        return moment
    day = local.date()
    if local.hour >= 18 or local.weekday() == 6:
        day += timedelta(days=1)
    while day.weekday() == 6:
        day += timedelta(days=1)
    opening = datetime.combine(day, time(8), VN) + timedelta(minutes=rng.randrange(120))
    return opening.astimezone(UTC)


def after(moment: datetime, median_hours: float, rng: random.Random, spread: float = 1.0) -> datetime:
    """A log-normal delay: most gaps near ``median_hours``, a long tail of slow ones, never under 10 minutes."""
    hours = rng.lognormvariate(0.0, spread) * median_hours
    return moment + timedelta(hours=max(hours, 1 / 6))
