"""Emails as people really type them into a lead form: shouting, padded, pasted, mistyped or made up."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pheu.clean.email import check_email, suggest_domain


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("  An.Nguyen@GMAIL.COM ", "an.nguyen@gmail.com"),
        ("Nguyễn Văn An <An@Gmail.com>", "an@gmail.com"),
        ("mailto:lan.tran@congty.vn", "lan.tran@congty.vn"),
        ("an＠ｇｍａｉｌ.com", "an@gmail.com"),
        ("an @ gmail.com", "an@gmail.com"),
        ("an@gmail.com.", "an@gmail.com"),
        ("an\u200b@gmail.com", "an@gmail.com"),
        ("Nguyễn@Gmail.com", "nguyễn@gmail.com"),
        ("info@CÔNG-TY.vn", "info@công-ty.vn"),
    ],
)
def test_a_good_address_is_stored_lower_cased_and_tidied(typed: str, stored: str) -> None:
    check = check_email(typed)
    assert check.valid
    assert check.address == stored
    assert check.problem is None


@pytest.mark.parametrize("typed", [None, "", "   ", "\u200b"])
def test_nothing_typed_is_empty_not_invalid(typed: str | None) -> None:
    check = check_email(typed)
    assert (check.valid, check.problem, check.address) == (False, "empty", None)
    assert "ten@congty.vn" in str(check.message)


@pytest.mark.parametrize(
    "typed",
    [
        "not an email",
        "an@",
        "@gmail.com",
        "an..nguyen@gmail.com",
        "an nguyen@gmail.com",
        "an@gmail..com",
        "a@b.test",
    ],
)
def test_a_malformed_address_says_what_is_wrong_and_what_is_accepted(typed: str) -> None:
    check = check_email(typed)
    assert not check.valid
    assert check.problem == "syntax"
    assert typed.strip() in str(check.message)
    assert "ten@congty.vn" in str(check.message)


def test_a_missing_dot_com_on_a_big_provider_is_suggested() -> None:
    check = check_email("an@gmail")
    assert check.problem == "syntax"
    assert check.suggestion == "an@gmail.com"


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("an@gmial.com", "an@gmail.com"),
        ("an@gmai.com", "an@gmail.com"),
        ("an@gmail.con", "an@gmail.com"),
        ("an@gamil.com", "an@gmail.com"),
        ("an@gmail.com.vn", "an@gmail.com"),
        ("an@gmail.vn", "an@gmail.com"),
        ("an@yaho.com", "an@yahoo.com"),
        ("an@yahoo.com.vm", "an@yahoo.com.vn"),
        ("an@yahoo.con.vn", "an@yahoo.com.vn"),
        ("an@hotmial.com", "an@hotmail.com"),
        ("an@outlok.com", "an@outlook.com"),
        ("an@icloud.co", "an@icloud.com"),
        ("an@ftp.vn", "an@fpt.vn"),
    ],
)
def test_a_typo_of_a_popular_domain_is_caught_with_a_suggestion(typed: str, meant: str) -> None:
    check = check_email(typed)
    assert check.valid
    assert check.problem == "typo"
    assert check.suggestion == meant
    assert meant in str(check.message)
    assert not check.usable
    assert not check.disposable, "a typo-squatting domain is reported as the typo it is"


@pytest.mark.parametrize(
    "domain",
    ["gmail.com", "yahoo.com.vn", "fpt.vn", "mail.com", "email.com", "ymail.com", "mail.ru", "yahoo.com.au",
     "vtv.vn", "congty.com.vn", "vnn.vn", "me.com"],
)  # fmt: skip
def test_real_domains_close_to_popular_ones_are_left_alone(domain: str) -> None:
    assert suggest_domain(domain) is None
    assert check_email(f"lan@{domain}").suggestion is None


@pytest.mark.parametrize("domain", ["mailinator.com", "yopmail.com", "10minutemail.com", "guerrillamail.com"])
def test_a_throwaway_mailbox_is_disposable_and_not_usable(domain: str) -> None:
    check = check_email(f"Lan.Tran@{domain.upper()}")
    assert check.valid
    assert check.disposable
    assert check.problem == "disposable"
    assert not check.usable


@pytest.mark.parametrize(
    "typed",
    ["info@congty.vn", "Sales@congty.vn", "contact@abc.com.vn", "support@shop.vn", "noreply@shop.vn",
     "no-reply@shop.vn", "hr@congty.vn", "lienhe@congty.vn", "hotro@congty.vn", "admin@congty.vn",
     "sales.hcm@congty.vn", "kinhdoanh@congty.vn", "info+leads@congty.vn"],
)  # fmt: skip
def test_a_department_mailbox_is_a_role_address_but_still_usable(typed: str) -> None:
    check = check_email(typed)
    assert check.role_address
    assert check.usable
    assert not check.personal
    assert check.problem is None


@pytest.mark.parametrize(
    "typed",
    ["an.nguyen@gmail.com", "thanh.info@congty.vn", "hoang@congty.vn", "na@congty.vn", "salesman@x.vn"],
)
def test_a_person_mailbox_is_not_a_role_address(typed: str) -> None:
    assert not check_email(typed).role_address


@pytest.mark.parametrize(
    "typed",
    ["test@test.com", "a@a.com", "asdf@gmail.com", "asdfgh@yahoo.com", "qwerty@gmail.com", "aaaa@gmail.com",
     "an@example.com", "an@example.vn", "lan@example.com.vn", "test123@gmail.com", "123456@gmail.com",
     "xxx@xxx.com", "khongco@gmail.com"],
)  # fmt: skip
def test_an_obvious_fake_is_flagged_and_not_usable(typed: str) -> None:
    check = check_email(typed)
    assert check.fake
    assert check.problem == "fake"
    assert not check.usable


@pytest.mark.parametrize("typed", ["an@gmail.com", "a@congty.vn", "anh.nguyen95@yahoo.com.vn", "x9@fpt.vn"])
def test_an_ordinary_address_is_usable_and_personal(typed: str) -> None:
    check = check_email(typed)
    assert check.usable
    assert check.personal
    assert (check.problem, check.fake, check.disposable, check.suggestion) == (None, False, False, None)


@given(st.text(max_size=80))
def test_any_text_gets_a_verdict_never_an_exception(text: str) -> None:
    check = check_email(text)
    assert check.valid == (check.address is not None)
    if not check.valid:
        assert check.problem in {"empty", "syntax"}
        assert check.message


@given(st.from_regex(r"[a-z][a-z0-9.]{0,15}[a-z0-9]@(gmail\.com|congty\.vn|yahoo\.com\.vn)", fullmatch=True))
def test_checking_is_stable_once_stored(address: str) -> None:
    first = check_email(address.upper())
    if first.address is not None:
        assert check_email(first.address) == first


@given(st.from_regex(r"[A-Za-z0-9._%+\-]{1,20}@[A-Za-z0-9.\-]{1,20}\.[A-Za-z]{2,6}", fullmatch=True))
def test_the_fast_path_accepts_exactly_what_email_validator_accepts(address: str) -> None:
    from email_validator import EmailNotValidError, validate_email

    from pheu.clean.email import check_email

    try:
        expected: str | None = validate_email(address, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        expected = None
    result = check_email(address)
    assert (result.address if result.valid else None) == expected
