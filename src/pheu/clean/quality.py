"""One verdict on the contact details of a lead, as captured: what to store, what is wrong, can we reach them.

Capture and import both call this, so a form, the API and a CSV row reject and flag the same things in the
same words. Flags are for machines (scoring subtracts points for ``email_disposable``); problems are for the
person who typed the data, and say what would be accepted instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from pheu.clean import email as email_rules
from pheu.clean import phone as phone_rules
from pheu.clean.contact import normalize_name
from pheu.clean.email import EmailCheck, check_email
from pheu.clean.phone import PhoneCheck, check_phone
from pheu.clean.search import fold

NAME_ACCEPTED: Final = "a name like Nguyễn Văn An"
CONTACT_ACCEPTED: Final = f"{email_rules.ACCEPTED}, or {phone_rules.ACCEPTED}"

_EMAIL_FLAGS: Final = {"syntax": "email_invalid", "fake": "email_fake", "typo": "email_typo"}
_PHONE_FLAGS: Final = {"fake": "phone_fake"}


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """What is wrong with one field, in words a person can act on; ``code`` is stable for programs."""

    field: str
    code: str
    message: str
    accepted: str


@dataclass(frozen=True, slots=True)
class CleanContact:
    """``name`` is NFC with spaces collapsed (``None`` if it holds no letter); ``name_key`` is its tone-free
    search form. ``identifies_someone`` is false when neither the email nor the phone can reach the person."""

    name: str | None
    name_key: str
    email: EmailCheck
    phone: PhoneCheck
    flags: list[str]
    problems: list[FieldProblem]
    identifies_someone: bool


def clean_contact(name: str | None, email: str | None, phone: str | None, region: str = "VN") -> CleanContact:
    """Check all three fields at once; never raises. ``region`` is where numbers without + are local."""
    clean_name = _name(name)
    email_check = check_email(email)
    phone_check = check_phone(phone, region)
    reachable = email_check.usable or phone_check.usable
    flags = [*_name_flags(clean_name), *_email_flags(email_check), *_phone_flags(phone_check)]
    if not reachable:
        flags.append("no_contact")
    problems = [
        *_name_problems(clean_name),
        *_email_problems(email_check),
        *_phone_problems(phone_check),
        *_missing_contact(email_check, phone_check, reachable),
    ]
    return CleanContact(
        name=clean_name,
        name_key=fold(clean_name) if clean_name else "",
        email=email_check,
        phone=phone_check,
        flags=flags,
        problems=problems,
        identifies_someone=reachable,
    )


def _name(raw: str | None) -> str | None:
    """A "name" without a single letter ("-", ".", a phone number) is treated as no name at all."""
    name = normalize_name(raw)
    return name if name and _has_letter(name) else None


# Word characters that are not digits nor "_": every letter, and a few other numerals ("½", "Ⅷ").
_LETTER: Final = re.compile(r"[^\W\d_]")


def _has_letter(name: str) -> bool:
    """``any(ch.isalpha() for ch in name)``, decided in C for nearly every name: a name's first such
    character is almost always a letter."""
    hit = _LETTER.search(name)
    return hit is not None and (hit.group().isalpha() or any(ch.isalpha() for ch in name))


def _name_flags(name: str | None) -> list[str]:
    return [] if name else ["name_missing"]


def _email_flags(check: EmailCheck) -> list[str]:
    flags = [_EMAIL_FLAGS[check.problem]] if check.problem in _EMAIL_FLAGS else []
    if check.disposable:
        flags.append("email_disposable")
    if check.role_address:
        flags.append("email_role")
    return flags


def _phone_flags(check: PhoneCheck) -> list[str]:
    if check.problem in _PHONE_FLAGS:
        return [_PHONE_FLAGS[check.problem]]
    if check.problem not in (None, "empty"):
        return ["phone_invalid"]
    return ["phone_renumbered"] if check.renumbered else []


def _name_problems(name: str | None) -> list[FieldProblem]:
    if name:
        return []
    return [
        FieldProblem("name", "missing", "No name given, so no one will know whom to greet.", NAME_ACCEPTED)
    ]


def _email_problems(check: EmailCheck) -> list[FieldProblem]:
    if check.problem in (None, "empty"):
        return []
    accepted = email_rules.ACCEPTED
    if check.suggestion:
        accepted = f"{check.suggestion} if that is what was meant, or {accepted}"
    return [FieldProblem("email", str(check.problem), str(check.message), accepted)]


def _phone_problems(check: PhoneCheck) -> list[FieldProblem]:
    if check.problem in (None, "empty"):
        return []
    return [FieldProblem("phone", str(check.problem), str(check.message), phone_rules.ACCEPTED)]


def _missing_contact(email: EmailCheck, phone: PhoneCheck, reachable: bool) -> list[FieldProblem]:
    """An empty field is only a problem when nothing else reaches the person; then both empty ones say so."""
    if reachable:
        return []
    message = "Neither a usable email address nor a usable phone number was given; one of them is needed."
    return [
        FieldProblem(field, "missing", message, CONTACT_ACCEPTED)
        for field, check in (("email", email), ("phone", phone))
        if check.problem == "empty"
    ]
