"""Judging a phone number a lead typed, the many ways Vietnamese people write one.

Parsing and validation come from libphonenumber's offline metadata. What it does not know is local habit:
numbers still written with the 11-digit mobile prefixes retired in 2018 (0162…, 0120…), and the numbers
people type when they do not want to be called (0000000000, 0123456789).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumber, PhoneNumberType, ValidationResult, carrier

ACCEPTED: Final = (
    "a Vietnamese mobile like 0901234567 or +84901234567, a landline with its area code like 028 3823 4567, "
    "or a foreign number starting with + and its country code"
)

# The 2018 renumbering of 11-digit mobiles, by national prefix without the leading 0: 162x… became 32x….
OLD_MOBILE_PREFIXES: Final[dict[str, str]] = {
    "162": "32", "163": "33", "164": "34", "165": "35", "166": "36", "167": "37", "168": "38", "169": "39",
    "120": "70", "121": "79", "122": "77", "126": "76", "128": "78",
    "123": "83", "124": "84", "125": "85", "127": "81", "129": "82",
    "186": "56", "188": "58", "199": "59",
}  # fmt: skip

# One person answers these; a switchboard, a hotline or a premium line may be given by many.
PERSONAL_TYPES: Final = frozenset({"mobile", "fixed_line_or_mobile", "personal_number", "voip"})

_TYPE_NAMES: Final[dict[int, str]] = {
    PhoneNumberType.FIXED_LINE: "fixed_line",
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_line_or_mobile",
    PhoneNumberType.TOLL_FREE: "toll_free",
    PhoneNumberType.PREMIUM_RATE: "premium_rate",
    PhoneNumberType.SHARED_COST: "shared_cost",
    PhoneNumberType.VOIP: "voip",
    PhoneNumberType.PERSONAL_NUMBER: "personal_number",
    PhoneNumberType.PAGER: "pager",
    PhoneNumberType.UAN: "uan",
    PhoneNumberType.VOICEMAIL: "voicemail",
}
_VIETNAM: Final = 84
_LENGTH_PROBLEMS: Final[dict[int, str]] = {
    ValidationResult.TOO_SHORT: "too_short",
    ValidationResult.TOO_LONG: "too_long",
}


@dataclass(frozen=True, slots=True)
class PhoneCheck:
    """What we know about one typed number; ``e164`` is the form to store (``None`` unless valid).

    ``renumbered`` says the number was typed with a pre-2018 prefix and ``e164`` holds its current form.
    ``carrier`` is the network that was first given the prefix: people may have ported since.
    """

    e164: str | None
    valid: bool
    problem: str | None = None
    message: str | None = None
    type: str | None = None
    carrier: str | None = None
    region: str | None = None
    renumbered: bool = False
    fake: bool = False

    @property
    def usable(self) -> bool:
        """Whether we can call this person on it."""
        return self.valid and not self.fake

    @property
    def personal(self) -> bool:
        """Whether the number reaches one person, so two leads holding it are the same person."""
        return self.usable and self.type in PERSONAL_TYPES


def check_phone(raw: str | None, region: str = "VN") -> PhoneCheck:
    """Judge what a person typed, reading numbers without a + as local to ``region``; never raises.

    Problem codes: ``empty``, ``not_a_number``, ``too_short``, ``too_long``, ``invalid``, ``fake``.
    A fake number may still be ``valid`` (0999999999 is a well-formed mobile number), so check ``usable``.
    """
    text = unicodedata.normalize("NFKC", raw).strip() if raw else ""
    if not text:
        return _problem("empty", f"No phone number given; give {ACCEPTED}.")
    if region == "VN":
        plain = _VN_MOBILE.match(_TYPING.sub("", text))
        if plain is not None and not looks_fake(plain.group(1)):
            return _vn_mobile(plain.group(1))
    try:
        typed = phonenumbers.parse(text, region)
    except NumberParseException as exc:
        if exc.error_type == NumberParseException.TOO_LONG:
            return _problem(
                "too_long", f"'{text}' has too many digits for one phone number. Give {ACCEPTED}."
            )
        return _problem("not_a_number", f"'{text}' is not a phone number. Give {ACCEPTED}.")
    number = _current_form(typed)
    renumbered = number is not typed
    if looks_fake(phonenumbers.national_significant_number(number)):
        return _fake(number, text, renumbered)
    if not phonenumbers.is_valid_number(number):
        return _invalid(number, text)
    return PhoneCheck(
        e164=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        valid=True,
        type=number_type(number),
        carrier=carrier.name_for_number(number, "en") or None,
        region=phonenumbers.region_code_for_number(number),
        renumbered=renumbered,
    )


# The common case — a Vietnamese mobile typed with spaces, dots or a +84 — skips the general parser: an
# import checks millions of these. Validity, type and carrier depend only on the first digits of a mobile
# number in libphonenumber's metadata, so they are worked out once per five-digit prefix.
_TYPING = re.compile(r"[\s.\-()]")
_VN_MOBILE = re.compile(r"^(?:\+?84|0)([35789]\d{8})$")


def _vn_mobile(national: str) -> PhoneCheck:
    valid, kind, network = _mobile_prefix(national[:5], national)
    if not valid:
        return _invalid(PhoneNumber(country_code=_VIETNAM, national_number=int(national)), "0" + national)
    return PhoneCheck(e164="+84" + national, valid=True, type=kind, carrier=network, region="VN")


_PREFIXES: dict[str, tuple[bool, str | None, str | None]] = {}


def _mobile_prefix(prefix: str, example: str) -> tuple[bool, str | None, str | None]:
    """What libphonenumber says of numbers starting with ``prefix``, learnt from the first one seen."""
    known = _PREFIXES.get(prefix)
    if known is None:
        number = PhoneNumber(country_code=_VIETNAM, national_number=int(example))
        if phonenumbers.is_valid_number(number):
            known = (True, number_type(number), carrier.name_for_number(number, "en") or None)
        else:
            known = (False, None, None)
        _PREFIXES[prefix] = known
    return known


def looks_fake(national: str) -> bool:
    """Numbers typed to get past a form: one digit repeated, a subscriber part of one repeated digit
    (0900000000), or a straight run (0123456789, 0987654321). ``national`` is without the trunk 0.
    """
    digits = national.lstrip("0") or national
    return (
        len(set(national)) == 1
        or (len(digits) >= 8 and len(set(digits[-7:])) == 1)
        or digits in ("123456789", "987654321", "1234567890")
    )


def number_type(number: PhoneNumber) -> str:
    return _TYPE_NAMES.get(phonenumbers.number_type(number), "unknown")


def _current_form(number: PhoneNumber) -> PhoneNumber:
    """Rewrite a retired 11-digit mobile (0162 712 3456) to its 10-digit form (032 712 3456)."""
    national = phonenumbers.national_significant_number(number)
    new_prefix = OLD_MOBILE_PREFIXES.get(national[:3])
    if number.country_code != _VIETNAM or len(national) != 10 or new_prefix is None:
        return number
    return PhoneNumber(country_code=_VIETNAM, national_number=int(new_prefix + national[3:]))


def _problem(code: str, message: str) -> PhoneCheck:
    return PhoneCheck(e164=None, valid=False, problem=code, message=message)


def _fake(number: PhoneNumber, text: str, renumbered: bool) -> PhoneCheck:
    valid = phonenumbers.is_valid_number(number)
    return PhoneCheck(
        e164=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) if valid else None,
        valid=valid,
        problem="fake",
        message=f"'{text}' looks made up, not a number anyone answers. Give {ACCEPTED}.",
        type=number_type(number) if valid else None,
        region=phonenumbers.region_code_for_number(number) if valid else None,
        renumbered=renumbered,
        fake=True,
    )


def _invalid(number: PhoneNumber, text: str) -> PhoneCheck:
    where = phonenumbers.region_code_for_country_code(number.country_code or 0)
    code = _LENGTH_PROBLEMS.get(phonenumbers.is_possible_number_with_reason(number), "invalid")
    national = phonenumbers.national_significant_number(number)
    if code == "invalid" and number.country_code == _VIETNAM and national[:1] in "35789":
        # Mobile ranges: libphonenumber accepts the length of a landline here, but a mobile has nine digits.
        code = "too_short" if len(national) < 9 else "too_long" if len(national) > 9 else code
    what = {
        "too_short": f"has too few digits for a phone number in {where}",
        "too_long": f"has too many digits for a phone number in {where}",
    }.get(code, f"is not a number in use in {where}")
    return _problem(code, f"'{text}' {what}. Give {ACCEPTED}.")
