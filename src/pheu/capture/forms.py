"""Web forms as a capture path — the pure part: what a marketer may put on a form, and how one posted
submission becomes an ``IncomingLead``.

Nothing here reads the clock, the request or the database: the shells hand in what was posted (form-encoded
or JSON, already flattened to text) and the form's definition, and get plain values back. Spam screening
lives next door in ``pheu.capture.spam``; landing the lead is ``pheu.capture.intake``'s job.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from pheu.capture.record import ConsentGiven, IncomingLead
from pheu.clean.search import fold
from pheu.lifecycle import LeadKind

# The lead fields a builder may put on a form, in the order the builder offers them, with their input type.
FIELD_TYPES: Final[dict[str, str]] = {
    "full_name": "text",
    "email": "email",
    "phone": "tel",
    "company": "text",
    "job_title": "text",
    "industry": "text",
    "company_size": "text",
    "province": "text",
    "city": "text",
    "age_range": "text",
    "gender": "text",
    "interests": "text",
    "notes": "textarea",
}
FORM_FIELDS: Final[tuple[str, ...]] = tuple(FIELD_TYPES)
CONTACT_FIELDS: Final = frozenset({"email", "phone"})
LEAD_MAGNETS: Final = (
    "coupon",
    "ebook",
    "webinar",
    "trial",
    "newsletter",
    "event",
    "consultation",
    "job_application",
)
RECRUITMENT_MAGNET: Final = "job_application"
KINDS: Final = tuple(k.value for k in LeadKind)
CONSENT_PURPOSES: Final = ("email_marketing", "sms", "phone_call", "zalo", "data_processing")
UTM_FIELDS: Final = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
ORIGIN_FIELDS: Final = (*UTM_FIELDS, "landing_page", "referrer")
CONSENT_FIELD: Final = "consent"
# A consent value meaning "every purpose the form asks for": JSON ``true``, or a lone checkbox's "on".
ALL_PURPOSES: Final = "*"
_YES: Final = frozenset({"on", "true", "1", "yes", ALL_PURPOSES})
# One value longer than this is cut before anything else looks at it: a form field is not a file upload.
MAX_VALUE_CHARS: Final = 4000
SLUG_PATTERN: Final = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One input of a form. ``label`` may be blank: the page then shows the field's name in its language."""

    name: str
    label: str = ""
    required: bool = False

    @property
    def type(self) -> str:
        return FIELD_TYPES.get(self.name, "text")

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "label": self.label, "type": self.type, "required": self.required}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FieldSpec:
        return cls(str(data.get("name", "")), str(data.get("label") or ""), bool(data.get("required")))


@dataclass(frozen=True, slots=True)
class FormSpec:
    """What a submission needs to know about its form, detached from the database row."""

    slug: str
    kind: str
    lead_magnet: str
    fields: tuple[FieldSpec, ...]
    consent_text: str = ""
    consent_purposes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Posted:
    """One submission as it arrived: every scalar as text, the consent purposes the person ticked, and the
    ``Referer`` header of the post (``None`` when the browser sent none)."""

    values: Mapping[str, str]
    consents: frozenset[str] = frozenset()
    referer: str | None = None


def slugify(text: str) -> str:
    """A slug suggestion from a form's name: "Ưu đãi Tết 2027" → "uu-dai-tet-2027"."""
    return _NOT_SLUG.sub("-", fold(text)).strip("-")[:80].strip("-")


def _text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else ""
    if isinstance(value, str | int | float):
        return str(value)[:MAX_VALUE_CHARS]
    return None


def posted_from_form(items: Iterable[tuple[str, Any]], referer: str | None) -> Posted:
    """A form-encoded post: ``consent`` may repeat, one value per ticked purpose; files are ignored."""
    values: dict[str, str] = {}
    consents: set[str] = set()
    for key, value in items:
        text = _text(value)
        if text is None:
            continue
        if key == CONSENT_FIELD:
            consents.add(ALL_PURPOSES if text.lower() in _YES else text)
        else:
            values.setdefault(key, text)
    return Posted(values, frozenset(consents), referer)


def posted_from_json(body: Any, referer: str | None) -> Posted | None:
    """A JSON post: an object of field → value. ``consent`` is ``true`` (every purpose of the form), a purpose
    or a list of purposes. Anything but an object answers ``None``."""
    if not isinstance(body, dict):
        return None
    values = {str(k): t for k, v in body.items() if k != CONSENT_FIELD and (t := _text(v)) is not None}
    raw = body.get(CONSENT_FIELD)
    if raw is True:
        consents = {ALL_PURPOSES}
    elif isinstance(raw, str):
        consents = {raw}
    elif isinstance(raw, list):
        consents = {str(p) for p in raw if isinstance(p, str)}
    else:
        consents = set()
    return Posted(values, frozenset(consents), referer)


def page_origin(
    query: Mapping[str, str], referer: str | None, page_url: str, *, embedded: bool
) -> dict[str, str]:
    """The hidden values a landing page carries to its submit: UTM tags from its own address, where the
    visitor came from, and the page they landed on.

    A form shown in an iframe learns the host page from ``landing_page``/``referrer`` in its address (the
    embed script sends them) or, failing that, from the ``Referer`` of the iframe request, which is the host.
    """
    origin = {k: query[k][:MAX_VALUE_CHARS] for k in UTM_FIELDS if query.get(k)}
    landing = query.get("landing_page") or (referer if embedded else None) or page_url
    origin["landing_page"] = landing[:MAX_VALUE_CHARS]
    came_from = query.get("referrer") or (None if embedded else referer)
    if came_from:
        origin["referrer"] = came_from[:MAX_VALUE_CHARS]
    return origin


def submission_origin(posted: Posted) -> dict[str, str]:
    """UTM tags, landing page and referrer of a submission: the posted values first; else the ``Referer``
    header is the page the form sat on (so it is the landing page, and says nothing of where they came from)."""
    origin = {k: posted.values[k] for k in ORIGIN_FIELDS if posted.values.get(k)}
    if "landing_page" not in origin and posted.referer:
        origin["landing_page"] = posted.referer[:MAX_VALUE_CHARS]
    return origin


def missing_required(fields: Sequence[FieldSpec], values: Mapping[str, str]) -> dict[str, str]:
    """Field name → ``"required"`` for every required field left blank."""
    return {f.name: "required" for f in fields if f.required and not (values.get(f.name) or "").strip()}


def kind_for(kind: str, lead_magnet: str) -> str:
    """A job application always makes a recruitment lead, whatever the form's kind says."""
    return LeadKind.RECRUITMENT.value if lead_magnet == RECRUITMENT_MAGNET else kind


def to_incoming(
    form: FormSpec, posted: Posted, *, external_id: str | None, occurred_at: datetime | None
) -> IncomingLead:
    """The lead a submission describes. Only the form's own fields are taken from what was posted (a bot
    cannot fill ``kind`` or ``channel``); every purpose of the form gets a consent row, granted only if the
    person ticked it — never assumed."""
    fields = {f.name: posted.values[f.name] for f in form.fields if posted.values.get(f.name)}
    fields.update(submission_origin(posted))
    fields["lead_magnet"] = form.lead_magnet
    fields["kind"] = kind_for(form.kind, form.lead_magnet)
    consents = tuple(
        ConsentGiven(purpose, bool({purpose, ALL_PURPOSES} & posted.consents), text=form.consent_text or None)
        for purpose in form.consent_purposes
    )
    return IncomingLead(
        fields=fields,
        source=f"form:{form.slug}",
        external_id=external_id,
        occurred_at=occurred_at,
        consents=consents,
    )


def rejection_errors(reasons: Sequence[Mapping[str, Any]], on_form: Iterable[str]) -> dict[str, str]:
    """Field name → error code for a submission intake refused, limited to fields the person can see.

    ``no_contact`` means "give an email or a phone"; it is put on every contact field of the form, or on the
    form itself (key ``""``) when the form shows none of the fields at fault.
    """
    shown = set(on_form)
    errors: dict[str, str] = {}
    for reason in reasons:
        field = str(reason.get("field", ""))
        code = "no_contact" if reason.get("code") in {"missing", "no_contact"} else "invalid"
        if field in CONTACT_FIELDS and field in shown:
            errors.setdefault(field, code)
    return errors or {"": "no_contact"}
