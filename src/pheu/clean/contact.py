"""Normalising contact details at the edge: emails lower-cased, phone numbers in E.164, names in NFC.

The full cleaning (disposable domains, typo suggestions, flags) builds on these; here is what every write
path needs so that the store never holds two spellings of one address.
"""

from __future__ import annotations

import unicodedata

import phonenumbers
from email_validator import EmailNotValidError, validate_email


class ContactError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def normalize_name(name: str | None) -> str | None:
    if name is None:
        return None
    cleaned = " ".join(unicodedata.normalize("NFC", name).split())
    return cleaned or None


def normalize_email(email: str | None) -> str | None:
    """Return the address lower-cased, or raise ``ContactError`` saying what is wrong with it."""
    if email is None or not email.strip():
        return None
    try:
        result = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ContactError("email", f"'{email}' is not a valid email address: {exc}") from exc
    return result.normalized.lower()


def normalize_phone(phone: str | None, region: str = "VN") -> str | None:
    """Return the number in E.164, reading local forms in ``region``; raise ``ContactError`` if invalid."""
    if phone is None or not phone.strip():
        return None
    try:
        parsed = phonenumbers.parse(phone, region)
    except phonenumbers.NumberParseException as exc:
        raise ContactError("phone", f"'{phone}' is not a phone number: {exc}") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise ContactError("phone", f"'{phone}' is not a valid phone number for region {region}.")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
