"""Forms and landing pages: building them (admin and marketing only, every change audited) and taking the
public's submissions through spam screening into intake.

A submission lands like any other capture: ``capture_many`` cleans it, merges it into a known person or
creates a lead, keeps it as a rejected record when it reaches no one, and records a ``form_submit`` event.
The web app screens each submission on its own (``screen``) and lands them a batch at a time through a
``SubmissionWriter``, so that a burst of submissions shares transactions instead of queueing for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Final, Literal
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pheu.auth.roles import Principal, Role
from pheu.capture import spam
from pheu.capture.forms import (
    CONSENT_PURPOSES,
    CONTACT_FIELDS,
    FIELD_TYPES,
    KINDS,
    LEAD_MAGNETS,
    SLUG_PATTERN,
    FieldSpec,
    FormSpec,
    Posted,
    kind_for,
    missing_required,
    rejection_errors,
    slugify,
    to_incoming,
)
from pheu.capture.intake import CaptureContext, capture_many
from pheu.capture.prepare import Lookups
from pheu.capture.record import IncomingLead
from pheu.lifecycle import ActorType
from pheu.services import audit
from pheu.services.errors import Forbidden, Invalid, NotFound
from pheu.store import Campaign, Channel, Form
from pheu.store.leads import LEADS

MANAGERS: Final = frozenset({Role.ADMIN, Role.MARKETING})
# Column lengths of the forms table, checked before the database would refuse them.
_LIMITS: Final = {"name": 200, "title": 300, "submit_label": 100, "redirect_url": 1000}
_LABEL_LIMIT: Final = 200
_AUDITED: Final = (
    "slug",
    "name",
    "kind",
    "lead_magnet",
    "fields",
    "title",
    "description",
    "submit_label",
    "consent_text",
    "consent_purposes",
    "thank_you_message",
    "redirect_url",
    "channel",
    "campaign_id",
    "active",
)


def can_manage_forms(role: Role) -> bool:
    """Forms decide what enters the funnel and under which consent: marketing's job, and the admin's."""
    return role in MANAGERS


@dataclass(frozen=True, slots=True)
class FormDraft:
    """A form as the builder sends it; ``normalized`` fills the slug from the name and fixes the kind."""

    name: str
    slug: str = ""
    kind: str = "sales"
    lead_magnet: str = "newsletter"
    fields: tuple[FieldSpec, ...] = ()
    title: str = ""
    description: str = ""
    submit_label: str = ""
    consent_text: str = ""
    consent_purposes: tuple[str, ...] = ()
    thank_you_message: str = ""
    redirect_url: str | None = None
    channel: str | None = "landing_page"
    campaign_id: int | None = None
    active: bool = True

    def normalized(self) -> FormDraft:
        name = self.name.strip()
        return replace(
            self,
            name=name,
            slug=(self.slug.strip().lower() or slugify(name)),
            kind=kind_for(self.kind, self.lead_magnet),
            fields=tuple(replace(f, label=f.label.strip()) for f in self.fields),
            title=self.title.strip(),
            submit_label=self.submit_label.strip(),
            consent_text=self.consent_text.strip(),
            consent_purposes=tuple(dict.fromkeys(self.consent_purposes)),
            redirect_url=(self.redirect_url or "").strip() or None,
            channel=(self.channel or "").strip() or None,
        )


@dataclass(frozen=True, slots=True)
class FormProblem:
    """``field`` is the draft attribute at fault; ``code`` says what is wrong (the pages translate it)."""

    field: str
    code: str


class FormInvalid(Invalid):
    code = "form_invalid"

    def __init__(self, problems: list[FormProblem]) -> None:
        summary = ", ".join(f"{p.field}: {p.code}" for p in problems)
        super().__init__(f"The form cannot be saved: {summary}.")
        self.problems = problems


def draft_problems(draft: FormDraft) -> list[FormProblem]:
    """What is wrong with a normalized draft on its own, without looking at the database."""
    found: list[FormProblem] = []
    if not draft.name:
        found.append(FormProblem("name", "required"))
    for attr, limit in _LIMITS.items():
        if len(getattr(draft, attr) or "") > limit:
            found.append(FormProblem(attr, "too_long"))
    if not SLUG_PATTERN.match(draft.slug):
        found.append(FormProblem("slug", "pattern"))
    if draft.kind not in KINDS:
        found.append(FormProblem("kind", "unknown"))
    if draft.lead_magnet not in LEAD_MAGNETS:
        found.append(FormProblem("lead_magnet", "unknown"))
    found.extend(_field_problems(draft.fields))
    if any(p not in CONSENT_PURPOSES for p in draft.consent_purposes):
        found.append(FormProblem("consent_purposes", "unknown"))
    if draft.consent_purposes and not draft.consent_text:
        found.append(FormProblem("consent_text", "required"))
    if draft.consent_text and not draft.consent_purposes:
        found.append(FormProblem("consent_purposes", "required"))
    if draft.redirect_url and not _is_web_address(draft.redirect_url):
        found.append(FormProblem("redirect_url", "scheme"))
    return found


def _field_problems(fields: tuple[FieldSpec, ...]) -> list[FormProblem]:
    names = [f.name for f in fields]
    found: list[FormProblem] = []
    if any(n not in FIELD_TYPES for n in names):
        found.append(FormProblem("fields", "unknown"))
    if len(set(names)) != len(names):
        found.append(FormProblem("fields", "duplicate"))
    if not CONTACT_FIELDS & set(names):
        found.append(FormProblem("fields", "no_contact"))
    if any(len(f.label) > _LABEL_LIMIT for f in fields):
        found.append(FormProblem("fields", "too_long"))
    return found


def _is_web_address(url: str) -> bool:
    """Only http(s) with a host: a ``javascript:`` or ``data:`` redirect would run script on our page."""
    parts = urlsplit(url)
    return parts.scheme in {"http", "https"} and bool(parts.hostname) and not any(c.isspace() for c in url)


def validate_form(session: Session, draft: FormDraft, form_id: int | None = None) -> list[FormProblem]:
    """Every problem of a normalized draft, including a slug another form uses and an unknown channel or
    campaign. An empty list means it can be saved."""
    found = draft_problems(draft)
    taken = session.scalar(select(Form.id).where(Form.slug == draft.slug, Form.id != (form_id or -1)))
    if taken is not None:
        found.append(FormProblem("slug", "taken"))
    if draft.channel and session.scalar(select(Channel.id).where(Channel.code == draft.channel)) is None:
        found.append(FormProblem("channel", "unknown"))
    if draft.campaign_id is not None and session.get(Campaign, draft.campaign_id) is None:
        found.append(FormProblem("campaign_id", "unknown"))
    return found


def require_manager(principal: Principal) -> None:
    """Raise ``Forbidden`` unless the principal may build forms."""
    if not can_manage_forms(principal.role):
        raise Forbidden("Only administrators and marketing manage forms.")


def list_forms(session: Session, principal: Principal) -> list[Form]:
    """Every form, the most recently changed first."""
    require_manager(principal)
    return list(session.scalars(select(Form).order_by(Form.updated_at.desc(), Form.id.desc())))


def get_form(session: Session, principal: Principal, form_id: int) -> Form:
    require_manager(principal)
    form = session.get(Form, form_id)
    if form is None:
        raise NotFound(f"There is no form {form_id}.")
    return form


def _values(draft: FormDraft) -> dict[str, Any]:
    return {
        "slug": draft.slug,
        "name": draft.name,
        "kind": draft.kind,
        "lead_magnet": draft.lead_magnet,
        "fields": [f.as_json() for f in draft.fields],
        "title": draft.title,
        "description": draft.description,
        "submit_label": draft.submit_label,
        "consent_text": draft.consent_text,
        "consent_purposes": list(draft.consent_purposes),
        "thank_you_message": draft.thank_you_message,
        "redirect_url": draft.redirect_url,
        "channel": draft.channel,
        "campaign_id": draft.campaign_id,
        "active": draft.active,
    }


def _save(session: Session, draft: FormDraft, form_id: int | None) -> FormDraft:
    clean = draft.normalized()
    problems = validate_form(session, clean, form_id)
    if problems:
        raise FormInvalid(problems)
    return clean


def _flush(session: Session) -> None:
    """Two people saving the same slug at once: the unique index decides, and the loser hears why."""
    try:
        session.flush()
    except IntegrityError as exc:
        raise FormInvalid([FormProblem("slug", "taken")]) from exc


def create_form(session: Session, principal: Principal, draft: FormDraft, now: datetime) -> Form:
    """Save a new form; raises ``FormInvalid`` listing every problem."""
    require_manager(principal)
    values = _values(_save(session, draft, None))
    form = Form(**values, submissions=0, created_by=principal.user_id, created_at=now, updated_at=now)
    session.add(form)
    _flush(session)
    audit.record(
        session, at=now, actor=principal, action="create", entity="form", entity_id=form.id, changes=values
    )
    return form


def update_form(
    session: Session, principal: Principal, form_id: int, draft: FormDraft, now: datetime
) -> Form:
    """Change a form; the audit log gets each changed attribute as ``[before, after]``."""
    form = get_form(session, principal, form_id)
    values = _values(_save(session, draft, form_id))
    changes = {k: [getattr(form, k), v] for k, v in values.items() if getattr(form, k) != v}
    if not changes:
        return form
    for key, value in values.items():
        setattr(form, key, value)
    form.updated_at = now
    _flush(session)
    audit.record(
        session, at=now, actor=principal, action="update", entity="form", entity_id=form.id, changes=changes
    )
    return form


def public_form(session: Session, slug: str, *, paused_too: bool = False) -> Form:
    """The form published at ``/f/{slug}``; an inactive one is as absent as an unknown one, unless
    ``paused_too`` (landing submissions it accepted while it was active)."""
    query = select(Form).where(Form.slug == slug)
    form = session.scalar(query if paused_too else query.where(Form.active.is_(True)))
    if form is None:
        raise NotFound(f"There is no {'' if paused_too else 'active '}form '{slug}'.")
    return form


def spec_of(form: Form) -> FormSpec:
    return FormSpec(
        slug=form.slug,
        kind=form.kind,
        lead_magnet=form.lead_magnet,
        fields=tuple(FieldSpec.from_json(f) for f in form.fields or []),
        consent_text=form.consent_text or "",
        consent_purposes=tuple(form.consent_purposes or ()),
    )


@dataclass(frozen=True, slots=True)
class Guard:
    """What spam screening needs from the shell: the signing secret, the limiter, the client's address."""

    secret: str
    limiter: spam.RateLimiter
    client_ip: str | None


SubmitStatus = Literal["accepted", "spam", "expired", "rate_limited", "invalid", "rejected"]


@dataclass(slots=True)
class Submitted:
    """How a submission ended. ``errors`` maps a field name (``""`` for the whole form) to an error code.
    ``lead_id`` is for our own logs and tests; the public must never see it (it would tell whether a person
    was already known)."""

    form: Form
    status: SubmitStatus
    errors: dict[str, str] = field(default_factory=dict)
    lead_id: int | None = None


def screen(form: Form, posted: Posted, guard: Guard, now: datetime) -> Submitted | IncomingLead:
    """Rate limit, spam screening and required fields of one submission, without the database: a refusal as
    ``Submitted``, or the lead it describes, ready for ``land``."""
    if not guard.limiter.allow(spam.rate_key(form.slug, guard.client_ip), now):
        return Submitted(form, "rate_limited")
    verdict, token = spam.screen(posted.values, guard.secret, form.slug, now)
    if verdict.silent or token is None:
        return Submitted(form, "spam")
    if verdict is spam.Verdict.EXPIRED:
        return Submitted(form, "expired", {"": "expired"})
    spec = spec_of(form)
    missing = missing_required(spec.fields, posted.values)
    if missing:
        return Submitted(form, "invalid", missing)
    return to_incoming(spec, posted, external_id=token.nonce, occurred_at=now)


def land(
    session: Session,
    slug: str,
    records: Sequence[IncomingLead],
    now: datetime,
    *,
    lookups: Lookups | None = None,
    accepted_earlier: bool = False,
) -> list[Submitted]:
    """Land screened submissions of form ``slug`` in the session's transaction; one answer per record, in
    order. Raises ``NotFound`` when the form is no longer active, unless the submissions were
    ``accepted_earlier`` (queued while it was: a form paused since then still lands them). A rejected
    record is kept as a ``RejectedRecord``, so the caller must commit even then. ``lookups`` default to
    fresh ones."""
    form = public_form(session, slug, paused_too=accepted_earlier)
    ctx = CaptureContext(
        event_type="form_submit",
        actor_type=ActorType.SYSTEM,
        actor_label=f"form:{slug}",
        default_channel=form.channel,
    )
    on_form = [f.name for f in spec_of(form).fields]
    answers: list[Submitted] = []
    landed: list[int] = []
    for outcome in capture_many(session, records, ctx, now, lookups=lookups):
        if outcome.status == "rejected":
            answers.append(Submitted(form, "rejected", rejection_errors(outcome.problems, on_form)))
            continue
        if outcome.status in {"created", "merged"} and outcome.lead_id is not None:
            landed.append(outcome.lead_id)
        answers.append(Submitted(form, "accepted", lead_id=outcome.lead_id))
    _count(session, form, landed)
    return answers


def submit(session: Session, slug: str, posted: Posted, guard: Guard, now: datetime) -> Submitted:
    """Screen, check and land one public submission of form ``slug`` (``NotFound`` when it is not active).

    A spam submission lands nothing and answers ``spam``, which the shells show as a success. A rejected
    one is kept as a ``RejectedRecord`` in this unit of work, so the caller must commit even then.
    """
    screened = screen(public_form(session, slug), posted, guard, now)
    if isinstance(screened, Submitted):
        return screened
    return land(session, slug, [screened], now)[0]


def _count(session: Session, form: Form, lead_ids: Sequence[int]) -> None:
    """More submissions (an atomic increment: two at once both count), and the form's campaign on the leads
    that have none yet — where a lead came from stays with its first touch."""
    if not lead_ids:
        return
    session.execute(
        update(Form).where(Form.id == form.id).values(submissions=Form.submissions + len(lead_ids))
    )
    if form.campaign_id is not None:
        session.execute(
            update(LEADS)
            .where(LEADS.c.id.in_(set(lead_ids)), LEADS.c.campaign_id.is_(None))
            .values(campaign_id=form.campaign_id)
        )
