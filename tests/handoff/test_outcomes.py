"""Call outcomes as a specification: each outcome schedules the next step the playbook asks for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pheu.handoff.outcomes import (
    CONTACT_ATTEMPTS,
    DEFAULT_POLICY,
    UNANSWERED,
    CallOutcome,
    OutcomeError,
    next_step,
    with_phone_flag,
)

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


def _next_morning(at: datetime) -> datetime:
    """A stand-in working week: nothing after 10:00 UTC (17:00 in Vietnam) until 01:00 UTC next day."""
    if at.hour >= 10:
        return (at + timedelta(days=1)).replace(hour=1, minute=0)
    return at


def test_reached_schedules_a_follow_up_call_the_next_working_day() -> None:
    step = next_step(CallOutcome.REACHED, now=NOW, within_hours=_next_morning)
    assert (step.kind, step.title, step.reached, step.contact_attempt) == ("call", "follow_up", True, True)
    assert step.due_at == NOW + timedelta(days=1)


def test_no_answer_retries_later_inside_working_hours() -> None:
    late = NOW.replace(hour=9, minute=30)
    step = next_step(CallOutcome.NO_ANSWER, now=late, within_hours=_next_morning)
    assert (step.kind, step.title) == ("call", "retry_call")
    assert step.due_at == (late + timedelta(days=1)).replace(hour=1, minute=0)


def test_busy_retries_sooner_than_no_answer_which_retries_sooner_than_voicemail() -> None:
    due = {o: next_step(o, now=NOW).due_at for o in UNANSWERED}
    assert due[CallOutcome.BUSY] < due[CallOutcome.NO_ANSWER] < due[CallOutcome.VOICEMAIL]  # type: ignore[operator]


@given(st.sampled_from(sorted(UNANSWERED)), st.integers(min_value=0, max_value=10), st.booleans())
def test_after_the_last_attempt_calling_stops_and_an_email_is_suggested(
    outcome: CallOutcome, before: int, has_email: bool
) -> None:
    step = next_step(outcome, now=NOW, unanswered_before=before, has_email=has_email)
    if before + 1 < DEFAULT_POLICY.max_attempts:
        assert step.kind == "call"
        assert step.due_at is not None and step.due_at > NOW
    elif has_email:
        assert (step.kind, step.title) == ("email", "send_email")
    else:
        assert (step.kind, step.title, step.due_at) == (None, "no_channel_left", None)


def test_a_wrong_number_flags_the_phone_and_falls_back_to_email() -> None:
    step = next_step(CallOutcome.WRONG_NUMBER, now=NOW)
    assert (step.kind, step.flag_phone, step.contact_attempt) == ("email", True, False)
    assert next_step(CallOutcome.WRONG_NUMBER, now=NOW, has_email=False).kind is None
    assert with_phone_flag(["email_role"]) == ["email_role", "phone_wrong"]
    assert with_phone_flag(["phone_wrong"]) == ["phone_wrong"]


def test_call_back_sets_a_call_at_exactly_the_time_asked() -> None:
    at = NOW + timedelta(hours=5, minutes=7)
    step = next_step(CallOutcome.CALL_BACK, now=NOW, call_back_at=at, within_hours=_next_morning)
    assert (step.kind, step.due_at, step.title) == ("call", at, "call_back")


@pytest.mark.parametrize(
    ("when", "code"), [(None, "call_back_time_required"), (NOW - timedelta(minutes=1), "call_back_in_past")]
)
def test_call_back_needs_a_future_time(when: datetime | None, code: str) -> None:
    with pytest.raises(OutcomeError) as err:
        next_step(CallOutcome.CALL_BACK, now=NOW, call_back_at=when)
    assert err.value.code == code


@given(st.sampled_from(list(CallOutcome)), st.integers(min_value=0, max_value=5))
def test_every_outcome_but_a_wrong_number_counts_as_a_contact_attempt(
    outcome: CallOutcome, before: int
) -> None:
    step = next_step(outcome, now=NOW, unanswered_before=before, call_back_at=NOW + timedelta(hours=1))
    assert step.contact_attempt == (outcome is not CallOutcome.WRONG_NUMBER)
    assert step.contact_attempt == (outcome in CONTACT_ATTEMPTS)
    assert step.due_at is None or step.due_at >= NOW
