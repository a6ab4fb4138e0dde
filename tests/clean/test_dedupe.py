"""Same person or not: exact keys, the merge policy, and look-alikes a person should confirm."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pheu.clean.dedupe import PersonKey, company_key, exact_keys, likely_duplicates, merge_fields

EARLIER = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
LATER = EARLIER + timedelta(days=30)


# --- exact keys -----------------------------------------------------------------------------------------


def test_exact_keys_are_the_normalised_email_and_e164_phone() -> None:
    assert exact_keys(" An.Nguyen@Gmail.COM", "090 123 4567") == {
        "email:an.nguyen@gmail.com",
        "phone:+84901234567",
    }


def test_the_same_person_typed_differently_has_the_same_keys() -> None:
    assert exact_keys("AN@gmail.com", "+84 90 123 4567") == exact_keys("an@gmail.com", "0901234567")
    assert exact_keys(None, "01627123458") == exact_keys(None, "0327123458")


@pytest.mark.parametrize(
    ("email", "phone"),
    [
        ("info@congty.vn", "(028) 3823 4567"),
        ("test@test.com", "0000000000"),
        ("an@mailinator.com", "1900 545454"),
        ("an@gmial.com", "12"),
        (None, None),
    ],
)
def test_shared_fake_or_broken_contacts_give_no_key(email: str | None, phone: str | None) -> None:
    assert exact_keys(email, phone) == set()


# --- merge policy ---------------------------------------------------------------------------------------


def test_merge_fills_blanks_and_never_blanks_a_field() -> None:
    existing = {"full_name": "Lê Lan", "job_title": None, "company": "Cty ABC", "city": ""}
    incoming = {"full_name": None, "job_title": "Kế toán", "company": "  ", "city": "Huế"}
    result = merge_fields(existing, incoming, LATER, EARLIER)
    assert result.values == {
        "full_name": "Lê Lan",
        "job_title": "Kế toán",
        "company": "Cty ABC",
        "city": "Huế",
    }
    assert result.changed == {"job_title": (None, "Kế toán"), "city": ("", "Huế")}


def test_merge_keeps_the_newest_value() -> None:
    existing = {"job_title": "Nhân viên"}
    assert (
        merge_fields(existing, {"job_title": "Trưởng phòng"}, EARLIER, LATER).values["job_title"]
        == "Trưởng phòng"
    )
    assert (
        merge_fields(existing, {"job_title": "Trưởng phòng"}, LATER, EARLIER).values["job_title"]
        == "Nhân viên"
    )


def test_merge_unites_interests_keeping_their_order() -> None:
    result = merge_fields(
        {"interests": ["crm", "email"]}, {"interests": ["seo", "crm", "ads"]}, LATER, EARLIER
    )
    assert result.values["interests"] == ["crm", "email", "seo", "ads"]
    assert result.changed == {"interests": (["crm", "email"], ["crm", "email", "seo", "ads"])}


def test_merge_adds_fields_the_existing_record_did_not_have() -> None:
    result = merge_fields({"full_name": "Lê Lan"}, {"province": "Đà Nẵng"}, EARLIER, LATER)
    assert result.values == {"full_name": "Lê Lan", "province": "Đà Nẵng"}
    assert result.changed == {"province": (None, "Đà Nẵng")}


FIELDS = st.sampled_from(["full_name", "job_title", "company", "city", "score", "interests"])
SCALARS = st.one_of(st.none(), st.just(""), st.just("  "), st.text(min_size=1, max_size=8), st.integers(0, 9))
LISTS = st.lists(st.sampled_from(["crm", "seo", "ads", "email", "zalo"]), max_size=4)
RECORDS = st.dictionaries(FIELDS, st.one_of(SCALARS, LISTS), max_size=6)
TIMES = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC))


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


@given(RECORDS, RECORDS, TIMES, TIMES)
def test_merging_never_blanks_a_field_that_had_a_value(
    existing: dict[str, Any], incoming: dict[str, Any], existing_at: datetime, incoming_at: datetime
) -> None:
    values = merge_fields(existing, incoming, existing_at, incoming_at).values
    for field, value in existing.items():
        if not _blank(value):
            assert not _blank(values[field])


@given(RECORDS, RECORDS, TIMES, TIMES)
def test_merging_the_same_incoming_twice_changes_nothing_the_second_time(
    existing: dict[str, Any], incoming: dict[str, Any], existing_at: datetime, incoming_at: datetime
) -> None:
    once = merge_fields(existing, incoming, existing_at, incoming_at)
    for then in (existing_at, max(existing_at, incoming_at)):
        twice = merge_fields(once.values, incoming, then, incoming_at)
        assert twice.changed == {}
        assert twice.values == once.values


@given(RECORDS, RECORDS, TIMES, TIMES)
def test_the_newest_non_empty_value_wins(
    existing: dict[str, Any], incoming: dict[str, Any], existing_at: datetime, incoming_at: datetime
) -> None:
    values = merge_fields(existing, incoming, existing_at, incoming_at).values
    for field, new in incoming.items():
        old = existing.get(field)
        if _blank(new) or isinstance(new, list) or _blank(old) or isinstance(old, list):
            continue
        assert values[field] == (new if incoming_at > existing_at else old)


@given(RECORDS, RECORDS, TIMES, TIMES)
def test_the_changes_are_enough_to_undo_the_merge(
    existing: dict[str, Any], incoming: dict[str, Any], existing_at: datetime, incoming_at: datetime
) -> None:
    result = merge_fields(existing, incoming, existing_at, incoming_at)
    undone = dict(result.values)
    for field, (old, new) in result.changed.items():
        assert undone[field] == new
        if field in existing:
            undone[field] = old
        else:
            del undone[field]
    assert undone == existing


@given(RECORDS, RECORDS, TIMES, TIMES)
def test_united_lists_keep_every_item_and_the_existing_order(
    existing: dict[str, Any], incoming: dict[str, Any], existing_at: datetime, incoming_at: datetime
) -> None:
    values = merge_fields(existing, incoming, existing_at, incoming_at).values
    for field, new in incoming.items():
        old = existing.get(field)
        if isinstance(old, list) and old and isinstance(new, list):
            assert values[field][: len(old)] == old
            assert set(values[field]) == set(old) | set(new)


# --- likely duplicates ----------------------------------------------------------------------------------


def _pairs(*people: PersonKey) -> set[tuple[int, int]]:
    return {(p.a_id, p.b_id) for p in likely_duplicates(people)}


def test_the_same_person_typed_without_tones_at_the_same_company_is_found() -> None:
    (pair,) = likely_duplicates(
        [
            PersonKey(1, "Nguyễn Văn Anh", "Cty ABC", "anh.nguyen@gmail.com", "+84901234567"),
            PersonKey(2, "Nguyen Van Anh", "Công ty ABC", "nguyenvananh@yahoo.com", "+84912345678"),
        ]
    )
    assert (pair.a_id, pair.b_id) == (1, 2)
    assert pair.score >= 90
    assert pair.reasons == ("same_name", "same_company")


def test_company_legal_forms_and_country_do_not_matter() -> None:
    assert company_key("Công ty TNHH MTV ABC Việt Nam") == company_key("Cty ABC") == "abc"
    assert company_key("CÔNG TY CỔ PHẦN Sữa Việt Nam") == company_key("Sữa Việt Nam")
    assert company_key("ABC Co., Ltd.") == "abc"


def test_different_people_are_not_paired() -> None:
    anh = PersonKey(1, "Nguyễn Văn Anh", "Cty ABC")
    assert _pairs(anh, PersonKey(2, "Nguyễn Văn Bình", "Cty ABC")) == set(), "another colleague"
    assert _pairs(anh, PersonKey(3, "Nguyễn Thị Anh", "Cty ABC")) == set(), "his sister at the same firm"
    assert _pairs(anh, PersonKey(4, "Nguyễn Văn Anh", "Cty XYZ")) == set(), "a namesake elsewhere"
    assert _pairs(anh, PersonKey(5, "Trần Thị Hương", "Cty ABC")) == set()


def test_firms_that_share_only_trade_words_are_different_firms() -> None:
    a = PersonKey(1, "Lê Minh Cường", "Công ty TNHH Thương mại Dịch vụ An Phú")
    b = PersonKey(2, "Lê Minh Cường", "Công ty TNHH Thương mại Dịch vụ Tân Phú")
    assert _pairs(a, b) == set()


def test_a_namesake_with_no_corroborating_evidence_is_not_paired() -> None:
    a = PersonKey(1, "Nguyễn Văn Anh", None, "anhnguyen95@gmail.com", "+84901234567")
    b = PersonKey(2, "Nguyen Van Anh", None, "anhnguyen88@gmail.com", "+84987123456")
    assert _pairs(a, b) == set()


def test_pairs_sharing_an_email_or_mobile_are_left_to_the_automatic_merge() -> None:
    a = PersonKey(1, "Nguyễn Văn Anh", "Cty ABC", "anh@gmail.com", None)
    assert _pairs(a, PersonKey(2, "Nguyen Van Anh", "Công ty ABC", "ANH@gmail.com", None)) == set()
    b = PersonKey(3, "Nguyễn Văn Anh", "Cty ABC", None, "+84901234567")
    assert _pairs(b, PersonKey(4, "Nguyen Van Anh", "Cty ABC", None, "+84901234567")) == set()


def test_a_shared_office_mailbox_is_evidence_not_an_exact_key() -> None:
    (pair,) = likely_duplicates(
        [
            PersonKey(1, "Trần Thị Hương", None, "info@abc.vn"),
            PersonKey(2, "Tran Thi Huong", None, "info@abc.vn"),
        ]
    )
    assert pair.reasons == ("same_name", "same_email")


def test_a_phone_one_digit_off_with_the_name_in_western_order_is_found() -> None:
    (pair,) = likely_duplicates(
        [
            PersonKey(1, "Nguyễn Văn Anh", None, None, "+84901234567"),
            PersonKey(2, "Anh Nguyen", None, None, "+84901234568"),
        ]
    )
    assert "phone_one_digit_off" in pair.reasons


def test_a_dropped_middle_name_or_a_short_company_name_is_still_found() -> None:
    assert _pairs(
        PersonKey(1, "Nguyễn Văn Anh", "Công ty TNHH Thương mại Dịch vụ Thành Đạt"),
        PersonKey(2, "Nguyễn Anh", "Thành Đạt"),
    ) == {(1, 2)}


def test_made_up_contacts_are_no_evidence() -> None:
    a = PersonKey(1, "Nguyễn Văn Anh", None, "test@test.com", "+84999999999")
    b = PersonKey(2, "Nguyễn Văn Anh", None, "test@test.com", "+84999999999")
    assert _pairs(a, b) == set()


def test_records_without_a_name_are_skipped() -> None:
    assert likely_duplicates([PersonKey(1, None, "Cty ABC"), PersonKey(2, "  ", "Cty ABC")]) == []


def test_pairs_come_best_first() -> None:
    pairs = likely_duplicates(
        [
            PersonKey(1, "Nguyễn Văn Anh", "Cty ABC"),
            PersonKey(2, "Nguyen Van Anh", "Công ty ABC"),
            PersonKey(3, "Nguyễn Anh", "ABC"),
        ]
    )
    assert [p.score for p in pairs] == sorted((p.score for p in pairs), reverse=True)
    assert {(p.a_id, p.b_id) for p in pairs} == {(1, 2), (1, 3), (2, 3)}


NAMES = st.sampled_from(["Nguyễn Văn Anh", "Nguyen Van Anh", "Nguyễn Anh", "Trần Thị Hương", "Lê Văn Bình"])
COMPANIES = st.sampled_from([None, "Cty ABC", "Công ty ABC", "Cty XYZ"])
PHONES = st.sampled_from([None, "+84901234567", "+84901234568", "+842838234567"])


@given(st.lists(st.tuples(NAMES, COMPANIES, PHONES), max_size=8), st.randoms(use_true_random=False))
def test_the_order_of_the_input_does_not_change_the_pairs(
    rows: list[tuple[str, str | None, str | None]], rng: Any
) -> None:
    people = [PersonKey(i, name, company, None, phone) for i, (name, company, phone) in enumerate(rows)]
    shuffled = list(people)
    rng.shuffle(shuffled)
    assert likely_duplicates(shuffled) == likely_duplicates(people)
    for pair in likely_duplicates(people):
        assert pair.a_id < pair.b_id
        assert 90 <= pair.score <= 100
