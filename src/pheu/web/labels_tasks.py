"""What a person reads for the codes of tasks, call outcomes, queue reasons and conversions.

English msgids marked with ``N_`` (translated in the templates with ``_()``). ``NEXT_STEPS`` repeats the titles
``services.calls`` gives new tasks, so the catalogue extractor keeps their translations.
"""

from __future__ import annotations

from typing import Final

from pheu.i18n import N_

TASK_KINDS: Final[dict[str, tuple[str, str]]] = {
    "call": (N_("Call"), "telephone"),
    "meeting": (N_("Meeting"), "people"),
    "email": (N_("Email"), "envelope"),
}

OUTCOMES: Final[dict[str, str]] = {
    "reached": N_("Reached"),
    "no_answer": N_("No answer"),
    "busy": N_("Busy"),
    "voicemail": N_("Voicemail"),
    "wrong_number": N_("Wrong number"),
    "call_back": N_("Call back at…"),
}

# The outcome buttons of a queue row, in the order a rep reaches for them, with their Bootstrap style.
OUTCOME_BUTTONS: Final[tuple[tuple[str, str, str], ...]] = (
    ("reached", "btn-success", "telephone-inbound"),
    ("no_answer", "btn-outline-secondary", "telephone-x"),
    ("busy", "btn-outline-secondary", "hourglass-split"),
    ("voicemail", "btn-outline-secondary", "voicemail"),
    ("wrong_number", "btn-outline-danger", "telephone-minus"),
)

NEXT_STEPS: Final[dict[str, str]] = {
    "follow_up": N_("Follow-up call"),
    "retry_call": N_("Call again"),
    "send_email": N_("Send an email"),
    "call_back": N_("Call back as agreed"),
    "no_channel_left": N_("No phone or email left: find another way to reach this lead."),
}

STATUSES: Final[dict[str, str]] = {
    "open": N_("Open"),
    "done": N_("Done"),
    "cancelled": N_("Cancelled"),
}

# Why a call, task or conversion was refused, by the service's error code.
REFUSALS: Final[dict[str, str]] = {
    "due_required": N_("Say when the task is due."),
    "call_back_time_required": N_("Say when to call back."),
    "call_back_in_past": N_("The call-back time must be in the future."),
    "task_closed": N_("This task was already closed."),
    "task_other_lead": N_("This task belongs to another lead."),
    "ends_before_start": N_("The end must not be before the start."),
    "not_opportunity": N_("Only an opportunity can be won. Convert the lead to an opportunity first."),
    "value_required": N_("Enter the value of the deal."),
    "value_positive": N_("The value must be more than zero."),
    "value_too_large": N_("The value is too large."),
    "currency_invalid": N_("The currency is a three-letter code such as VND."),
    "not_open": N_("This lead is closed and cannot be marked lost."),
    "reason_required": N_("Choose why the lead was lost."),
    "reason_unknown": N_("Choose a reason from the list."),
    "not_recyclable": N_(
        "Only a lost lead, or an SQL or opportunity untouched for 30 days, can go back to nurturing."
    ),
    "reason_exists": N_("A reason with this code exists."),
    "invalid": N_("Some of the information sent is not valid."),
    "forbidden": N_("You are not allowed to see this page or to do this."),
}
