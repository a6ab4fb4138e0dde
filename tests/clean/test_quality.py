"""The verdict capture and import give on a contact: what to store, what to flag, what to tell the person."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pheu.clean.quality import clean_contact


def test_a_good_contact_is_stored_clean_with_no_flags() -> None:
    contact = clean_contact("  Nguyễn   Văn  An ", " An.Nguyen@GMAIL.com", "0901 234 567")
    assert contact.name == "Nguyễn Văn An"
    assert contact.name_key == "nguyen van an"
    assert contact.email.address == "an.nguyen@gmail.com"
    assert contact.phone.e164 == "+84901234567"
    assert contact.flags == []
    assert contact.problems == []
    assert contact.identifies_someone


def test_a_decomposed_name_is_stored_composed() -> None:
    typed = unicodedata.normalize("NFD", "Trần Thị Hương")
    contact = clean_contact(typed, "huong@gmail.com", None)
    assert contact.name == unicodedata.normalize("NFC", "Trần Thị Hương")
    assert contact.name_key == "tran thi huong"


@pytest.mark.parametrize("name", [None, "", "   ", "-", ".", "0901234567"])
def test_a_name_without_letters_is_missing(name: str | None) -> None:
    contact = clean_contact(name, "an@gmail.com", None)
    assert contact.name is None
    assert contact.name_key == ""
    assert "name_missing" in contact.flags
    assert [(p.field, p.code) for p in contact.problems] == [("name", "missing")]
    assert contact.identifies_someone, "a lead without a name can still be reached"


@pytest.mark.parametrize(
    ("email", "flag"),
    [
        ("an@", "email_invalid"),
        ("an@mailinator.com", "email_disposable"),
        ("info@congty.vn", "email_role"),
        ("an@gmial.com", "email_typo"),
        ("test@test.com", "email_fake"),
    ],
)
def test_each_email_trouble_has_its_flag(email: str, flag: str) -> None:
    assert flag in clean_contact("Lê Lan", email, "0912345678").flags


@pytest.mark.parametrize(
    ("phone", "flag"),
    [
        ("12", "phone_invalid"),
        ("abc", "phone_invalid"),
        ("0000000000", "phone_fake"),
        ("01627123458", "phone_renumbered"),
    ],
)
def test_each_phone_trouble_has_its_flag(phone: str, flag: str) -> None:
    assert flag in clean_contact("Lê Lan", "lan@gmail.com", phone).flags


def test_a_typo_problem_offers_the_corrected_address_as_accepted() -> None:
    contact = clean_contact("Lê Lan", "lan@gmial.com", "0912345678")
    (problem,) = contact.problems
    assert (problem.field, problem.code) == ("email", "typo")
    assert problem.accepted.startswith("lan@gmail.com")


def test_a_bad_phone_problem_says_what_would_be_accepted() -> None:
    (problem,) = clean_contact("Lê Lan", "lan@gmail.com", "090123456").problems
    assert (problem.field, problem.code) == ("phone", "too_short")
    assert "0901234567" in problem.accepted
    assert "+84901234567" in problem.accepted
    assert "090123456" in problem.message


@pytest.mark.parametrize(
    ("email", "phone", "reachable"),
    [
        ("an@gmail.com", None, True),
        (None, "0901234567", True),
        ("info@congty.vn", None, True),
        (None, "(028) 3823 4567", True),
        ("an@mailinator.com", None, False),
        ("test@test.com", None, False),
        ("an@gmial.com", None, False),
        ("an@", "12", False),
        (None, "0000000000", False),
        ("an@mailinator.com", "0901234567", True),
        (None, None, False),
    ],
)
def test_someone_is_identified_only_by_a_usable_email_or_phone(
    email: str | None, phone: str | None, reachable: bool
) -> None:
    contact = clean_contact("Phạm Minh", email, phone)
    assert contact.identifies_someone is reachable
    assert ("no_contact" in contact.flags) is not reachable


def test_with_no_contact_at_all_both_empty_fields_say_one_is_needed() -> None:
    contact = clean_contact("Phạm Minh", "  ", None)
    assert {(p.field, p.code) for p in contact.problems} == {("email", "missing"), ("phone", "missing")}
    assert all("0901234567" in p.accepted and "ten@congty.vn" in p.accepted for p in contact.problems)


def test_an_empty_field_is_no_problem_when_the_other_reaches_the_person() -> None:
    assert clean_contact("Phạm Minh", None, "0901234567").problems == []


@given(
    st.one_of(st.none(), st.text(max_size=30)),
    st.one_of(st.none(), st.text(max_size=40)),
    st.one_of(st.none(), st.text(max_size=25)),
)
def test_any_input_gets_a_verdict_and_every_problem_is_actionable(
    name: str | None, email: str | None, phone: str | None
) -> None:
    contact = clean_contact(name, email, phone)
    assert contact.identifies_someone == (contact.email.usable or contact.phone.usable)
    for problem in contact.problems:
        assert problem.field in {"name", "email", "phone"}
        assert problem.code
        assert problem.message
        assert problem.accepted
