"""One demo lead with everything attached: where it came from, who it is, its history, touches and consents.

Origin fields agree with each other the way tracking really fills them in: a Facebook lead inside a running
campaign carries that campaign's ``utm_campaign`` and a landing page tagged with it; an SEO lead has no UTM
tags but a search-engine referrer and a blog landing page; an imported list has no web origin at all.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Final

from pheu.clean.search import fold, phone_search_forms, search_key
from pheu.demo import vocab_business as biz
from pheu.demo.activity import SITE, Touchpoint, consents, touches
from pheu.demo.catalogue import CHANNELS, RECRUITMENT_SHARE, CampaignPlan, Catalogue, ChannelSpec
from pheu.demo.contacts import ContactBook, Person, make_person
from pheu.demo.history import History, recruitment_history, sales_history
from pheu.demo.timeline import random_moment
from pheu.demo.weighted import Weighted

Row = dict[str, Any]

_SPECS: Final = {c.code: c for c in CHANNELS}
_RECRUITMENT_CHANNELS: Final = Weighted((("seo", 35), ("landing_page", 30), ("referral", 25), ("event", 10)))
_MAGNETS: Final = {c.code: Weighted(c.magnets) for c in CHANNELS if c.magnets}
_MAGNET_PAGES: Final = {
    "coupon": "/lp/uu-dai-khach-moi",
    "ebook": "/lp/ebook-phieu-ban-hang",
    "webinar": "/lp/webinar-ban-hang-da-kenh",
    "trial": "/lp/dung-thu-14-ngay",
    "newsletter": "/lp/dang-ky-ban-tin",
    "event": "/lp/workshop-sme",
    "consultation": "/lp/tu-van-mien-phi",
}
# Fewer people leave an email in chat-first channels; forms on the website ask for it first.
_EMAIL_MISSING: Final = {"zalo": 0.25, "tiktok_ads": 0.18, "import": 0.3, "event": 0.04, "email": 0.0}
_PHONE_MISSING: Final = {"email": 0.2, "seo": 0.14, "import": 0.05, "zalo": 0.0}
_STAGE_SCORE: Final = {"iql": 14, "mql": 42, "sql": 58, "opportunity": 68, "customer": 78, "lost": 20,
                       "disqualified": 4}  # fmt: skip
_ENGAGING: Final = frozenset({"email_click", "download", "pricing_page_view", "webinar_attend", "event_attend",
                              "reply", "meeting", "coupon_redeem"})  # fmt: skip


@dataclass(slots=True)
class Origin:
    utm: dict[str, str | None] = field(default_factory=dict)
    landing_page: str | None = None
    referrer: str | None = None


@dataclass(slots=True)
class LeadBundle:
    """A lead row and its children, without ids for the children (the chunker numbers them)."""

    lead: Row
    stage_changes: list[Row]
    events: list[Row]
    consents: list[Row]


def _created_at(catalogue: Catalogue, spec: ChannelSpec, rng: random.Random) -> tuple[datetime, date]:
    if spec.code == "import":
        batch = rng.choice(catalogue.import_batches)
        moment = batch + timedelta(seconds=rng.uniform(0, 120))
        return moment, catalogue.days[-1]
    for _ in range(50):
        day = catalogue.days[catalogue.day_pick.pick(rng)]
        if spec.code == "event" and catalogue.event_windows and rng.random() < 0.7:
            # Most event leads register in the weeks before an event or walk in on the day.
            opens, event_day = rng.choice(catalogue.event_windows)
            day = (
                event_day
                if rng.random() < 0.3
                else opens + timedelta(rng.randrange((event_day - opens).days))
            )
        moment = random_moment(day, spec.profile, rng)
        if moment < catalogue.now:
            return moment, day
    return catalogue.now - timedelta(minutes=5), catalogue.days[-1]


def _origin(
    spec: ChannelSpec, campaign: CampaignPlan | None, magnet: str | None, rng: random.Random
) -> Origin:
    slug = campaign.slug if campaign else None
    code = spec.code
    if code == "import":
        return Origin()
    if code == "seo":
        engine = rng.choice(
            ("https://www.google.com/", "https://www.google.com/", "https://coccoc.com/search")
        )
        return Origin(landing_page=f"{SITE}/blog/{rng.choice(biz.BLOG_POSTS)}", referrer=engine)
    sources: dict[str, tuple[str, str, str | None]] = {
        "facebook_ads": ("facebook", "paid_social" if slug else "social", "https://m.facebook.com/"),
        "tiktok_ads": ("tiktok", "paid_social" if slug else "social", None),
        "zalo": ("zalo", "zalo_ads" if slug else "zalo_oa", None),
        "google_ads": ("google", "cpc", "https://www.google.com/"),
        "email": ("newsletter", "email", None),
        "affiliate": (rng.choice(biz.AFFILIATE_NETWORKS), "affiliate", None),
        "event": ("event", "webinar" if campaign and "Webinar" in campaign.name else "offline", None),
        "referral": ("referral", "referral", None),
        "landing_page": ("website", "banner", None),
    }
    source, medium, referrer = sources[code]
    utm: dict[str, str | None] = {"utm_source": source, "utm_medium": medium, "utm_campaign": slug}
    if code in {"facebook_ads", "tiktok_ads", "zalo"}:
        utm["utm_content"] = rng.choice(biz.AD_CREATIVES)
    elif code == "google_ads":
        utm["utm_term"] = rng.choice(biz.GOOGLE_KEYWORDS)
        utm["utm_content"] = f"search-ad-{rng.randint(1, 4)}"
    elif code == "affiliate":
        utm["utm_content"] = f"pub-{rng.randint(1000, 9999)}"
    elif code == "referral":
        utm["utm_content"] = f"ref-{rng.randint(10000, 99999)}"
    if code == "landing_page" and not slug:
        utm = {}
    if slug:
        query = f"utm_source={source}&utm_medium={medium}&utm_campaign={slug}"
        page = f"{SITE}/lp/{slug.split('-', 1)[1]}?{query}"
    else:
        page = SITE + _MAGNET_PAGES.get(magnet or "", "/lp/tu-van-mien-phi")
    return Origin(utm=utm, landing_page=page, referrer=referrer)


def _score(stage: str, events: list[Row], rng: random.Random) -> int:
    if stage not in _STAGE_SCORE:
        return 0
    engaged = sum(1 for e in events if e["type"] in _ENGAGING)
    raw = _STAGE_SCORE[stage] + rng.randint(-8, 8) + min(engaged, 8) * 2
    if any(e["type"] in {"unsubscribe", "bounce"} for e in events):
        raw -= 15
    return max(0, min(100, raw))


def _history(spec: ChannelSpec, person: Person, created: datetime, magnet: str | None,
             catalogue: Catalogue, rng: random.Random, recruitment: bool) -> History:  # fmt: skip
    if recruitment:
        return recruitment_history(created, catalogue.now, rng)
    return sales_history(
        created,
        catalogue.now,
        rng,
        quality=spec.quality,
        region=person.region,
        imported=spec.code == "import",
        hot=magnet in {"consultation", "trial"},
    )


def make_lead(lead_id: int, catalogue: Catalogue, rng: random.Random, book: ContactBook) -> LeadBundle:
    recruitment = rng.random() < RECRUITMENT_SHARE
    spec = _SPECS[_RECRUITMENT_CHANNELS.pick(rng)] if recruitment else catalogue.channel_pick.pick(rng)
    created, day = _created_at(catalogue, spec, rng)
    campaign = None if recruitment else catalogue.campaign_for(spec.code, day, rng)
    person = make_person(
        rng,
        book,
        this_year=catalogue.now.year,
        b2b=not recruitment and rng.random() < spec.b2b,
        email_missing=_EMAIL_MISSING.get(spec.code, 0.10),
        phone_missing=0.02 if recruitment else _PHONE_MISSING.get(spec.code, 0.08),
        sparse=spec.code == "import",
    )
    magnet = (
        "job_application" if recruitment else _MAGNETS[spec.code].pick(rng) if spec.code in _MAGNETS else None
    )
    origin = _origin(spec, campaign, magnet, rng)
    notes = None
    if recruitment:
        position, position_slug = rng.choice(biz.RECRUITMENT_POSITIONS)
        origin = Origin(landing_page=f"{SITE}/tuyen-dung/{position_slug}", referrer=origin.referrer)
        notes = f"Ứng tuyển vị trí: {position}"
    history = _history(spec, person, created, magnet, catalogue, rng, recruitment)
    email_granted = person.email is not None and spec.code != "import" and rng.random() < 0.9
    point = Touchpoint(lead_id, spec.code, origin.landing_page, magnet, email_granted, person.phone is not None,
                       history.owner_id)  # fmt: skip
    drafts = touches(point, history, catalogue.now, rng)
    events: list[Row] = [{"lead_id": lead_id, "type": kind, "occurred_at": at, "properties": props, "source": "demo",
               "external_id": None, "created_at": at} for at, kind, props in drafts]  # fmt: skip
    unsubscribed = next((at for at, kind, _ in drafts if kind == "unsubscribe"), None)
    last = history.moves[-1]
    lead: Row = {
        "id": lead_id,
        "kind": "recruitment" if recruitment else "sales",
        "stage": last.to_stage,
        "full_name": person.full_name,
        "email": person.email,
        "phone": person.phone,
        "job_title": person.job_title,
        "age_range": person.age_range,
        "gender": person.gender,
        "income_range": person.income_range,
        "marital_status": person.marital_status,
        "interests": person.interests,
        "company": person.company,
        "industry": person.industry,
        "company_size": person.company_size,
        "country": "VN",
        "province": person.province,
        "city": person.city,
        "channel_id": catalogue.channel_ids[spec.code],
        "campaign_id": campaign.id if campaign else None,
        "utm_source": origin.utm.get("utm_source"),
        "utm_medium": origin.utm.get("utm_medium"),
        "utm_campaign": origin.utm.get("utm_campaign"),
        "utm_term": origin.utm.get("utm_term"),
        "utm_content": origin.utm.get("utm_content"),
        "landing_page": origin.landing_page,
        "referrer": origin.referrer,
        "lead_magnet": magnet,
        "owner_id": history.owner_id,
        "score": _score(last.to_stage, events, rng),
        # Filled in by the default scoring model once every lead is in (pheu.demo.seed).
        "score_fit": None,
        "score_behaviour": None,
        "temperature": None,
        "scored_at": None,
        "score_model_id": None,
        "assigned_at": None,
        "first_contact_due_at": None,
        "first_contact_at": None,
        "won_amount_minor": None,
        "won_currency": None,
        # First entries per level: the database's triggers fill them as the moves are loaded (migration 0008).
        "reached_mql_at": None,
        "reached_sql_at": None,
        "reached_opportunity_at": None,
        "reached_customer_at": None,
        "lost_reason": last.reason if last.to_stage in {"lost", "disqualified", "rejected"} else None,
        "flags": ["bought_list"] if spec.code == "import" else [],
        "notes": notes,
        "search_key": search_key(
            person.full_name, person.email, phone_search_forms(person.phone), person.company
        ),
        "name_key": fold(person.full_name),
        "created_at": created,
        "updated_at": last.at,
        "stage_changed_at": last.at,
    }
    changes = [{"lead_id": lead_id, "from_stage": m.from_stage, "to_stage": m.to_stage, "at": m.at,
                "actor_type": m.actor_type, "actor_user_id": m.actor_user_id, "actor_label": m.actor_label,
                "reason": m.reason} for m in history.moves]  # fmt: skip
    consent_rows = consents(
        lead_id,
        spec.code,
        created,
        has_email=person.email is not None,
        has_phone=person.phone is not None,
        recruitment=recruitment,
        email_granted=email_granted,
        unsubscribed_at=unsubscribed,
        rng=rng,
    )
    return LeadBundle(lead, changes, events, consent_rows)
