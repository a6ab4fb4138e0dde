"""Questions as platforms name them and as Vietnamese advertisers label them, sorted into lead fields."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pheu.capture.ads.answers import FIELD_FOR_QUESTION, NAME_PARTS, field_for, fold_question, sort_answers
from pheu.capture.ads.signing import escape_non_ascii
from pheu.capture.record import LEAD_FIELDS


@pytest.mark.parametrize(
    ("question", "folded"),
    [
        ("Tỉnh/Thành phố", "tinh_thanh_pho"),
        ("số_điện_thoại", "so_dien_thoai"),
        ("Số điện thoại:", "so_dien_thoai"),
        ("ĐỊA CHỈ EMAIL", "dia_chi_email"),
        ("full_name", "full_name"),
    ],
)
def test_a_question_is_folded_without_tones_case_or_punctuation(question: str, folded: str) -> None:
    assert fold_question(question) == folded


@pytest.mark.parametrize(
    ("question", "field"),
    [
        ("phone_number", "phone"),
        ("số_điện_thoại", "phone"),
        ("SĐT", "phone"),
        ("Họ và tên", "full_name"),
        ("tỉnh/thành_phố", "province"),
        ("state", "province"),
        ("Tên công ty", "company"),
        ("Chức vụ", "job_title"),
        ("Giới tính", "gender"),
        ("first_name", "first_name"),
        ("date_of_birth", None),
        ("zip", None),
        ("Bạn quan tâm khóa học nào?", None),
    ],
)
def test_standard_and_vietnamese_questions_fill_lead_fields(question: str, field: str | None) -> None:
    assert field_for(question) == field


def test_every_recognised_question_fills_a_field_intake_knows() -> None:
    assert set(FIELD_FOR_QUESTION.values()) - NAME_PARTS <= LEAD_FIELDS


def test_the_first_question_for_a_field_wins_and_the_rest_are_kept() -> None:
    sorted_answers = sort_answers([("email", "lan@gmail.com"), ("work_email", "lan@congty.vn")])
    assert sorted_answers.fields == {"email": "lan@gmail.com"}
    assert sorted_answers.answers == {"work_email": "lan@congty.vn"}


def test_name_parts_are_kept_as_answers_when_a_full_name_was_also_asked() -> None:
    sorted_answers = sort_answers([("first_name", "Lan"), ("full_name", "Nguyễn Thị Lan")])
    assert sorted_answers.fields == {"full_name": "Nguyễn Thị Lan"}
    assert sorted_answers.answers == {"first_name": "Lan"}


def test_a_blank_answer_is_not_an_answer() -> None:
    assert sort_answers([("email", "  "), ("Ghi chú", "")]).answers == {}


_questions = st.text(min_size=1, max_size=20)
_values = st.text(max_size=20)


@given(st.lists(st.tuples(_questions, _values), max_size=12))
def test_nothing_a_person_typed_is_lost(pairs: list[tuple[str, str]]) -> None:
    sorted_answers = sort_answers(pairs)
    kept = " ".join([*sorted_answers.fields.values(), *sorted_answers.answers.values()])
    for _, value in pairs:
        assert value.strip() in kept


@given(st.dictionaries(st.text(max_size=8), st.text(max_size=30), max_size=5))
def test_the_escaped_rendering_of_a_body_is_the_same_json(document: dict[str, str]) -> None:
    body = json.dumps(document, ensure_ascii=False).encode("utf-8")
    escaped = escape_non_ascii(body)
    if escaped is None:
        assert body.isascii()
    else:
        assert escaped.isascii()
        assert json.loads(escaped) == document
