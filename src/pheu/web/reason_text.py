"""Why a record was rejected, in the reader's language.

Intake stores each reason in English with its field and code (``clean.quality``, ``capture.prepare``): that
text is what the API and the CSV of rejected rows carry, and it may hold details only English has (the
email validator's own explanation). A page rebuilds the sentence from the code and the value that was typed,
in the reader's language; a reason whose code it does not know keeps its stored text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from pheu.capture.prepare import NO_CONTACT_ACCEPTED, UNREADABLE_ACCEPTED
from pheu.clean import email as email_rules
from pheu.clean import phone as phone_rules
from pheu.clean.quality import CONTACT_ACCEPTED, NAME_ACCEPTED
from pheu.i18n import N_, gettext

# (field, code) -> the sentence, with the typed value as %(value)s where the sentence quotes it.
_MESSAGES: Final[dict[tuple[str, str], str]] = {
    ("email", "syntax"): N_("'%(value)s' is not a valid email address."),
    ("email", "fake"): N_("'%(value)s' looks made up, not a real person's address."),
    ("email", "typo"): N_("'%(value)s' looks mistyped."),
    ("email", "disposable"): N_("'%(value)s' is a throw-away mailbox that soon stops working."),
    ("email", "missing"): N_("Neither a usable email address nor a usable phone number was given."),
    ("phone", "missing"): N_("Neither a usable email address nor a usable phone number was given."),
    ("email", "no_contact"): N_("The record has neither a usable email address nor a usable phone number."),
    ("phone", "not_a_number"): N_("'%(value)s' is not a phone number."),
    ("phone", "too_short"): N_("'%(value)s' has too few digits for a phone number."),
    ("phone", "too_long"): N_("'%(value)s' has too many digits for a phone number."),
    ("phone", "invalid"): N_("'%(value)s' is not a number in use."),
    ("phone", "fake"): N_("'%(value)s' looks made up, not a number anyone answers."),
    ("name", "missing"): N_("No name was given, so no one will know how to greet this person."),
    ("channel", "unknown"): N_("Phễu has no channel '%(value)s'."),
    ("row", "unreadable"): N_(
        "The row could not be read: its values do not line up with the columns, a double quote is not "
        "closed, or some of its bytes are not text."
    ),
    ("", "not_an_object"): N_("The item is not a JSON object."),
}
# Where the typed value is kept in a record's ``raw`` when the reason's field is named differently.
_RAW_KEYS: Final = {"name": "full_name"}

# The "what would be accepted" texts intake stores, each the msgid of its translation (a test keeps the two
# equal, so a changed text in the cleaning rules cannot silently lose its translation).
ACCEPTED: Final[dict[str, str]] = {
    email_rules.ACCEPTED: N_("an address like ten@congty.vn or ten@gmail.com"),
    phone_rules.ACCEPTED: N_(
        "a Vietnamese mobile like 0901234567 or +84901234567, a landline with its area code like "
        "028 3823 4567, or a foreign number starting with + and its country code"
    ),
    CONTACT_ACCEPTED: N_(
        "an address like ten@congty.vn or ten@gmail.com, or a Vietnamese mobile like 0901234567 or "
        "+84901234567, a landline with its area code like 028 3823 4567, or a foreign number starting "
        "with + and its country code"
    ),
    NAME_ACCEPTED: N_("a name like Nguyễn Văn An"),
    NO_CONTACT_ACCEPTED: N_("an email like ten@congty.vn or a Vietnamese mobile like 0901234567"),
    UNREADABLE_ACCEPTED: N_("a row with one value per column"),
}
_TYPO: Final = re.compile(r"^(?P<suggestion>\S+@\S+) if that is what was meant, or (?P<rest>.+)$")
_ONE_OF: Final = re.compile(r"^one of (?P<choices>.+)$")


def reason_message(locale: str, reason: Mapping[str, Any], raw: Mapping[str, Any] | None) -> str:
    """The reason's sentence in ``locale``; its stored text when the code is unknown or the sentence needs
    a value that ``raw`` does not hold."""
    stored = str(reason.get("message") or "")
    if locale == "en" and stored:
        return stored  # the stored English may say more (the validator's own words, a suggestion)
    field = str(reason.get("field") or "")
    msgid = _MESSAGES.get((field, str(reason.get("code") or "")))
    if msgid is None:
        return stored
    if "%(value)s" not in msgid:
        return gettext(locale, msgid)
    value = (raw or {}).get(_RAW_KEYS.get(field, field))
    if value in (None, ""):
        return stored
    return gettext(locale, msgid, value=str(value))


def reason_accepted(locale: str, reason: Mapping[str, Any]) -> str:
    """What would have been accepted, in ``locale`` when it is one of intake's known texts."""
    accepted = str(reason.get("accepted") or "")
    if accepted in ACCEPTED:
        return gettext(locale, ACCEPTED[accepted])
    typo = _TYPO.match(accepted)
    if typo and typo["rest"] in ACCEPTED:
        rest = gettext(locale, ACCEPTED[typo["rest"]])
        return gettext(
            locale,
            N_("%(suggestion)s if that is what was meant, or %(accepted)s"),
            suggestion=typo["suggestion"],
            accepted=rest,
        )
    one_of = _ONE_OF.match(accepted)
    if one_of:
        return gettext(locale, N_("one of %(choices)s"), choices=one_of["choices"])
    return accepted
