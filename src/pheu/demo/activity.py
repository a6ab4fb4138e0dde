"""What demo leads did (events) and what they agreed to (consents), consistent with their stage history.

Touches cluster in the stage a lead was in when they happened: a cold lead reads blog posts and opens
newsletters, a sales-qualified one replies and takes calls, an opportunity sits in meetings. Email touches
happen only for leads with an address who said yes to email; an unsubscribe ends them and turns the consent
off; a bounce means no email was ever opened.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any, Final

from pheu.demo import vocab_business as biz
from pheu.demo.history import History
from pheu.demo.timeline import working_time
from pheu.demo.weighted import Weighted

Row = dict[str, Any]
SITE: Final = "https://pheu-demo.vn"
EMAIL_TYPES: Final = frozenset({"email_open", "email_click"})

# Relative odds of each touch type while a lead sits in a stage.
_TOUCHES: Final[dict[str, dict[str, float]]] = {
    "iql": {"page_view": 35, "email_open": 28, "email_click": 9, "download": 7, "pricing_page_view": 4, "reply": 2},
    "mql": {"page_view": 18, "email_open": 22, "email_click": 14, "pricing_page_view": 12, "download": 8,
            "webinar_attend": 6, "coupon_redeem": 3, "event_attend": 2, "reply": 6},
    "sql": {"call": 20, "reply": 18, "meeting": 10, "pricing_page_view": 14, "email_open": 14,
            "email_click": 8, "page_view": 10, "coupon_redeem": 3},
    "opportunity": {"meeting": 22, "call": 22, "reply": 18, "email_open": 12, "pricing_page_view": 10,
                    "page_view": 8, "email_click": 6},
    "customer": {"page_view": 25, "meeting": 12, "email_open": 25, "email_click": 10, "call": 10,
                 "coupon_redeem": 8, "reply": 6},
    "lost": {"email_open": 50, "page_view": 35, "reply": 5},
    "disqualified": {"page_view": 1},
    "applicant": {"email_open": 4, "reply": 3, "call": 3},
    "interview": {"meeting": 4, "call": 3, "email_open": 3},
    "hired": {"email_open": 1},
    "rejected": {"email_open": 1},
}  # fmt: skip
# (min, max) touches while in a stage that later ended, and while in the stage the lead is in now.
_CLOSED_COUNT: Final = {"iql": (2, 5), "mql": (2, 7), "sql": (3, 7), "opportunity": (3, 7)}
_OPEN_COUNT: Final = {"iql": (3, 11), "mql": (4, 10), "sql": (4, 9), "opportunity": (4, 9), "customer": (3, 8),
                      "lost": (1, 4)}  # fmt: skip
_FORM_SOURCE: Final = {
    "facebook_ads": "form:facebook-lead-ads",
    "tiktok_ads": "form:tiktok-lead-gen",
    "zalo": "form:zalo-oa",
    "event": "form:event-checkin",
    "referral": "form:referral",
    "import": "import:csv",
}


@dataclass(frozen=True, slots=True)
class Touchpoint:
    """What the event generator needs to know about a lead beyond its history."""

    lead_id: int
    channel: str
    landing_page: str | None
    lead_magnet: str | None
    email_ok: bool
    phone_ok: bool
    owner_id: int | None

    @property
    def recruitment(self) -> bool:
        return self.lead_magnet == "job_application"


@cache
def _touches(stage: str, email_ok: bool, phone_ok: bool) -> Weighted[str]:
    def allowed(kind: str) -> bool:
        return (email_ok or kind not in EMAIL_TYPES) and (phone_ok or kind != "call")

    pairs = [(k, w) for k, w in _TOUCHES[stage].items() if allowed(k)]
    return Weighted(pairs or [("page_view", 1.0)])


def _properties(kind: str, lead: Touchpoint, rng: random.Random) -> dict[str, Any]:
    if kind == "page_view":
        return {"url": SITE + rng.choice(biz.PAGES)}
    if kind == "pricing_page_view":
        return {"url": f"{SITE}/bang-gia"}
    if kind == "email_open":
        return {"subject": rng.choice(biz.EMAIL_SUBJECTS)}
    if kind == "email_click":
        return {"subject": rng.choice(biz.EMAIL_SUBJECTS), "url": f"{SITE}/blog/{rng.choice(biz.BLOG_POSTS)}"}
    if kind == "download":
        return {"asset": rng.choice(biz.ASSETS)}
    if kind == "coupon_redeem":
        return {"code": rng.choice(("GIAM30", "TET2027", "BLACKFRIDAY", "KHACHMOI")), "discount_pct": 30}
    if kind == "webinar_attend":
        return {"webinar": "Bán hàng đa kênh", "minutes": rng.randint(8, 90)}
    if kind == "event_attend":
        return {"event": "Workshop: Xây phễu bán hàng cho SME"}
    if kind == "reply":
        return {"channel": rng.choice(("email", "zalo")), "text": rng.choice(biz.REPLY_SNIPPETS)}
    if kind == "call":
        outcome = rng.choice(biz.CALL_OUTCOMES)
        seconds = rng.randint(60, 900) if outcome == "reached" else 0
        return {"outcome": outcome, "duration_s": seconds, "user_id": lead.owner_id}
    if kind == "meeting":
        return {
            "title": rng.choice(biz.MEETING_TITLES),
            "minutes": rng.choice((30, 45, 60)),
            "user_id": lead.owner_id,
        }
    if kind == "unsubscribe":
        return {"list": "Bản tin Phễu Demo"}
    if kind == "bounce":
        return {"kind": "hard", "smtp": "550 5.1.1 mailbox unavailable"}
    return {}


def _magnet_follow_up(lead: Touchpoint) -> tuple[str, dict[str, Any]] | None:
    if lead.lead_magnet == "ebook":
        return "download", {"asset": biz.ASSETS[0]}
    if lead.lead_magnet == "webinar":
        return "webinar_attend", {"webinar": "Bán hàng đa kênh", "minutes": 45}
    if lead.lead_magnet == "event":
        return "event_attend", {"event": "Workshop: Xây phễu bán hàng cho SME"}
    if lead.lead_magnet == "coupon":
        return "coupon_redeem", {"code": "KHACHMOI", "discount_pct": 30}
    return None


def _times(start: datetime, end: datetime | None, count: int, rng: random.Random) -> list[datetime]:
    """Moments in a stage: skewed towards the next move when it is known, fading out when it is not."""
    if end is not None:
        span = (end - start).total_seconds()
        return [start + timedelta(seconds=span * math.sqrt(rng.random())) for _ in range(count)]
    return [start + timedelta(days=rng.expovariate(1 / 12)) for _ in range(count)]


def touches(
    lead: Touchpoint, history: History, now: datetime, rng: random.Random
) -> list[tuple[datetime, str, Row]]:
    """The lead's events as (time, type, properties), in time order, first the form it filled in.

    Every time is after the lead's creation and not after ``now``.
    """
    created = history.moves[0].at
    drafts: list[tuple[datetime, str, Row]] = []
    if lead.channel != "import":
        drafts.append((created, "form_submit", {"form": _FORM_SOURCE.get(lead.channel, "form:landing-page"),
                                                "url": lead.landing_page or SITE}))  # fmt: skip
        follow = _magnet_follow_up(lead)
        if follow is not None and rng.random() < 0.6:
            drafts.append((created + timedelta(hours=rng.uniform(0.05, 72)), follow[0], follow[1]))
    moves = history.moves
    for index, move in enumerate(moves):
        end = moves[index + 1].at if index + 1 < len(moves) else None
        bounds = (
            _OPEN_COUNT.get(move.to_stage, (0, 2))
            if end is None
            else _CLOSED_COUNT.get(move.to_stage, (0, 1))
        )
        if move.to_stage in {"applicant", "interview"}:
            bounds = (1, 3)
        pick = _touches(move.to_stage, lead.email_ok, lead.phone_ok)
        for at in _times(move.at, end, rng.randint(*bounds), rng):
            kind = pick.pick(rng)
            if kind in {"call", "meeting"}:
                at = working_time(at, rng)
            drafts.append((at, kind, _properties(kind, lead, rng)))
    if lead.email_ok and rng.random() < 0.02:
        drafts.append(
            (created + timedelta(hours=rng.uniform(1, 30)), "bounce", _properties("bounce", lead, rng))
        )
    elif (
        lead.email_ok and not lead.recruitment and rng.random() < (0.12 if history.stage == "lost" else 0.03)
    ):
        span = (now - created).total_seconds()
        unsubscribe = created + timedelta(seconds=span * rng.uniform(0.1, 0.9))
        drafts.append((unsubscribe, "unsubscribe", _properties("unsubscribe", lead, rng)))
    kept = [d for d in drafts if created <= d[0] <= now]
    if not kept:
        kind = "call" if lead.phone_ok else "page_view"
        kept = [(created, kind, _properties(kind, lead, rng))]
    kept.sort(key=lambda d: d[0])
    return _after_email_stops(kept)


def _after_email_stops(drafts: list[tuple[datetime, str, Row]]) -> list[tuple[datetime, str, Row]]:
    stop = next((d[0] for d in drafts if d[1] in {"bounce", "unsubscribe"}), None)
    if stop is None:
        return drafts
    return [d for d in drafts if not (d[0] > stop and d[1] in EMAIL_TYPES)]


def consents(
    lead_id: int,
    channel: str,
    created: datetime,
    *,
    has_email: bool,
    has_phone: bool,
    recruitment: bool,
    email_granted: bool,
    unsubscribed_at: datetime | None,
    rng: random.Random,
) -> list[Row]:
    """The lead's current consent per purpose; imported lists carry none (they were never asked)."""
    if channel == "import":
        return []
    source = _FORM_SOURCE.get(channel, "form:landing-page")
    rows: list[Row] = []

    def add(purpose: str, granted: bool, at: datetime = created, src: str = source) -> None:
        rows.append({"lead_id": lead_id, "purpose": purpose, "granted": granted, "at": at, "source": src,
                     "text": biz.CONSENT_TEXTS[purpose]})  # fmt: skip

    if recruitment:
        add("recruitment", True)
        return rows
    if has_email:
        if unsubscribed_at is not None:
            add("email_marketing", False, unsubscribed_at, "email:unsubscribe-link")
        else:
            add("email_marketing", email_granted)
    if has_phone and rng.random() < 0.45:
        add("phone_call", True)
    if has_phone and (channel == "zalo" or rng.random() < 0.1):
        add("zalo", True)
    return rows
