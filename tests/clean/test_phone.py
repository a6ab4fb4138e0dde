"""Phone numbers in every shape Vietnamese people write them, including numbers retired in 2018."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from pheu.clean.phone import check_phone, looks_fake


@pytest.mark.parametrize(
    "typed",
    [
        "0901234567",
        "0901 234 567",
        "090 123 4567",
        "090.123.4567",
        "090-123-4567",
        "(090) 123 4567",
        "+84 90 123 4567",
        "+84901234567",
        "+84 (0) 90 123 4567",
        "84901234567",
        "0084 90 123 4567",
        "０９０１２３４５６７",
        "０９０１ ２３４ ５６７",
        "  0901234567  ",
    ],
)
def test_every_way_of_writing_a_mobile_gives_one_e164(typed: str) -> None:
    check = check_phone(typed)
    assert check.valid
    assert check.e164 == "+84901234567"
    assert check.type == "mobile"
    assert check.region == "VN"
    assert check.problem is None
    assert check.usable
    assert check.personal


def test_the_carrier_comes_from_offline_prefix_data() -> None:
    assert check_phone("0961234567").carrier == "Viettel"
    assert check_phone("0901234567").carrier == "MobiFone"
    assert check_phone("0911234567").carrier == "Vinaphone"


# The 2018 renumbering, exactly as the Ministry published it.
RENUMBERING = [
    ("0162", "032"), ("0163", "033"), ("0164", "034"), ("0165", "035"), ("0166", "036"), ("0167", "037"),
    ("0168", "038"), ("0169", "039"), ("0120", "070"), ("0121", "079"), ("0122", "077"), ("0126", "076"),
    ("0128", "078"), ("0123", "083"), ("0124", "084"), ("0125", "085"), ("0127", "081"), ("0129", "082"),
    ("0186", "056"), ("0188", "058"), ("0199", "059"),
]  # fmt: skip


@pytest.mark.parametrize(("old", "new"), RENUMBERING)
def test_an_old_eleven_digit_mobile_is_converted_to_its_new_number(old: str, new: str) -> None:
    check = check_phone(f"{old} 712 3458")
    assert check.valid
    assert check.renumbered
    assert check.e164 == f"+84{new[1:]}7123458"
    assert check.type == "mobile"


@pytest.mark.parametrize("typed", ["+84 162 712 3458", "841627123458", "(0162) 712-3458", "01627.123.458"])
def test_old_numbers_are_converted_in_international_and_punctuated_forms_too(typed: str) -> None:
    check = check_phone(typed)
    assert (check.e164, check.renumbered) == ("+84327123458", True)


def test_a_current_number_is_not_marked_renumbered() -> None:
    assert not check_phone("0327123458").renumbered


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("(028) 3823 4567", "+842838234567"),
        ("024 3826 1234", "+842438261234"),
        ("0236 3822 123", "+842363822123"),
    ],
)
def test_a_landline_is_typed_as_fixed_line_and_is_not_personal(typed: str, e164: str) -> None:
    check = check_phone(typed)
    assert (check.valid, check.e164, check.type) == (True, e164, "fixed_line")
    assert check.usable
    assert not check.personal, "a switchboard is shared by a whole office"


@pytest.mark.parametrize(("typed", "kind"), [("1800 1091", "toll_free"), ("1900 545454", "premium_rate")])
def test_hotlines_are_typed_for_what_they_are(typed: str, kind: str) -> None:
    check = check_phone(typed)
    assert (check.valid, check.type) == (True, kind)
    assert not check.personal


def test_a_foreign_number_with_a_plus_is_read_in_its_own_country() -> None:
    check = check_phone("+44 20 7946 0958")
    assert (check.valid, check.e164, check.region) == (True, "+442079460958", "GB")


def test_region_decides_how_a_number_without_a_plus_is_read() -> None:
    assert check_phone("020 7946 0958", region="GB").e164 == "+442079460958"


@pytest.mark.parametrize(
    "typed", ["0000000000", "0123456789", "0987654321", "0999999999", "0900000000", "1111111111", "000"]
)
def test_an_obvious_fake_is_flagged_and_not_usable(typed: str) -> None:
    check = check_phone(typed)
    assert check.fake
    assert check.problem == "fake"
    assert not check.usable
    assert "0901234567" in str(check.message)


def test_a_real_number_with_a_run_in_it_is_not_fake() -> None:
    assert not check_phone("0901234567").fake
    assert not looks_fake("912345678")


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        (None, "empty"),
        ("", "empty"),
        ("   ", "empty"),
        ("abc", "not_a_number"),
        ("gọi em nhé", "not_a_number"),
        ("12", "too_short"),
        ("090123456", "too_short"),
        ("09012345678", "too_long"),
        ("090 123 4567 / 091 234 5678", "too_long"),
        ("0241234567", "invalid"),
    ],
)
def test_a_bad_number_says_what_is_wrong_and_what_is_accepted(typed: str | None, code: str) -> None:
    check = check_phone(typed)
    assert not check.valid
    assert check.e164 is None
    assert check.problem == code
    assert "+84901234567" in str(check.message)


CURRENT_PREFIXES = ["32", "38", "56", "59", "70", "79", "81", "86", "88", "90", "91", "94", "96", "97", "98"]


@given(st.sampled_from(CURRENT_PREFIXES), st.text("0123456789", min_size=7, max_size=7), st.integers(0, 4))
def test_any_mobile_reads_the_same_in_every_format(prefix: str, rest: str, style: int) -> None:
    assume(not looks_fake(prefix + rest))
    national = f"0{prefix}{rest}"
    forms = [
        national,
        f"{national[:4]} {national[4:7]} {national[7:]}",
        f"+84 {prefix} {rest[:3]} {rest[3:]}",
        f"84{prefix}{rest}",
        national.translate(str.maketrans("0123456789", "０１２３４５６７８９")),
    ]
    check = check_phone(forms[style])
    assert check.valid
    assert check.e164 == f"+84{prefix}{rest}"


@given(st.text(max_size=40))
def test_any_text_gets_a_verdict_never_an_exception(text: str) -> None:
    check = check_phone(text)
    assert check.problem is not None or check.valid
    if check.e164 is not None:
        assert check.e164.startswith("+")


def test_fast_path_agrees_with_the_general_parser_on_every_mobile_prefix() -> None:
    """The shortcut for typed Vietnamese mobiles must answer exactly as libphonenumber does."""
    import phonenumbers

    from pheu.clean import phone as phone_module

    for prefix in range(300, 1000):
        national = f"{prefix}4567890"[:9]
        if national[0] not in "35789" or phone_module.looks_fake(national):
            continue
        fast = phone_module.check_phone("0" + national)
        parsed = phonenumbers.parse("0" + national, "VN")
        assert fast.valid == phonenumbers.is_valid_number(parsed), national
        if fast.valid:
            assert fast.e164 == phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
            assert fast.type == phone_module.number_type(parsed), national
