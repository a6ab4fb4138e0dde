"""Rejection reasons read in the reader's language: rebuilt from the stored code and the typed value in
Vietnamese, the stored English kept in English, and the stored text whenever the code is unknown."""

from __future__ import annotations

from pheu.capture.prepare import Lookups, Rejection, prepare
from pheu.capture.record import IncomingLead
from pheu.web.reason_text import ACCEPTED, reason_accepted, reason_message


def _reasons(**fields: str) -> list[dict[str, str]]:
    result = prepare(
        IncomingLead(fields, "form:test"),
        Lookups(channels={}, campaigns={}, limits={}),
        default_channel=None,
        bought_list=False,
    )
    assert isinstance(result, Rejection)
    return result.reasons


def test_every_accepted_text_intake_stores_is_its_own_msgid() -> None:
    """The catalogue looks texts up by their English: a changed rule text must change its msgid too."""
    assert all(stored == msgid for stored, msgid in ACCEPTED.items())


def test_a_bad_email_and_phone_read_in_vietnamese_with_what_was_typed() -> None:
    raw = {"full_name": "Đỗ Minh Tâm", "email": "tam@", "phone": "0123"}
    email, phone = _reasons(**raw)
    assert (email["field"], email["code"], phone["field"], phone["code"]) == (
        "email",
        "syntax",
        "phone",
        "too_short",
    )
    assert reason_message("vi", email, raw) == "'tam@' không phải là địa chỉ email hợp lệ."
    assert reason_message("vi", phone, raw) == "'0123' thiếu chữ số so với một số điện thoại."
    assert reason_accepted("vi", email) == "một địa chỉ như ten@congty.vn hoặc ten@gmail.com"
    assert reason_accepted("vi", phone).startswith("một số di động Việt Nam như 0901234567")
    # English keeps the stored sentence, which says more (the validator's own explanation).
    assert reason_message("en", email, raw) == email["message"] and "@-sign" in email["message"]
    assert reason_accepted("en", phone) == phone["accepted"]


def test_a_typo_suggestion_and_a_missing_contact_are_translated_too() -> None:
    typo = {"field": "email", "code": "typo", "message": "…", "accepted": (
        "tam@gmail.com if that is what was meant, or an address like ten@congty.vn or ten@gmail.com"
    )}  # fmt: skip
    assert reason_message("vi", typo, {"email": "tam@gmial.com"}) == "'tam@gmial.com' có vẻ bị gõ nhầm."
    assert reason_accepted("vi", typo) == (
        "tam@gmail.com nếu đó là địa chỉ định gõ, hoặc một địa chỉ như ten@congty.vn hoặc ten@gmail.com"
    )
    nobody = _reasons(full_name="Chị Lan")
    assert [(r["field"], r["code"]) for r in nobody] == [("email", "missing"), ("phone", "missing")]
    assert {reason_message("vi", r, {"full_name": "Chị Lan"}) for r in nobody} == {
        "Không có email hay số điện thoại nào dùng được."
    }
    assert reason_accepted("vi", nobody[0]).startswith(
        "một địa chỉ như ten@congty.vn hoặc ten@gmail.com, hoặc"
    )


def test_unknown_codes_and_missing_values_keep_the_stored_text() -> None:
    odd = {"field": "email", "code": "from_the_future", "message": "Stored words.", "accepted": "something"}
    assert reason_message("vi", odd, {"email": "x"}) == "Stored words."
    assert reason_accepted("vi", odd) == "something"
    syntax = {"field": "email", "code": "syntax", "message": "Stored words.", "accepted": ""}
    assert reason_message("vi", syntax, None) == "Stored words."
