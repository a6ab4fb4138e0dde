"""The fixed cast of the demo: channels, the campaigns run on them with their daily spend, teams and users.

Campaign spend is derived from the leads each campaign is *expected* to bring at a realistic cost per lead,
so cost-per-lead reports look plausible whatever number of leads is generated.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final

from pheu.clean.search import fold
from pheu.demo.timeline import VN, at_local, coming_tet_year, day_weight, lunar_year_name, window_days
from pheu.demo.vocab_business import MONTH_THEMES
from pheu.demo.weighted import Weighted

Row = dict[str, Any]

RECRUITMENT_SHARE: Final = 0.03


@dataclass(frozen=True, slots=True)
class ChannelSpec:
    """A channel and how its leads behave: ``quality`` scales every conversion step (1 is average)."""

    code: str
    name: str
    share: float
    quality: float
    paid: bool = False
    low_quality: bool = False
    profile: str = "office"
    b2b: float = 0.6
    cost_per_lead: int = 0
    magnets: tuple[tuple[str, float], ...] = ()


CHANNELS: Final[tuple[ChannelSpec, ...]] = (
    ChannelSpec("facebook_ads", "Facebook Ads", 0.30, 0.9, paid=True, profile="social", b2b=0.5,
                cost_per_lead=180_000, magnets=(("coupon", 4), ("ebook", 3), ("webinar", 2), ("consultation", 2))),
    ChannelSpec("tiktok_ads", "TikTok Ads", 0.12, 0.65, paid=True, profile="social", b2b=0.35,
                cost_per_lead=110_000, magnets=(("coupon", 6), ("ebook", 2), ("trial", 1))),
    ChannelSpec("zalo", "Zalo", 0.10, 0.95, paid=True, profile="social", b2b=0.55,
                cost_per_lead=150_000, magnets=(("coupon", 3), ("consultation", 3), ("newsletter", 1))),
    ChannelSpec("google_ads", "Google Ads", 0.12, 1.35, paid=True, b2b=0.7,
                cost_per_lead=280_000, magnets=(("trial", 4), ("consultation", 4), ("ebook", 2))),
    ChannelSpec("seo", "SEO / Tự nhiên", 0.10, 1.15, b2b=0.6,
                magnets=(("ebook", 4), ("newsletter", 3), ("trial", 2), ("consultation", 1))),
    ChannelSpec("landing_page", "Landing page", 0.06, 1.05, b2b=0.6,
                magnets=(("trial", 4), ("consultation", 3), ("coupon", 2))),
    ChannelSpec("email", "Email", 0.05, 1.0, b2b=0.6, magnets=(("webinar", 3), ("coupon", 3), ("ebook", 2))),
    ChannelSpec("affiliate", "Tiếp thị liên kết", 0.04, 0.9, paid=True, b2b=0.45,
                cost_per_lead=200_000, magnets=(("coupon", 5), ("trial", 2))),
    ChannelSpec("event", "Sự kiện", 0.04, 1.5, b2b=0.8, magnets=(("event", 6), ("webinar", 4))),
    ChannelSpec("referral", "Giới thiệu", 0.04, 1.6, b2b=0.7, magnets=(("consultation", 6), ("trial", 2))),
    ChannelSpec("import", "Danh sách mua / nhập", 0.03, 0.35, low_quality=True, b2b=0.8),
)  # fmt: skip

# How often a lead arriving on a channel while one of its campaigns runs is credited to that campaign.
ATTACH_RATE: Final[dict[str, float]] = {"email": 0.85, "landing_page": 0.5, "event": 1.0}


@dataclass(frozen=True, slots=True)
class CampaignPlan:
    id: int
    channel: str
    name: str
    slug: str
    starts_on: date
    ends_on: date
    weight: float = 1.0
    event_day: date | None = None


@dataclass(frozen=True, slots=True)
class DemoUser:
    id: int
    email: str
    name: str
    role: str
    password: str
    team_id: int | None


DEMO_USERS: Final[tuple[DemoUser, ...]] = (
    DemoUser(1, "admin@pheu.local", "Nguyễn Hoàng Nam", "admin", "pheu-admin", None),
    DemoUser(2, "marketing@pheu.local", "Trần Thu Hà", "marketing", "pheu-demo", None),
    DemoUser(3, "manager@pheu.local", "Lê Minh Tuấn", "sales_manager", "pheu-demo", 1),
    DemoUser(4, "rep1@pheu.local", "Phạm Ngọc Ánh", "sales_rep", "pheu-demo", 1),
    DemoUser(5, "rep2@pheu.local", "Võ Thanh Tùng", "sales_rep", "pheu-demo", 1),
    DemoUser(6, "rep3@pheu.local", "Đặng Thu Trang", "sales_rep", "pheu-demo", 2),
)
TEAMS: Final[tuple[tuple[int, str], ...]] = ((1, "Kinh doanh miền Nam"), (2, "Kinh doanh miền Bắc"))
ADMIN_ID: Final = 1
MARKETING_ID: Final = 2
SOUTH_REPS: Final = Weighted(((4, 0.55), (5, 0.45)))
NORTH_REP: Final = 6


@dataclass
class Catalogue:
    """Everything leads refer to, plus the calendars the lead generator draws from."""

    now: datetime
    n_leads: int
    days: list[date]
    day_pick: Weighted[int]
    day_share: list[float]
    channel_ids: dict[str, int]
    channel_pick: Weighted[ChannelSpec]
    campaigns: list[CampaignPlan]
    import_batches: list[datetime]
    event_windows: list[tuple[date, date]]
    active: dict[tuple[str, date], list[CampaignPlan]] = field(default_factory=dict)
    channels_rows: list[Row] = field(default_factory=list)
    campaigns_rows: list[Row] = field(default_factory=list)
    costs_rows: list[Row] = field(default_factory=list)
    teams_rows: list[Row] = field(default_factory=list)
    users_rows: list[Row] = field(default_factory=list)

    def campaign_for(self, channel: str, day: date, rng: random.Random) -> CampaignPlan | None:
        running = self.active.get((channel, day))
        if not running or rng.random() >= ATTACH_RATE.get(channel, 1.0):
            return None
        return Weighted((c, c.weight) for c in running).pick(rng) if len(running) > 1 else running[0]


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")


def _months(first: date, last: date) -> list[date]:
    months: list[date] = []
    current = first.replace(day=1)
    while current <= last:
        months.append(current)
        current = (current + timedelta(days=32)).replace(day=1)
    return months


def _month_end(month: date) -> date:
    return (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def _theme(month: date, index: int) -> str:
    template = MONTH_THEMES[month.month][index % 3]
    return template.format(year=month.year, tet=lunar_year_name(coming_tet_year(month)))


_Spec = tuple[str, str, str, date, date, float, date | None]
_SEARCH_GROUPS: Final = ("Phần mềm quản lý bán hàng", "Khóa học marketing online", "CRM cho SME")


def _monthly(months: list[date], first: date) -> list[_Spec]:
    """A Facebook push every month; TikTok, Zalo and Google take turns; newsletters every other month.

    A month with under ten days inside the window only gets its Facebook push, as it is nearly over."""
    specs: list[_Spec] = []
    turn = 0
    for i, month in enumerate(months):
        start, end = max(month, first), _month_end(month)
        specs.append(("facebook_ads", "fb", _theme(month, 0), start, end, 1.0, None))
        if (end - start).days < 9:
            continue
        last = i == len(months) - 1
        if turn % 2 == 1 or last:
            specs.append(("tiktok_ads", "tt", _theme(month, 1), start, end, 1.0, None))
        if turn % 2 == 0:
            specs.append(("zalo", "zl", _theme(month, 2), start, end, 1.0, None))
            group = _SEARCH_GROUPS[(turn // 2) % len(_SEARCH_GROUPS)]
            name = f"Google Search – {group} T{month.month}/{month.year}"
            specs.append(("google_ads", "gg", name, start, end, 1.2, None))
        elif not last:
            send = month + timedelta(days=9)
            name = f"Bản tin tháng {month.month}/{month.year}"
            specs.append(("email", "email", name, send, send + timedelta(days=6), 1.0, None))
        turn += 1
    return specs


def _evergreen(days: list[date]) -> list[_Spec]:
    """Always-on search and affiliates, a landing page, a webinar, a workshop and a closing email push."""
    first, today = days[0], days[-1]
    later = today + timedelta(days=90)
    specs: list[_Spec] = [
        ("google_ads", "gg", "Google Search – Từ khóa thương hiệu", first, later, 0.6, None),
        ("affiliate", "aff", "Tiếp thị liên kết – Hoa hồng 20%", first, later, 1.0, None),
        (
            "landing_page",
            "lp",
            "Landing page – Dùng thử miễn phí 14 ngày",
            first + timedelta(len(days) // 2),
            later,
            1.0,
            None,
        ),
        (
            "email",
            "email",
            f"Chuỗi email ưu đãi T{today.month}/{today.year}",
            today - timedelta(6),
            today,
            1.0,
            None,
        ),
    ]
    for fraction, name in ((0.35, "Webinar: Bán hàng đa kênh"), (0.7, "Workshop: Xây phễu bán hàng cho SME")):
        event_day = first + timedelta(days=int(len(days) * fraction))
        specs.append(("event", "ev", name, event_day - timedelta(days=20), event_day, 1.0, event_day))
    return specs


def plan_campaigns(days: list[date]) -> list[CampaignPlan]:
    """The campaigns that ran in the window ``days``, numbered from 1 in order of start, slugs unique."""
    specs = _monthly(_months(days[0], days[-1]), days[0]) + _evergreen(days)
    plans: list[CampaignPlan] = []
    seen: set[str] = set()
    for channel, prefix, name, start, end, weight, event_day in sorted(specs, key=lambda s: (s[3], s[0])):
        slug = f"{prefix}-{slugify(name)}"
        while slug in seen:
            slug += "-2"
        seen.add(slug)
        plans.append(CampaignPlan(len(plans) + 1, channel, name, slug, start, end, weight, event_day))
    return plans


def _cost_rows(catalogue: Catalogue, rng: random.Random) -> list[Row]:
    """Daily spend in VND: ads pay per expected lead; events pay for promotion and for the day itself."""
    specs = {c.code: c for c in CHANNELS}
    rows: list[Row] = []
    for plan in catalogue.campaigns:
        spec = specs[plan.channel]
        if not spec.paid and plan.channel != "event":
            continue
        for index, day in enumerate(catalogue.days):
            running = catalogue.active.get((plan.channel, day), [])
            if plan not in running:
                continue
            if plan.event_day is not None:
                amount = rng.randint(300, 800) * 1000
                if day == plan.event_day:
                    amount += rng.randint(2_000, 4_000) * 1000 if "Webinar" in plan.name else 16_500_000
            else:
                campaign_share = plan.weight / sum(c.weight for c in running)
                expected = catalogue.n_leads * (1 - RECRUITMENT_SHARE) * spec.share
                expected *= catalogue.day_share[index] * campaign_share
                noisy = expected * spec.cost_per_lead * rng.lognormvariate(0.0, 0.25)
                amount = max(300_000, round(noisy / 1000) * 1000)
            rows.append(
                {
                    "id": len(rows) + 1,
                    "campaign_id": plan.id,
                    "day": day,
                    "amount_minor": amount,
                    "currency": "VND",
                }
            )
    return rows


def _reference_rows(catalogue: Catalogue) -> None:
    created = catalogue.now - timedelta(days=200)
    catalogue.channels_rows = [
        {"id": i, "code": c.code, "name": c.name, "paid": c.paid, "low_quality": c.low_quality}
        for i, c in enumerate(CHANNELS, start=1)
    ]
    catalogue.campaigns_rows = [
        {
            "id": p.id,
            "name": p.name,
            "channel_id": catalogue.channel_ids[p.channel],
            "utm_campaign": p.slug,
            "starts_on": p.starts_on,
            "ends_on": p.ends_on,
            "currency": "VND",
            "created_at": datetime.combine(p.starts_on - timedelta(days=3), time(9, 30), VN).astimezone(UTC),
        }
        for p in catalogue.campaigns
    ]
    # Managers are set once the users exist (users reference teams, so teams are written first).
    catalogue.teams_rows = [
        {"id": i, "name": name, "manager_id": None, "created_at": created} for i, name in TEAMS
    ]
    catalogue.users_rows = [
        {
            "id": u.id,
            "email": u.email,
            "name": u.name,
            "password_hash": "",
            "role": u.role,
            "team_id": u.team_id,
            "locale": "vi",
            "active": True,
            "created_at": created + timedelta(hours=u.id),
            "last_login_at": None,
            "capacity": 1,
            "away_from": None,
            "away_until": None,
            "working_hours": None,
            "languages": None,
            "calendar_token_hash": None,
        }
        for u in DEMO_USERS
    ]


def build_catalogue(n_leads: int, now: datetime, rng: random.Random) -> Catalogue:
    """Channels, campaigns, costs, teams and users for a window of ``WINDOW_DAYS`` ending at ``now`` (aware).

    User rows carry an empty ``password_hash``: hashing is slow, so the caller hashes each password once.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    days = window_days(now)
    weights = [day_weight(d, i / (len(days) - 1)) for i, d in enumerate(days)]
    total = sum(weights)
    campaigns = plan_campaigns(days)
    active: dict[tuple[str, date], list[CampaignPlan]] = defaultdict(list)
    day_set = set(days)
    for plan in campaigns:
        day = plan.starts_on
        while day <= min(plan.ends_on, days[-1]):
            if day in day_set:
                active[(plan.channel, day)].append(plan)
            day += timedelta(days=1)
    batch_days = [days[int(len(days) * f)] for f in (0.15, 0.45, 0.8)]
    batches = [at_local(d + timedelta(days=(7 - d.weekday()) % 7), 10, rng) for d in batch_days]
    catalogue = Catalogue(
        now=now,
        n_leads=n_leads,
        days=days,
        day_pick=Weighted(enumerate(weights)),
        day_share=[w / total for w in weights],
        channel_ids={c.code: i for i, c in enumerate(CHANNELS, start=1)},
        channel_pick=Weighted((c, c.share) for c in CHANNELS),
        campaigns=campaigns,
        import_batches=[b for b in batches if b < now - timedelta(hours=1)] or [now - timedelta(days=3)],
        active=dict(active),
        event_windows=[(p.starts_on, p.event_day) for p in campaigns if p.event_day is not None],
    )
    _reference_rows(catalogue)
    catalogue.costs_rows = _cost_rows(catalogue, rng)
    return catalogue
