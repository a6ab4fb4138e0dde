"""What a logged call means and what happens next.

A rep logs a call in two clicks; the next step is decided here so that every rep follows the same playbook:

- **reached**: the call is done; a follow-up call is scheduled (next working day by default) which the rep can
  turn into a meeting.
- **no_answer**, **busy**, **voicemail**: try again later, within working hours (busy soonest, voicemail
  latest). After ``max_attempts`` such calls in a row the phone is given up on and an email task replaces it.
- **wrong_number**: the phone is flagged (``phone_wrong`` on the lead) and an email task is created when the lead
  has an email; with neither, nothing can be scheduled and the step says so.
- **call_back**: the person asked to be called at a given time; a call task is set for exactly then (the time
  is required and must be in the future).

**What counts as a contact attempt** (``Lead.first_contact_at``, the speed-to-lead figure): every outcome in
which the rep dialled the lead's own number — reached, no_answer, busy, voicemail and call_back. A wrong number
never tried the person, so it does not stop the first-contact clock.

Pure: ``now`` is passed in, and moving a time into working hours is a function the caller passes
(``within_hours``), so this module knows nothing of calendars or settings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final


class CallOutcome(StrEnum):
    REACHED = "reached"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    VOICEMAIL = "voicemail"
    WRONG_NUMBER = "wrong_number"
    CALL_BACK = "call_back"


UNANSWERED: Final = frozenset({CallOutcome.NO_ANSWER, CallOutcome.BUSY, CallOutcome.VOICEMAIL})
CONTACT_ATTEMPTS: Final = frozenset(CallOutcome) - {CallOutcome.WRONG_NUMBER}
PHONE_WRONG_FLAG: Final = "phone_wrong"


class OutcomeError(ValueError):
    """Bad input for an outcome; ``code`` names the message the shells translate."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class CallPolicy:
    """How long to wait before the next try, and when to stop calling."""

    retry_after: dict[CallOutcome, timedelta]
    follow_up_after: timedelta = timedelta(days=1)
    max_attempts: int = 3


DEFAULT_POLICY: Final = CallPolicy(
    retry_after={
        CallOutcome.BUSY: timedelta(minutes=30),
        CallOutcome.NO_ANSWER: timedelta(hours=2),
        CallOutcome.VOICEMAIL: timedelta(hours=4),
    }
)


@dataclass(frozen=True, slots=True)
class NextStep:
    """The task to create after a call (``kind`` None: nothing to schedule) and what to record on the lead.

    ``title`` is a message code (``follow_up``, ``retry_call``, ``send_email``, ``call_back``,
    ``no_channel_left``) the shells translate.
    """

    kind: str | None
    due_at: datetime | None
    title: str
    flag_phone: bool
    contact_attempt: bool
    reached: bool


def _identity(at: datetime) -> datetime:
    return at


def next_step(
    outcome: CallOutcome,
    *,
    now: datetime,
    unanswered_before: int = 0,
    call_back_at: datetime | None = None,
    has_email: bool = True,
    policy: CallPolicy = DEFAULT_POLICY,
    within_hours: Callable[[datetime], datetime] = _identity,
) -> NextStep:
    """Decide the next step after a call with ``outcome``.

    ``unanswered_before`` is how many unanswered calls to this lead came just before this one (since the last
    time they were reached). ``within_hours`` maps a time to the first working moment at or after it.
    Raises ``OutcomeError`` (``call_back_time_required``, ``call_back_in_past``) on a bad call-back time.
    """
    attempt = outcome in CONTACT_ATTEMPTS
    if outcome is CallOutcome.REACHED:
        due = within_hours(now + policy.follow_up_after)
        return NextStep("call", due, "follow_up", False, attempt, True)
    if outcome is CallOutcome.CALL_BACK:
        if call_back_at is None:
            raise OutcomeError("call_back_time_required", "Say when to call back.")
        if call_back_at <= now:
            raise OutcomeError("call_back_in_past", "The call-back time must be in the future.")
        return NextStep("call", call_back_at, "call_back", False, attempt, True)
    if outcome is CallOutcome.WRONG_NUMBER:
        if has_email:
            return NextStep("email", within_hours(now), "send_email", True, attempt, False)
        return NextStep(None, None, "no_channel_left", True, attempt, False)
    if unanswered_before + 1 >= policy.max_attempts:
        if has_email:
            return NextStep("email", within_hours(now), "send_email", False, attempt, False)
        return NextStep(None, None, "no_channel_left", False, attempt, False)
    due = within_hours(now + policy.retry_after[outcome])
    return NextStep("call", due, "retry_call", False, attempt, False)


def with_phone_flag(flags: list[str]) -> list[str]:
    """The lead's flags with ``phone_wrong`` added once (a new list, so the ORM sees the change)."""
    return flags if PHONE_WRONG_FLAG in flags else [*flags, PHONE_WRONG_FLAG]
