from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pheu.lifecycle import LeadKind
from pheu.score.benchmark import synthetic
from pheu.score.bulk import EventBatch, LeadTable, fields_read, rescore
from pheu.score.defaults import default_model
from pheu.score.engine import score
from pheu.score.facts import EventFact, LeadFacts
from pheu.score.model import ScoringModel
from tests.score.builders import AT, event, events, lead, leads, models, small_model


def _both(
    model: ScoringModel, facts: Sequence[LeadFacts], history: Sequence[Sequence[EventFact]], at: datetime = AT
) -> tuple[list[tuple[float, float, float, float]], list[tuple[float, float, float, float]]]:
    table = LeadTable.from_facts(facts, fields_read(model))
    bulk = rescore(model, table, EventBatch.from_facts(history), at)
    one_by_one = [score(model, f, h, at) for f, h in zip(facts, history, strict=True)]
    return (
        [(r.fit, r.behaviour, r.negative, r.total) for r in one_by_one],
        list(
            zip(
                bulk.fit.tolist(),
                bulk.behaviour.tolist(),
                bulk.negative.tolist(),
                bulk.total.tolist(),
                strict=True,
            )
        ),
    )


@given(st.lists(st.tuples(leads(), events()), max_size=12), models(), st.integers(-5, 60))
@settings(max_examples=60, deadline=None)
def test_bulk_rescoring_equals_scoring_one_lead_at_a_time(
    pairs: list[tuple[LeadFacts, list[EventFact]]], model: ScoringModel, days_back: int
) -> None:
    expected, got = _both(model, [p[0] for p in pairs], [p[1] for p in pairs], AT - timedelta(days=days_back))
    assert got == expected


def _demo_like(n: int, seed: int) -> tuple[list[LeadFacts], list[list[EventFact]]]:
    rng = random.Random(seed)
    kinds = ["page_view", "form_submit", "email_open", "email_click", "download", "coupon_redeem", "webinar_attend",
             "event_attend", "reply", "call", "meeting", "pricing_page_view", "unsubscribe", "bounce"]  # fmt: skip
    facts, history = [], []
    for _ in range(n):
        facts.append(
            LeadFacts(
                {
                    "job_title": rng.choice(
                        ["Giám đốc", "Trưởng phòng Kinh doanh", "Chủ shop online", "Sinh viên", None]
                    ),
                    "company_size": rng.choice(["1-9", "10-49", "50-199", "500+", None]),
                    "industry": rng.choice(["Bán lẻ", "F&B", "Tài chính", None]),
                    "province": rng.choice(["Hà Nội", "TP. Hồ Chí Minh", "Huế"]),
                    "company": rng.choice(["Công ty TNHH An Phú", None]),
                    "phone": rng.choice(["+84901234567", None]),
                    "email": rng.choice(["an@gmail.com", "x@doithu.vn", None]),
                    "interests": rng.choice([[], ["TikTok Shop", "SEO"], ["Du lịch"]]),
                },
                frozenset(rng.sample(["email_disposable", "bought_list", "email_fake"], rng.randint(0, 2))),
                LeadKind.RECRUITMENT if rng.random() < 0.05 else LeadKind.SALES,
                {"email_marketing": rng.random() < 0.8},
            )
        )
        touches = []
        for _ in range(rng.randint(0, 40)):
            kind = rng.choice(kinds)
            props = {"minutes": rng.randint(5, 90), "outcome": rng.choice(["Đã nghe máy", "Máy bận"])}
            touches.append(EventFact(kind, AT - timedelta(seconds=rng.randint(-86_400, 200 * 86_400)), props))
        history.append(touches)
    return facts, history


def test_bulk_equals_per_lead_on_two_thousand_demo_like_leads() -> None:
    facts, history = _demo_like(2_000, seed=7)
    expected, got = _both(default_model(), facts, history)
    assert got == expected


def test_a_crowded_lead_is_capped_the_same_way_in_bulk() -> None:
    model = small_model(page_points=1, page_cap=3, page_period=1, half_life=2)
    rng = random.Random(3)
    burst = [event("page_view", rng.uniform(0, 20)) for _ in range(600)]
    facts = [lead(), lead(job_title=None)]
    expected, got = _both(model, facts, [burst, burst[:5]])
    assert got == expected
    assert expected[0][1] <= 3 * 21  # at most 3 points a day over 20 days, before decay


def test_events_need_not_arrive_sorted() -> None:
    facts, history = _demo_like(50, seed=2)
    batch = EventBatch.from_facts(history)
    order = np.random.default_rng(0).permutation(len(batch.time))
    shuffled = EventBatch(batch.lead[order], batch.type_code[order], batch.time[order], batch.types,
                          [batch.properties[i] for i in order.tolist()] if batch.properties else None)  # fmt: skip
    table = LeadTable.from_facts(facts, fields_read(default_model()))
    assert np.array_equal(
        rescore(default_model(), table, shuffled, AT).total, rescore(default_model(), table, batch, AT).total
    )


def test_a_rule_reading_properties_without_them_is_refused_by_name() -> None:
    facts, history = _demo_like(3, seed=1)
    batch = EventBatch.from_facts(history)
    bare = EventBatch(batch.lead, batch.type_code, batch.time, batch.types)
    with pytest.raises(ValueError, match="du-webinar-lau"):
        rescore(default_model(), LeadTable.from_facts(facts, []), bare, AT)


def test_the_synthetic_benchmark_data_rescores() -> None:
    model = default_model()
    table, batch, masks = synthetic(model, 1_000, 10_000, seed=1)
    result = rescore(model, table, batch, AT, masks)
    assert result.total.shape == (1_000,)
    assert np.array_equal(result.total, (result.fit + result.behaviour + result.negative).round(1))
