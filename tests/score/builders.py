"""Factories and hypothesis strategies for the scoring tests: real leads, events and models, no mocks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from pheu.lifecycle import LeadKind, Stage
from pheu.score.facts import EventFact, LeadFacts
from pheu.score.model import (
    BehaviourRule,
    Condition,
    FitRule,
    PropertyCondition,
    ScoringModel,
    StageRule,
    TemperatureBands,
)

AT = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
TYPES = ("page_view", "email_open", "pricing_page_view", "webinar_attend", "call", "unsubscribe", "bounce")


def lead(
    *,
    kind: LeadKind = LeadKind.SALES,
    flags: frozenset[str] = frozenset(),
    consents: dict[str, bool] | None = None,
    **fields: Any,
) -> LeadFacts:
    base: dict[str, Any] = {"email": "an.nguyen@gmail.com", "job_title": "Giám đốc", "company_size": "10-49"}
    base.update(fields)
    return LeadFacts(base, flags, kind, {"email_marketing": True} if consents is None else consents)


def event(kind: str, days_ago: float, **properties: Any) -> EventFact:
    return EventFact(kind, AT - timedelta(days=days_ago), properties)


def small_model(
    *,
    page_points: float = 2,
    page_cap: float | None = 6,
    page_period: float | None = 10,
    half_life: float | None = 7,
    mql: float = 10,
    sql: float = 30,
) -> ScoringModel:
    """A model small enough to reason about by hand, with a cap that binds quickly."""
    return ScoringModel(
        name="thu",
        version=1,
        description_vi="Mô hình thử",
        description_en="Test model",
        fit_rules=(
            FitRule("giam-doc", "job_title", "pattern", 10, "Giám đốc", "Director", value="giam doc"),
            FitRule("quy-mo", "company_size", "range", 5, "Từ 10 người", "10 people or more", at_least=10),
        ),
        behaviour_rules=(
            BehaviourRule("xem-trang", "page_view", page_points, "Xem trang", "Page view", cap=page_cap,
                          period_days=page_period if page_cap is not None else None, half_life_days=half_life),
            BehaviourRule("mo-email", "email_open", 3, "Mở email", "Email open", half_life_days=14),
            BehaviourRule("bang-gia", "pricing_page_view", 8, "Xem bảng giá", "Pricing page", cap=16,
                          period_days=30),
            BehaviourRule("webinar-lau", "webinar_attend", 5, "Webinar ≥ 30 phút", "Webinar ≥ 30 min",
                          when=(PropertyCondition("minutes", "at_least", "30"),), half_life_days=30),
            BehaviourRule("nghe-may", "call", 4, "Nghe máy", "Answered", cap=8, period_days=7,
                          when=(PropertyCondition("outcome", "equals", "Đã nghe máy"),), half_life_days=10),
        ),
        negative_rules=(
            BehaviourRule("huy", "unsubscribe", -20, "Hủy đăng ký", "Unsubscribed", cap=20),
            BehaviourRule("tra-ve", "bounce", -5, "Email bị trả về", "Bounced", cap=10, period_days=30),
            FitRule("dung-mot-lan", "flags", "equals", -15, "Email dùng một lần", "Disposable", value="email_disposable"),
        ),
        stages=(
            StageRule(Stage.MQL, mql, (Condition("has_email_or_phone"), Condition("has_consent", purposes=("email_marketing",)))),
            StageRule(Stage.SQL, sql, (Condition("has_event", event_types=("pricing_page_view", "call"), within_days=30),)),
        ),
        temperature=TemperatureBands(warm_at=10, hot_at=30),
    )  # fmt: skip


def _properties(kind: str) -> st.SearchStrategy[dict[str, Any]]:
    if kind == "webinar_attend":
        return st.fixed_dictionaries({"minutes": st.integers(0, 120)})
    if kind == "call":
        return st.fixed_dictionaries({"outcome": st.sampled_from(["Đã nghe máy", "Không nghe máy"])})
    return st.just({})


@st.composite
def events(draw: st.DrawFn, max_size: int = 40, span_days: int = 120) -> list[EventFact]:
    """Events up to ``span_days`` before ``AT`` (some after it too, which scoring must ignore), often at
    the same second or in bursts, to stress caps and ties."""
    out: list[EventFact] = []
    for _ in range(draw(st.integers(0, max_size))):
        kind = draw(st.sampled_from(TYPES))
        seconds_ago = draw(
            st.one_of(st.integers(-3 * 86400, span_days * 86400), st.sampled_from([0, 60, 86400]))
        )
        out.append(EventFact(kind, AT - timedelta(seconds=seconds_ago), draw(_properties(kind))))
    return out


@st.composite
def leads(draw: st.DrawFn) -> LeadFacts:
    return LeadFacts(
        {
            "email": draw(st.sampled_from([None, "an@gmail.com", "b@doithu.vn"])),
            "phone": draw(st.sampled_from([None, "+84901234567"])),
            "job_title": draw(st.sampled_from([None, "Giám đốc", "giam doc kinh doanh", "Sinh viên", ""])),
            "company_size": draw(st.sampled_from([None, "1-9", "10-49", "500+"])),
        },
        frozenset(draw(st.sets(st.sampled_from(["email_disposable", "bought_list"])))),
        draw(st.sampled_from([LeadKind.SALES, LeadKind.SALES, LeadKind.RECRUITMENT])),
        {"email_marketing": draw(st.booleans())},
    )


@st.composite
def models(draw: st.DrawFn) -> ScoringModel:
    """The small model with its page-view rule's points, cap, period and half-life drawn."""
    points = draw(st.sampled_from([0.5, 1, 2, 3.3]))
    slots = draw(st.integers(1, 5))
    capped = draw(st.booleans())
    return small_model(
        page_points=points,
        page_cap=points * slots + draw(st.sampled_from([0, 0.4])) * points if capped else None,
        page_period=draw(st.sampled_from([None, 0.5, 1, 7, 30])) if capped else None,
        half_life=draw(st.sampled_from([None, 0.25, 1, 7, 45])),
    )
