from __future__ import annotations

import pytest
from hypothesis import given, settings

from pheu.score.defaults import default_model
from pheu.score.engine import score
from pheu.score.model import BehaviourRule, FitRule, ModelError, ScoringModel
from pheu.score.model_yaml import from_dict, from_yaml, to_dict, to_yaml
from tests.score.builders import AT, event, lead, models, small_model


def _problems(text: str) -> list[tuple[str, str]]:
    with pytest.raises(ModelError) as caught:
        from_yaml(text)
    return [(p.where, p.field) for p in caught.value.problems]


def test_the_default_model_round_trips_through_yaml() -> None:
    model = default_model()
    text = to_yaml(model)
    assert from_yaml(text) == model
    assert "Người quyết định" in text  # Vietnamese stays readable, not \u-escaped


@settings(deadline=None)  # a loaded machine is no reason to fail a property
@given(models())
def test_any_model_round_trips_through_yaml(model: ScoringModel) -> None:
    assert from_yaml(to_yaml(model)) == model


def test_the_default_model_speaks_vietnamese_and_english_and_uses_the_demo_events() -> None:
    model = default_model()
    assert all(rule.label_vi and rule.label_en for rule in model.all_rules())
    demo_types = {"page_view", "form_submit", "email_open", "email_click", "download", "coupon_redeem",
                  "webinar_attend", "event_attend", "reply", "call", "meeting", "pricing_page_view",
                  "unsubscribe", "bounce"}  # fmt: skip
    used = {r.event_type for r in model.all_rules() if isinstance(r, BehaviourRule)}
    assert demo_types <= used


def test_the_default_model_rewards_a_director_of_a_retail_sme_who_engages() -> None:
    model = default_model()
    buyer = lead(job_title="Giám đốc", company_size="10-49", industry="Bán lẻ", province="Hà Nội",
                 company="Công ty TNHH Minh Phát", phone="+84901234567")  # fmt: skip
    student = lead(job_title="Sinh viên", company_size=None)
    touches = [event("form_submit", 3), event("pricing_page_view", 1), event("reply", 0)]
    assert score(model, buyer, touches, AT).total > score(model, student, touches, AT).total + 40


def test_an_unknown_field_names_the_rule_and_lists_what_is_accepted() -> None:
    with pytest.raises(ModelError) as caught:
        FitRule("tuoi", "agee", "equals", 5, "Tuổi", "Age", value="25-34")
    problem = caught.value.problems[0]
    assert (problem.where, problem.field) == ("fit rule 'tuoi'", "field")
    assert "age_range" in problem.accepted


def test_every_problem_in_a_file_is_reported_at_once() -> None:
    text = """
name: thu
version: 1
fit_rules:
  - {id: a, field: job_title, op: pattern, value: "(unclosed", points: 5, label_vi: A, label_en: A}
  - {id: b, field: job_title, op: near, value: x, points: 5, label_vi: B, label_en: B}
behaviour_rules:
  - {id: c, event_type: page_view, points: 2, cap: 1, period_days: 30, label_vi: C, label_en: C}
  - {id: d, event_type: page_view, pionts: 2, label_vi: D, label_en: D}
negative_rules:
  - {id: e, event_type: unsubscribe, points: 10, label_vi: E, label_en: E}
stages:
  mql: {min_score: 10, conditions: [{kind: has_consent}]}
  sql: {min_score: 20}
temperature: {warm_at: 30, hot_at: 20}
"""
    found = _problems(text)
    assert ("fit rule 'a'", "value") in found  # the pattern does not compile
    assert ("fit rule 'b'", "op") in found
    assert ("behaviour rule 'c'", "cap") in found  # a cap below one event's points
    assert ("behaviour rule 'd'", "pionts") in found  # unknown setting, with the accepted ones listed
    assert ("stages.mql, conditions[0]", "purposes") in found


def test_model_level_mistakes_are_named() -> None:
    text = to_yaml(small_model())
    bad_sign = text.replace("points: -20", "points: 20")
    assert ("negative rule 'huy'", "points") in _problems(bad_sign)
    fading_penalty = text.replace("  points: -20\n", "  points: -20\n  half_life_days: 30\n")
    assert ("negative rule 'huy'", "half_life_days") in _problems(fading_penalty)
    twice = text.replace("id: mo-email", "id: xem-trang")
    assert ("rule 'xem-trang'", "id") in _problems(twice)
    assert ("temperature", "hot_at") in _problems(text.replace("hot_at: 30", "hot_at: 5"))


def test_broken_yaml_and_missing_sections_say_so() -> None:
    assert _problems("name: [unclosed") == [("yaml", "text")]
    found = _problems("name: thu\nversion: 1\ntemperature: {warm_at: 1, hot_at: 2}\n")
    assert ("stages", "mql") in found and ("stages", "sql") in found


def test_a_problem_reads_as_a_sentence_a_person_can_act_on() -> None:
    with pytest.raises(ModelError) as caught:
        BehaviourRule("xem-trang", "page_view", 2, "Xem trang", "Page view", cap=1, period_days=30)
    assert str(caught.value) == (
        "behaviour rule 'xem-trang', cap: the cap must be at least the points of one event. Accepted: a number ≥ 2."
    )


def test_a_model_read_from_plain_data_equals_the_one_written() -> None:
    assert from_dict(to_dict(small_model())) == small_model()
