from __future__ import annotations

import math
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pheu.lifecycle import LeadKind, Stage
from pheu.score.backtest import backtest, compare, per_month, roc_auc, top_decile_lift
from pheu.score.defaults import default_model
from pheu.score.engine import score
from pheu.score.facts import EventFact, LeadFacts, from_seconds, seconds
from pheu.score.replay import NEVER, History, replay
from pheu.score.stages import gaps
from tests.score.builders import AT, event, lead, small_model
from tests.score.test_bulk import _demo_like


def test_roc_auc_on_known_examples() -> None:
    assert roc_auc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1]) == 1.0
    assert roc_auc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1]) == 0.0
    assert roc_auc([5, 5, 5, 5], [0, 1, 0, 1]) == 0.5
    assert roc_auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == 0.75  # the classic textbook example
    assert math.isnan(roc_auc([1, 2], [1, 1]))


@settings(deadline=None)  # a loaded machine is no reason to fail a property
@given(st.lists(st.tuples(st.integers(0, 5), st.booleans()), min_size=2, max_size=40))
def test_roc_auc_is_the_share_of_positive_negative_pairs_ranked_right(pairs: list[tuple[int, bool]]) -> None:
    positives = [s for s, y in pairs if y]
    negatives = [s for s, y in pairs if not y]
    auc = roc_auc([s for s, _ in pairs], [y for _, y in pairs])
    if not positives or not negatives:
        assert math.isnan(auc)
        return
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in positives for n in negatives)
    assert auc == pytest.approx(wins / (len(positives) * len(negatives)))


def test_top_decile_lift_on_known_examples() -> None:
    scores = list(range(20, 0, -1))
    labels = [1, 1] + [0] * 18
    assert top_decile_lift(scores, labels) == pytest.approx(10.0)  # both customers in the top 2 of 20
    assert top_decile_lift([7] * 20, labels) == pytest.approx(1.0)  # all tied: the top tenth is the average
    assert top_decile_lift(scores, [0] * 18 + [1, 1]) == 0.0
    assert math.isnan(top_decile_lift(scores, [0] * 20))


def test_a_tie_across_the_cut_is_shared_whatever_the_input_order() -> None:
    scores = [9, 5, 5, 5, 5, 1, 1, 1, 1, 1]
    labels = [0, 1, 0, 0, 0, 0, 0, 0, 0, 1]
    # Top 3 = the 9 plus two of the four tied 5s, one of which is a customer: 0.5 expected customers.
    expected = pytest.approx((0.5 / 3) / 0.2)
    assert top_decile_lift(scores, labels, 0.3) == expected
    assert top_decile_lift(scores[::-1], labels[::-1], 0.3) == expected


def test_months_are_counted_in_vietnam_time() -> None:
    end_of_january_utc = seconds(datetime(2026, 1, 31, 18, 0, tzinfo=UTC))  # already 1 February in Hà Nội
    assert per_month([end_of_january_utc, end_of_january_utc - 86_400]) == {"2026-01": 1, "2026-02": 1}


def _history(n: int, seed: int) -> tuple[list[LeadFacts], History]:
    facts, events = _demo_like(n, seed)
    rng = random.Random(seed)
    won = [AT - timedelta(days=rng.uniform(0, 150)) if rng.random() < 0.2 else None for _ in facts]
    return facts, History.from_facts(facts, events, won, AT)


@settings(max_examples=5, deadline=None)
@given(st.integers(0, 10_000))
def test_a_replay_scores_each_lead_with_only_the_events_it_had_at_the_time(seed: int) -> None:
    model = default_model()
    leads, history = _history(60, seed)
    result = replay(model, history)
    mql_rule, sql_rule = model.stage_rule(Stage.MQL), model.stage_rule(Stage.SQL)
    assert mql_rule is not None and sql_rule is not None
    for i, facts in enumerate(leads):
        assert result.included[i] == (facts.kind is LeadKind.SALES)
        if not result.included[i]:
            continue
        won = history.customer_at[i]
        cut = seconds(AT) if won is None else seconds(won) - 1
        had = [e for e in _events_of(history, i) if seconds(e.occurred_at) <= cut]
        empty = score(model, facts, [], AT)
        peak, mql_at, sql_at = empty.fit + empty.negative, NEVER, NEVER
        for t in sorted({seconds(e.occurred_at) for e in had}):
            then = score(model, facts, had, from_seconds(t))
            peak = max(peak, then.total)
            sql_ok = not gaps(sql_rule, facts, then)
            if sql_ok and sql_at == NEVER:
                sql_at = t
            if (sql_ok or not gaps(mql_rule, facts, then)) and mql_at == NEVER:
                mql_at = t
        assert result.peak[i] == pytest.approx(peak, abs=0.11)
        assert (result.mql_at[i], result.sql_at[i]) == (mql_at, sql_at)


def _events_of(history: History, i: int) -> list[EventFact]:
    batch = history.events
    props = batch.properties or []
    return [
        EventFact(batch.types[batch.type_code[j]], from_seconds(int(batch.time[j])), props[j])
        for j in np.flatnonzero(batch.lead == i).tolist()
    ]


def test_what_a_customer_did_after_buying_does_not_count() -> None:
    model = small_model()
    buyer = lead()
    after_the_sale = [event("email_open", 30), event("pricing_page_view", 5), event("pricing_page_view", 4)]
    history = History.from_facts([buyer], [after_the_sale], [AT - timedelta(days=10)], AT)
    result = replay(model, history)
    assert result.mql_at[0] == seconds(AT - timedelta(days=30))
    assert result.sql_at[0] == NEVER
    assert result.peak[0] == 18.0  # fit 15 + the open's 3, never the pricing views


def test_comparing_two_models_side_by_side() -> None:
    active = default_model()
    candidate = replace(
        active, version=2, stages=tuple(replace(s, min_score=s.min_score - 15) for s in active.stages)
    )
    leads, history = _history(400, seed=11)
    result = compare(active, candidate, history)
    assert (result.active.model, result.candidate.model) == ("mac-dinh v1", "mac-dinh v2")
    assert result.candidate.mqls >= result.active.mqls and result.candidate.sqls >= result.active.sqls
    assert result.active.roc_auc == result.candidate.roc_auc  # same scores, only the thresholds moved
    assert sum(result.active.mql_per_month.values()) == result.active.mqls
    assert set(result.months) >= set(result.candidate.sql_per_month)
    assert result.active.mql_to_sql == pytest.approx(result.active.sqls / result.active.mqls)
    assert result.active.leads == sum(1 for f in leads if f.kind is LeadKind.SALES)


def test_a_history_without_customers_gives_undefined_rates_not_errors() -> None:
    history = History.from_facts([lead()], [[event("email_open", 1)]], [None], AT)
    result = backtest(small_model(), history)
    assert math.isnan(result.roc_auc) and math.isnan(result.top_decile_lift)
    assert result.mqls == 1 and result.sqls == 0 and math.isnan(result.sql_to_customer)
