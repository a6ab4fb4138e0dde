"""Search keys make accents optional, the way Vietnamese people type on a phone without a keyboard layout."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pheu.clean.search import fold, phone_search_forms, search_key


def test_fold_removes_tones_and_vowel_marks() -> None:
    assert fold("Nguyễn Văn Anh") == "nguyen van anh"
    assert fold("ĐẶNG THỊ Hương") == "dang thi huong"
    assert fold("  Trần   Quốc  Tuấn ") == "tran quoc tuan"


def test_fold_is_the_same_for_composed_and_decomposed_input() -> None:
    import unicodedata

    name = "Phạm Ngọc Thảo"
    assert fold(unicodedata.normalize("NFD", name)) == fold(name) == "pham ngoc thao"


def test_phone_search_forms_cover_local_and_international() -> None:
    assert phone_search_forms("+84901234567") == "84901234567 0901234567"
    assert phone_search_forms(None) == ""


def test_search_key_joins_fields_and_skips_blanks() -> None:
    key = search_key("Lê Thị Lan", None, "84912345678 0912345678", "Công ty TNHH Ánh Dương")
    assert "le thi lan" in key
    assert "cong ty tnhh anh duong" in key
    assert "0912345678" in key


@given(st.text())
def test_fold_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


@given(
    st.text(
        alphabet=st.one_of(
            st.characters(min_codepoint=0x20, max_codepoint=0x1EFF),
            st.sampled_from(" \t\n\x1c\u00a0\u2003\u3000\u0301\u0323ßİĐđ"),
        )
    )
)
def test_fast_fold_equals_the_unicode_definition(text: str) -> None:
    from pheu.clean.search import _slow_fold

    assert fold(text) == _slow_fold(text)
