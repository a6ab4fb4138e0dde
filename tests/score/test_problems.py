"""A model's problems in both languages: a code and its params from the pure checks, texts picked by locale."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from pheu.lifecycle import Stage
from pheu.score import ModelError, default_model, from_yaml, to_yaml
from pheu.score.model import BehaviourRule, StageRule
from pheu.score.problems import TEXTS, Problem, problem

SOURCES = [Path("src/pheu/score/model.py"), Path("src/pheu/score/model_yaml.py")]


def _refused(text: str) -> tuple[Problem, ...]:
    with pytest.raises(ModelError) as refused:
        from_yaml(text)
    return refused.value.problems


def test_an_unknown_setting_reads_in_vietnamese_and_english() -> None:
    refused = _refused(to_yaml(default_model()).replace("points: 15", "pionts: 15", 1))
    assert [p.code for p in refused] == ["unknown_setting", "number_needed"]
    found = refused[0]
    assert (found.where, found.field, found.code) == (
        "fit rule 'nguoi-quyet-dinh'",
        "pionts",
        "unknown_setting",
    )
    assert found.line("en").startswith("fit rule 'nguoi-quyet-dinh', pionts: unknown setting. Accepted: ")
    assert found.line("vi").startswith(
        "quy tắc phù hợp 'nguoi-quyet-dinh', pionts: thiết lập không có trong mô hình. Chấp nhận: "
    )
    assert "label_en" in found.accepted_in("vi") and str(found) == found.line("en")


def test_a_cap_below_the_points_quotes_the_points_in_both_languages() -> None:
    rule = default_model().behaviour_rules[0]
    with pytest.raises(ModelError) as refused:
        BehaviourRule(rule.id, rule.event_type, 4, rule.label_vi, rule.label_en, cap=3)
    (found,) = refused.value.problems
    assert found.code == "cap_below_points" and dict(found.params) == {"points": "4"}
    assert found.line("en") == (
        f"behaviour rule '{rule.id}', cap: the cap must be at least the points of one event. "
        "Accepted: a number ≥ 4."
    )
    assert found.line("vi") == (
        f"quy tắc hành vi '{rule.id}', cap: mức trần phải ít nhất bằng điểm của một sự kiện. "
        "Chấp nhận: một số ≥ 4."
    )


def test_bad_yaml_keeps_the_parser_detail_with_its_line_in_both_languages() -> None:
    (found,) = _refused("name: x\nversion: [1\n")
    assert found.code == "bad_yaml" and "line 2" in found.line("vi") and "line 2" in found.line("en")
    assert found.line("vi").startswith("yaml, text: tệp không phải YAML hợp lệ")


def test_every_problem_of_a_badly_edited_model_has_both_texts() -> None:
    text = (
        to_yaml(default_model())
        .replace("points: 15", "points: -15", 1)
        .replace("hot_at: 70", "hot_at: 30")
        .replace("version: 1", "version: 1.5")
    )
    found = _refused(text)
    assert {p.code for p in found} == {"not_whole"}  # reading stops before the cross-rule checks
    model = default_model()
    base = replace(model.temperature, hot_at=model.temperature.warm_at)
    with pytest.raises(ModelError) as refused:
        replace(model, name=" ", temperature=base)
    codes = {p.code: p for p in refused.value.problems}
    assert set(codes) == {"name_needed", "hot_not_above_warm"}
    assert (
        codes["name_needed"].line("vi") == "mô hình, name: mô hình cần có tên. Chấp nhận: một đoạn chữ ngắn."
    )
    for p in (*found, *refused.value.problems):
        assert p.message_in("vi") != p.message_in("en")


def test_every_code_the_checks_use_has_four_texts_that_format_with_its_params() -> None:
    used: set[str] = set()
    for source in SOURCES:
        text = source.read_text(encoding="utf-8")
        arg = r'(?:[^,()"]|"[^"]*"|\([^()]*\))+'
        used |= set(re.findall(rf'(?<![.\w])problem\(\s*{arg},\s*{arg},\s*"([a-z_]+)"', text))
        used |= set(re.findall(rf'\.problem\(\s*{arg},\s*"([a-z_]+)"', text))
    assert used == set(TEXTS), used ^ set(TEXTS)  # every check has its texts, every text a check
    for code, texts in TEXTS.items():
        names = set(re.findall(r"\{(\w+)\}", " ".join(texts)))
        shown = problem("model", "x", code, **dict.fromkeys(names, "Q"))
        for lang in ("vi", "en"):
            assert shown.message_in(lang) and shown.accepted_in(lang) and "{" not in shown.line(lang)
        assert set(re.findall(r"\{(\w+)\}", texts[0])) == set(re.findall(r"\{(\w+)\}", texts[1]))


def test_an_unknown_code_is_refused_where_it_is_made() -> None:
    with pytest.raises(KeyError):
        problem("model", "name", "no_such_code")


def test_places_read_in_vietnamese_and_yaml_paths_stay_as_written() -> None:
    p = problem("stages.mql, conditions[0]", "kind", "unknown_condition", value="x", choices="a")
    assert p.where_in("vi") == "stages.mql, conditions[0]"
    assert problem("negative rule 'huy'", "points", "negative_rule_positive").where_in("vi") == (
        "quy tắc trừ điểm 'huy'"
    )
    assert problem("rule 'a'", "id", "duplicate_id").where_in("vi") == "quy tắc 'a'"
    assert problem("condition 'has_event'", "event_types", "event_types_needed").where_in("vi") == (
        "điều kiện 'has_event'"
    )
    assert problem("model", "version", "bad_version", value=0).as_json() == {
        "where": "model",
        "field": "version",
        "code": "bad_version",
        "params": {"value": "0"},
        "vi": "mô hình, version: không dùng được phiên bản 0. Chấp nhận: từ 1 trở lên.",
        "en": "model, version: version 0 is not allowed. Accepted: 1 or more.",
    }


def test_no_model_can_move_a_lead_to_opportunity_which_is_sales_work_behind_the_bant_gate() -> None:
    text = to_yaml(default_model()).replace(
        "stages:\n  mql:", "stages:\n  opportunity:\n    min_score: 0\n  mql:"
    )
    (found,) = _refused(text)
    assert (found.where, found.field, found.code) == ("stages", "opportunity", "unknown_setting")
    model = default_model()
    with pytest.raises(ModelError) as refused:
        replace(model, stages=(*model.stages, StageRule(Stage.OPPORTUNITY, 0)))
    assert {p.code for p in refused.value.problems} == {"stage_not_allowed"}
    assert (
        refused.value.problems[0].line("vi").startswith("stages.opportunity, stage: mô hình chỉ chuyển lead")
    )
