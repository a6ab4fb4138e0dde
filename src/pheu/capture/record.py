"""What every capture path hands to intake: one person's details as they arrived, not yet cleaned.

Values stay raw strings so that a row with one bad field can still land with that field flagged, instead of
being refused by a strict schema at the door.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

# The canonical field names a mapper may fill; they match the lead's columns (see pheu.services.schemas).
LEAD_FIELDS: frozenset[str] = frozenset(
    {
        "full_name",
        "email",
        "phone",
        "job_title",
        "company",
        "industry",
        "company_size",
        "country",
        "province",
        "city",
        "age_range",
        "gender",
        "income_range",
        "marital_status",
        "interests",
        "channel",
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "utm_term",
        "utm_content",
        "landing_page",
        "referrer",
        "lead_magnet",
        "kind",
        "notes",
    }
)


@dataclass(frozen=True, slots=True)
class ConsentGiven:
    purpose: str
    granted: bool
    text: str | None = None


@dataclass(frozen=True, slots=True)
class IncomingLead:
    """One submission. ``fields`` uses the names in ``LEAD_FIELDS``; anything else the person answered
    (custom questions of a form or ad) goes to ``answers`` and is kept on the lead's capture event."""

    fields: dict[str, str]
    source: str
    external_id: str | None = None
    occurred_at: datetime | None = None
    consents: tuple[ConsentGiven, ...] = ()
    answers: dict[str, str] = field(default_factory=dict)
