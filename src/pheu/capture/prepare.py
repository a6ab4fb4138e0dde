"""Turning one raw submission into the values of a lead, or into a rejection with every reason.

Pure: the lookups it needs (channel codes, campaign slugs, column limits) are passed in. A row is rejected
only when it identifies no one; a bad field is flagged and left out, and the rest of the row still lands.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from pheu.capture.record import LEAD_FIELDS, IncomingLead
from pheu.clean.quality import FieldProblem, clean_contact
from pheu.clean.search import fold, phone_search_forms, search_key
from pheu.lifecycle import LeadKind

TEXT_FIELDS = tuple(
    sorted(LEAD_FIELDS - {"full_name", "email", "phone", "channel", "kind", "interests", "country"})
)
RECRUITMENT_MAGNETS = frozenset({"job_application", "job", "cv", "ung_tuyen"})


@dataclass(frozen=True, slots=True)
class Lookups:
    channels: Mapping[str, int]
    campaigns: Mapping[str, tuple[int, int]]  # utm_campaign -> (campaign id, channel id)
    limits: Mapping[str, int]


@dataclass(slots=True)
class PreparedLead:
    """Column values for a new lead (or for merging into an existing one), with what cleaning noticed."""

    values: dict[str, Any]
    keys: set[str]
    flags: list[str]
    problems: list[FieldProblem]
    answers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Rejection:
    reasons: list[dict[str, str]]


def prepare(
    record: IncomingLead, lookups: Lookups, *, default_channel: str | None, bought_list: bool
) -> PreparedLead | Rejection:
    raw = {k: v.strip() if isinstance(v, str) else "" for k, v in record.fields.items()}
    country = (raw.get("country") or "VN").upper()[:2] if len(raw.get("country", "")) == 2 else "VN"
    contact = clean_contact(raw.get("full_name"), raw.get("email"), raw.get("phone"), region=country)
    if not contact.identifies_someone:
        return Rejection([_reason(p) for p in contact.problems] or [_no_contact()])
    values: dict[str, Any] = {
        "full_name": contact.name,
        "email": contact.email.address if contact.email.usable or contact.email.role_address else None,
        "phone": contact.phone.e164 if contact.phone.valid else None,
        "country": country,
    }
    flags = list(contact.flags)
    problems = list(contact.problems)
    name_limit = lookups.limits.get("full_name")
    if name_limit and values["full_name"] and len(values["full_name"]) > name_limit:
        flags.append("full_name_truncated")
        values["full_name"] = values["full_name"][:name_limit].rstrip()
    for name in TEXT_FIELDS:
        value = raw.get(name) or None
        if value is not None:
            limit = lookups.limits.get(name)
            if limit and len(value) > limit:
                flags.append(f"{name}_truncated")
                value = value[:limit]
            values[name] = value
    if raw.get("interests"):
        values["interests"] = [i.strip() for i in raw["interests"].replace(";", ",").split(",") if i.strip()]
    values.update(_origin(raw, lookups, default_channel, flags, problems))
    values["kind"] = _kind(raw).value
    if bought_list:
        flags.append("bought_list")
    values["flags"] = sorted(set(flags))
    values["search_key"] = search_key(
        values.get("full_name"),
        values.get("email"),
        phone_search_forms(values.get("phone")),
        values.get("company"),
    )
    values["name_key"] = fold(values.get("full_name") or values.get("email") or "")
    keys = set()
    if contact.email.personal and contact.email.address:
        keys.add(f"email:{contact.email.address}")
    if contact.phone.personal and contact.phone.e164:
        keys.add(f"phone:{contact.phone.e164}")
    return PreparedLead(
        values=values, keys=keys, flags=values["flags"], problems=problems, answers=dict(record.answers)
    )


def _origin(
    raw: Mapping[str, str],
    lookups: Lookups,
    default_channel: str | None,
    flags: list[str],
    problems: list[FieldProblem],
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    code = (raw.get("channel") or default_channel or "").strip().lower() or None
    if code is not None:
        channel_id = lookups.channels.get(code)
        if channel_id is None:
            flags.append("channel_unknown")
            problems.append(
                FieldProblem(
                    "channel",
                    "unknown",
                    f"Unknown channel '{code}'.",
                    "one of " + ", ".join(sorted(lookups.channels)),
                )
            )
        out["channel_id"] = channel_id
    slug = raw.get("utm_campaign")
    if slug and slug in lookups.campaigns:
        campaign_id, channel_id = lookups.campaigns[slug]
        out["campaign_id"] = campaign_id
        if out.get("channel_id") is None:
            out["channel_id"] = channel_id
    return out


def _kind(raw: Mapping[str, str]) -> LeadKind:
    if (raw.get("kind") or "").lower() == LeadKind.RECRUITMENT.value:
        return LeadKind.RECRUITMENT
    if fold(raw.get("lead_magnet") or "").replace(" ", "_") in RECRUITMENT_MAGNETS:
        return LeadKind.RECRUITMENT
    return LeadKind.SALES


def _reason(problem: FieldProblem) -> dict[str, str]:
    return {
        "field": problem.field,
        "code": problem.code,
        "message": problem.message,
        "accepted": problem.accepted,
    }


NO_CONTACT_ACCEPTED: Final = "an email like ten@congty.vn or a Vietnamese mobile like 0901234567"
UNREADABLE_ACCEPTED: Final = "a row with one value per column"


def _no_contact() -> dict[str, str]:
    return {
        "field": "email",
        "code": "no_contact",
        "message": "The record has neither a usable email address nor a usable phone number.",
        "accepted": NO_CONTACT_ACCEPTED,
    }


def merge_time(record: IncomingLead, now: datetime) -> datetime:
    return record.occurred_at or now
