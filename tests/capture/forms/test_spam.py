"""Spam screening is pure: the token, the honeypot and the sliding window, with time passed in."""

from __future__ import annotations

from datetime import timedelta

from pheu.capture import spam
from pheu.capture.spam import SlidingWindowLimiter, Verdict
from tests.conftest import NOW

SECRET = "test-secret"


def values(**extra: str) -> dict[str, str]:
    return {spam.TOKEN_FIELD: spam.issue_token(SECRET, "ebook", NOW), **extra}


def test_a_person_who_took_a_few_seconds_passes() -> None:
    verdict, token = spam.screen(values(), SECRET, "ebook", NOW + timedelta(seconds=5))
    assert verdict is Verdict.OK
    assert token is not None and token.issued_at == NOW


def test_a_submit_within_two_seconds_is_a_script() -> None:
    assert spam.screen(values(), SECRET, "ebook", NOW + timedelta(seconds=1))[0] is Verdict.TOO_FAST


def test_a_page_older_than_a_day_has_expired() -> None:
    assert spam.screen(values(), SECRET, "ebook", NOW + timedelta(days=1, seconds=1))[0] is Verdict.EXPIRED


def test_a_filled_honeypot_marks_a_bot() -> None:
    later = NOW + timedelta(seconds=5)
    assert spam.screen(values(website="http://spam.example"), SECRET, "ebook", later)[0] is Verdict.HONEYPOT


def test_forged_missing_or_borrowed_tokens_are_refused() -> None:
    later = NOW + timedelta(seconds=5)
    forged = spam.issue_token("another-secret", "ebook", NOW)
    other_form = spam.issue_token(SECRET, "webinar", NOW)
    assert spam.screen({}, SECRET, "ebook", later)[0] is Verdict.NO_TOKEN
    assert spam.screen({spam.TOKEN_FIELD: forged}, SECRET, "ebook", later)[0] is Verdict.BAD_TOKEN
    assert spam.screen({spam.TOKEN_FIELD: other_form}, SECRET, "ebook", later)[0] is Verdict.BAD_TOKEN
    assert spam.screen({spam.TOKEN_FIELD: "garbage"}, SECRET, "ebook", later)[0] is Verdict.BAD_TOKEN


def test_spam_verdicts_are_silent_but_honest_refusals_are_not() -> None:
    assert {v for v in Verdict if v.silent} == {
        Verdict.HONEYPOT,
        Verdict.NO_TOKEN,
        Verdict.BAD_TOKEN,
        Verdict.TOO_FAST,
    }


def test_the_window_slides_rather_than_resetting_each_minute() -> None:
    limiter = SlidingWindowLimiter(limit=3, window=timedelta(minutes=1))
    times = [NOW, NOW + timedelta(seconds=20), NOW + timedelta(seconds=40)]
    assert all(limiter.allow("ebook|1.2.3.4", t) for t in times)
    assert not limiter.allow("ebook|1.2.3.4", NOW + timedelta(seconds=59))
    assert limiter.allow("ebook|5.6.7.8", NOW + timedelta(seconds=59))
    assert limiter.allow("ebook|1.2.3.4", NOW + timedelta(seconds=61))
    assert not limiter.allow("ebook|1.2.3.4", NOW + timedelta(seconds=62))


def test_the_limiter_forgets_the_oldest_addresses_when_full() -> None:
    limiter = SlidingWindowLimiter(limit=1, max_keys=2)
    assert limiter.allow("a", NOW)
    assert limiter.allow("b", NOW)
    assert limiter.allow("c", NOW)
    assert limiter.allow("a", NOW)
