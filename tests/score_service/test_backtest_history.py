"""The backtest's history as read from the store (``services.scoring_history``) replays exactly like the same
leads' facts built one by one, on SQLite and PostgreSQL: both databases give the backtest the facts give."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from pheu.db import unit_of_work
from pheu.lifecycle import Stage
from pheu.score.backtest import compare
from pheu.score.bulk import fit_tenths
from pheu.score.defaults import default_model
from pheu.score.facts import EventFact, LeadFacts
from pheu.score.model import BehaviourRule, Condition, FitRule, PropertyCondition, ScoringModel, StageRule
from pheu.score.replay import NEVER, History, replay_all
from pheu.services.scoring_backtest import backtest, result_json
from pheu.services.scoring_facts import lead_facts
from pheu.services.scoring_history import read_history
from pheu.store import Channel, Consent, Event, Lead, StageChange
from tests.conftest import NOW, _truncate_all
from tests.score.builders import small_model
from tests.score.test_bulk import _demo_like

END = NOW - timedelta(hours=1)

# Values a reader could get wrong: blanks, non-ASCII text only, several '@', upper case, unordered lists…
LEADS: list[dict[str, Any]] = [
    {
        "email": "an@Gmail.COM ",
        "phone": "0912345678",
        "company": "An Phú",
        "interests": ["TikTok Shop", "SEO"],
    },
    {"email": "   ", "phone": "\u00a0", "company": "  ", "flags": ["email_fake"], "channel": "seo"},
    {"email": "a@b@doithu.vn", "phone": "ĐĐĐ", "company": "Đ", "flags": ["bought_list", "email_disposable"]},
    {"email": "abc@", "phone": None, "interests": [], "kind": "recruitment", "channel": "facebook_ads"},
    {"email": None, "phone": "+84 90", "flags": ["phone_invalid"], "interests": ["Du lịch"]},
    {"email": "x@doithu.vn", "phone": "", "job_title": "Giám đốc", "company_size": "10-49"},
]
CONSENTS = {
    0: {"email_marketing": True},
    1: {"zalo": True, "email_marketing": False},
    4: {"phone_call": True},
}
# (lead, type, days before END, properties); the last two come after END or are of a type no rule reads.
EVENTS: list[tuple[int, str, float, Any]] = [
    *[(i, "page_view", d, {}) for i in range(6) for d in (40, 20, 20, 3)],
    (0, "webinar_attend", 10, {"minutes": 45}),
    (1, "webinar_attend", 10, {"minutes": "45 phút"}),
    (2, "webinar_attend", 10, {"minutes": 29.5}),
    (3, "webinar_attend", 10, {"minutes": True}),
    (4, "webinar_attend", 10, {"phút": 90}),
    (0, "call", 5, {"outcome": "đã nghe máy", "a.b": "x"}),
    (1, "call", 5, {"outcome": ["Đã nghe máy", "sau"], "a": {"b": "x"}}),
    (2, "call", 5, {"outcome": None}),
    (4, "call", 5, {"outcome": "ĐÃ NGHE MÁY", "duration_s": 300}),
    (5, "pricing_page_view", 2, {"url": "/bang-gia"}),
    (0, "pricing_page_view", -1, {}),
    (2, "form_submit", 1, {}),
]


def _model(**over: Any) -> ScoringModel:
    """A model reading every kind of field and property the readers handle."""
    base = small_model()
    fits = (
        *base.fit_rules,
        FitRule("co-cong-ty", "company", "present", 3, "Có công ty", "Company"),
        FitRule("co-so", "phone", "present", 2, "Có số", "Phone"),
        FitRule("quan-tam", "interests", "one_of", 4, "Quan tâm", "Interests", values=("TikTok Shop",)),
        FitRule("kenh", "channel", "equals", 6, "Kênh", "Channel", value="seo"),
        FitRule("dong-y", "consents", "one_of", 7, "Đồng ý", "Consent", values=("phone_call",)),
        FitRule("email-gmail", "email", "pattern", 1, "Gmail", "Gmail", value="gmail"),
    )
    negative = (
        *base.negative_rules,
        FitRule("doi-thu", "email_domain", "one_of", -50, "Đối thủ", "Competitor", values=("doithu.vn",)),
        FitRule("mua", "flags", "equals", -10, "Mua", "Bought", value="bought_list"),
        FitRule("ung-vien", "kind", "equals", -100, "Ứng viên", "Candidate", value="recruitment"),
    )
    behaviours = (
        *base.behaviour_rules,
        BehaviourRule("cham", "call", 2, "Chấm", "Dot key", when=(PropertyCondition("a.b", "equals", "x"),)),
    )
    model = replace(base, fit_rules=fits, negative_rules=negative, behaviour_rules=behaviours)
    return replace(model, **over)


def _one_condition(cond: Condition) -> ScoringModel:
    """MQL on any score, as soon as ``cond`` holds: ``mql_at`` then tells whether it held."""
    return _model(stages=(StageRule(Stage.MQL, -1000, (cond,)), StageRule(Stage.SQL, 1000)))


MODELS = [
    _model(),
    *(
        _one_condition(c)
        for c in (
            Condition("has_email"),
            Condition("has_phone"),
            Condition("has_email_or_phone"),
            Condition("has_consent", purposes=("email_marketing",)),
            Condition("no_flag", flag="bought_list"),
        )
    ),
]


def _store(url: str) -> list[int]:
    with unit_of_work(url) as s:
        channels = {code: Channel(code=code, name=code, paid=False) for code in ("seo", "facebook_ads")}
        s.add_all(channels.values())
        s.flush()
        ids = []
        for i, fields in enumerate(LEADS):
            values = dict(fields)
            channel = values.pop("channel", None)
            lead = Lead(channel_id=channels[channel].id if channel else None, **values)
            s.add(lead)
            s.flush()
            ids.append(lead.id)
            for purpose, granted in CONSENTS.get(i, {}).items():
                s.add(Consent(lead_id=lead.id, purpose=purpose, granted=granted, at=END))
        for i, kind, days, properties in EVENTS:
            s.add(
                Event(
                    lead_id=ids[i], type=kind, occurred_at=END - timedelta(days=days), properties=properties
                )
            )
        s.add(StageChange(lead_id=ids[5], to_stage="customer", at=END - timedelta(days=4), actor_type="user"))
    return ids


def _from_facts(url: str, ids: list[int]) -> History:
    """The same leads as the per-lead engine sees them, one ORM object at a time."""
    with unit_of_work(url) as s:
        facts = [lead_facts(s.get_one(Lead, i)) for i in ids]
        touches: dict[int, list[EventFact]] = {i: [] for i in ids}
        for e in s.scalars(select(Event).order_by(Event.id)):
            touches[e.lead_id].append(EventFact(e.type, e.occurred_at, e.properties))
    won = [None] * 5 + [END - timedelta(days=4)]
    return History.from_facts(facts, [touches[i] for i in ids], won, END)


def test_the_store_read_replays_exactly_like_the_leads_facts(db_url: str) -> None:
    ids = _store(db_url)
    expected = _from_facts(db_url, ids)
    with unit_of_work(db_url) as s:
        read = read_history(s, MODELS, END)
    assert read.leads.sales.tolist() == expected.leads.sales.tolist() == [True, True, True, False, True, True]
    for got_part, want_part in zip(
        fit_tenths(MODELS[0], read.leads.table), fit_tenths(MODELS[0], expected.leads.table), strict=True
    ):
        assert got_part.tolist() == want_part.tolist()
    got, want = replay_all(MODELS, read), replay_all(MODELS, expected)
    for g, w in zip(got, want, strict=True):
        assert g.customer.tolist() == w.customer.tolist()
        assert g.peak.tolist() == w.peak.tolist()
        assert (g.mql_at.tolist(), g.sql_at.tolist()) == (w.mql_at.tolist(), w.sql_at.tolist())
    has_email = got[1]
    assert [i for i, t in enumerate(has_email.mql_at.tolist()) if t != NEVER] == [0, 2, 5]


def _store_facts(url: str, facts: list[LeadFacts], touches: list[list[EventFact]], won: list[Any]) -> None:
    with unit_of_work(url) as s:
        for lead, events, at in zip(facts, touches, won, strict=True):
            row = Lead(kind=lead.kind.value, flags=sorted(lead.flags), **lead.fields)
            s.add(row)
            s.flush()
            s.add_all(Consent(lead_id=row.id, purpose=p, granted=g, at=END) for p, g in lead.consents.items())
            s.add_all(
                Event(lead_id=row.id, type=e.type, occurred_at=e.occurred_at, properties=e.properties)
                for e in events
            )
            if at is not None:
                s.add(StageChange(lead_id=row.id, to_stage="customer", at=at, actor_type="user"))


def test_postgresql_and_sqlite_give_the_backtest_the_leads_facts_give(
    sqlite_url: str, pg_database: str
) -> None:
    _truncate_all(pg_database)
    facts, touches = _demo_like(300, seed=5)
    rng = random.Random(5)
    won = [NOW - timedelta(days=rng.uniform(0, 150)) if rng.random() < 0.2 else None for _ in facts]
    candidate = replace(
        default_model(),
        version=2,
        stages=tuple(replace(s, min_score=s.min_score - 10) for s in default_model().stages),
    )
    pure = compare(default_model(), candidate, History.from_facts(facts, touches, won, NOW))
    expected: dict[str, Any] = {
        "active": result_json(pure.active),
        "candidate": result_json(pure.candidate),
        "months": list(pure.months),
    }
    for url in (sqlite_url, pg_database):
        _store_facts(url, facts, touches, won)
        report = backtest(url, candidate, NOW).as_json()
        assert {k: report[k] for k in expected} == expected, url
    assert expected["active"]["customers"] > 20 and expected["candidate"]["mqls"] > expected["active"]["mqls"]
