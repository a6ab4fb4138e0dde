"""Many leads or many events in one request, each item answered on its own.

A batch never fails as a whole because of one bad item: an item that is not a valid lead object is kept as a
rejected record (with its reasons) and reported, and the good items still land. Items arrive unparsed so that
one bad item cannot refuse the whole body; each is checked here and answered in the shape intake uses
(which field, what was wrong, what would be accepted). A sales rep's key only learns the ids of its own leads.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model
from sqlalchemy import insert, or_, select
from sqlalchemy.orm import Session

from pheu.auth.roles import Principal, sees_only_own_leads
from pheu.capture.intake import CaptureContext, Outcome, capture_many
from pheu.capture.record import LEAD_FIELDS, ConsentGiven, IncomingLead
from pheu.clean.contact import ContactError, normalize_email, normalize_phone
from pheu.lifecycle import ActorType
from pheu.services import rejected
from pheu.services.leads import visible
from pheu.services.schemas import ConsentIn, EventIn
from pheu.store import Event, Lead

_Text = Annotated[str | None, Field(default=None, max_length=5000)]
# An item refused before intake: (source, raw values, reasons), kept as a rejected record.
Refused = tuple[str, dict[str, Any], list[dict[str, Any]]]
LEAD_STATUSES: Final = ("created", "merged", "rejected", "duplicate_delivery")
EVENT_STATUSES: Final = ("created", "duplicate", "not_found", "invalid")
ANOTHER_LEAD: Final = "This source and external_id already belong to another lead's event."


class _LeadItemBase(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    interests: str | list[str] | None = None
    source: str | None = Field(default=None, max_length=36, pattern=r"^[A-Za-z0-9_.:-]+$")
    external_id: str | None = Field(default=None, max_length=200)
    consents: list[ConsentIn] = Field(default_factory=list)


# The capture field names (LeadFields' names as intake knows them), every value plain text.
LeadItem: type[_LeadItemBase] = create_model(  # type: ignore[call-overload]
    "LeadItem",
    __base__=_LeadItemBase,
    **dict.fromkeys(sorted(LEAD_FIELDS - {"interests"}), (_Text, None)),
)


class EventItem(EventIn):
    lead_id: int | None = None
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=40)


LEAD_ITEM_FIELDS = frozenset(LeadItem.model_fields)
EVENT_ITEM_FIELDS = frozenset(EventItem.model_fields)


def capture_leads(session: Session, principal: Principal, items: list[Any], now: datetime) -> dict[str, Any]:
    """Capture each item as a lead: created, merged into the person it names (same email or mobile), or
    rejected with its reasons (and kept to be fixed under /rejected). Returns ``results`` (one per item, in
    order, with its ``index``) and a ``summary`` counting each status of ``LEAD_STATUSES``."""
    good: list[tuple[int, IncomingLead]] = []
    bad: list[tuple[int, Refused]] = []
    for i, item in enumerate(items):
        parsed = _lead_item(item)
        if isinstance(parsed, IncomingLead):
            good.append((i, parsed))
        else:
            bad.append((i, parsed))
    capture = CaptureContext(
        event_type="api_create",
        actor_type=ActorType.API,
        actor_label=principal.label,
        actor_user_id=principal.user_id,
        owner_id=principal.user_id if sees_only_own_leads(principal.role) else None,
    )
    outcomes: dict[int, Outcome] = {}
    kept = rejected.keep(session, [refused for _, refused in bad], now)
    for (i, (_, _, reasons)), rejected_id in zip(bad, kept, strict=True):
        outcomes[i] = Outcome("rejected", problems=reasons, rejected_id=rejected_id)
    landed = capture_many(session, [record for _, record in good], capture, now)
    outcomes.update(zip([i for i, _ in good], landed, strict=True))
    hidden = _hidden_leads(session, principal, {o.lead_id for o in outcomes.values() if o.lead_id})
    results = [
        {
            "index": i,
            "status": o.status,
            "lead_id": None if o.lead_id in hidden else o.lead_id,
            "problems": o.problems,
            "rejected_id": o.rejected_id,
        }
        for i, o in sorted(outcomes.items())
    ]
    return {"results": results, "summary": _summary(results, LEAD_STATUSES)}


def _lead_item(item: Any) -> IncomingLead | Refused:
    """An item as intake's input, or as (source, raw values, reasons) when it is not a valid lead object."""
    if not isinstance(item, dict):
        reason = {
            "field": "",
            "code": "not_an_object",
            "message": "Each item must be a JSON object.",
            "accepted": '{"full_name": "…", "email": "…", "phone": "…"}',
        }
        return "api", {"item": rejected.as_text(item)}, [reason]
    try:
        lead = LeadItem.model_validate(item)
    except ValidationError as exc:
        source = item.get("source")
        label = f"api:{source}"[:80] if isinstance(source, str) and source else "api"
        return label, item, [_reason(err) for err in exc.errors()]
    values = lead.model_dump(exclude_none=True)
    interests = values.pop("interests", None)
    fields = {k: v for k, v in values.items() if k in LEAD_FIELDS and v != ""}
    if interests:
        fields["interests"] = interests if isinstance(interests, str) else ", ".join(interests)
    return IncomingLead(
        fields=fields,
        source=f"api:{lead.source}" if lead.source else "api",
        external_id=lead.external_id or None,
        consents=tuple(ConsentGiven(c.purpose, c.granted, c.text) for c in lead.consents),
    )


def _reason(err: Any, fields: frozenset[str] = LEAD_ITEM_FIELDS) -> dict[str, str]:
    """A Pydantic error in the shape intake uses: which field, what was wrong, what would be accepted."""
    field = ".".join(str(p) for p in err.get("loc", ()))
    accepted = {
        "extra_forbidden": "one of: " + ", ".join(sorted(fields)),
        "string_type": 'text in quotes, e.g. "0901234567"',
        "string_too_long": f"at most {err.get('ctx', {}).get('max_length', '')} characters",
        "string_pattern_mismatch": "letters, digits and _ . : - only",
        "literal_error": "one of the values listed in the message",
    }.get(err.get("type", ""), "see the message")
    return {
        "field": field,
        "code": str(err.get("type", "invalid")),
        "message": str(err.get("msg", "")),
        "accepted": accepted,
    }


def _hidden_leads(session: Session, principal: Principal, lead_ids: set[int]) -> set[int]:
    """Leads a sales rep's key may not see (a merge into another rep's lead): their ids are not given out."""
    if not lead_ids or not sees_only_own_leads(principal.role):
        return set()
    seen = set(session.scalars(visible(select(Lead.id).where(Lead.id.in_(lead_ids)), principal)))
    return lead_ids - seen


def record_events(session: Session, principal: Principal, items: list[Any], now: datetime) -> dict[str, Any]:
    """Record each item as a touch on the lead it names by ``lead_id``, ``email`` or ``phone``. A lead the key
    may not see answers ``not_found``; a repeated ``source`` + ``external_id`` answers ``duplicate`` (also
    within the batch); ``occurred_at`` must carry a time zone and not lie after ``now``. Returns ``results``
    and a ``summary`` counting each status of ``EVENT_STATUSES``."""
    results: list[dict[str, Any]] = [_event_result(i) for i in range(len(items))]
    parsed: dict[int, EventItem] = {}
    for i, item in enumerate(items):
        try:
            parsed[i] = EventItem.model_validate(item)
        except ValidationError as exc:
            results[i]["problems"] = [_reason(err, EVENT_ITEM_FIELDS) for err in exc.errors()]
    targets = _resolve(session, principal, parsed, results)
    delivered = _delivered(session, [parsed[i] for i in targets])
    rows: dict[int, dict[str, Any]] = {}
    first_copy: dict[tuple[str, str], tuple[int, int]] = {}  # (source, external_id) -> (index, lead id)
    for i, lead_id in targets.items():
        event, result = parsed[i], results[i]
        result["lead_id"] = lead_id
        occurred = event.occurred_at or now
        natural = (event.source, event.external_id) if event.external_id else None
        earlier = delivered.get(natural) if natural else None
        if natural and earlier is None and natural in first_copy:
            earlier = (-1 - first_copy[natural][0], first_copy[natural][1])  # resolved after the insert
        if problem := _time_problem(occurred, now):
            result["problems"] = [problem]
        elif earlier is not None and earlier[1] != lead_id:
            result["problems"] = [_problem("external_id", "belongs_to_another_lead", ANOTHER_LEAD)]
        elif earlier is not None:
            result.update(status="duplicate", event_id=earlier[0])
        else:
            result["status"] = "created"
            if natural:
                first_copy[natural] = (i, lead_id)
            rows[i] = {
                "lead_id": lead_id,
                "type": event.type,
                "occurred_at": occurred,
                "properties": event.properties,
                "source": event.source,
                "external_id": event.external_id,
                "created_at": now,
            }
    _insert_events(session, rows, results)
    return {"results": results, "summary": _summary(results, EVENT_STATUSES)}


def _resolve(
    session: Session, principal: Principal, parsed: dict[int, EventItem], results: list[dict[str, Any]]
) -> dict[int, int]:
    """Item index → lead id, by id, then email, then phone, among the leads this key may see (oldest wins)."""
    wanted: dict[int, tuple[str, Any]] = {}
    for i, item in parsed.items():
        try:
            email, phone = normalize_email(item.email), normalize_phone(item.phone)
        except ContactError as exc:
            results[i]["problems"] = [_problem(exc.field, "invalid", exc.message)]
            continue
        key = (
            ("id", item.lead_id)
            if item.lead_id is not None
            else ("email", email)
            if email
            else ("phone", phone)
        )
        if key[1] is None:
            results[i]["problems"] = [
                _problem("lead_id", "missing", "Name the lead by lead_id, email or phone.")
            ]
            continue
        wanted[i] = key
    by_kind: dict[str, set[Any]] = {"id": set(), "email": set(), "phone": set()}
    for kind, value in wanted.values():
        by_kind[kind].add(value)
    found: dict[tuple[str, Any], int] = {}
    if wanted:
        stmt = select(Lead.id, Lead.email, Lead.phone).where(
            or_(
                Lead.id.in_(by_kind["id"]), Lead.email.in_(by_kind["email"]), Lead.phone.in_(by_kind["phone"])
            )
        )
        for lead_id, email, phone in session.execute(visible(stmt, principal).order_by(Lead.id)):
            for key in (("id", lead_id), ("email", email), ("phone", phone)):
                found.setdefault(key, lead_id)
    targets: dict[int, int] = {}
    for i, key in wanted.items():
        if key in found:
            targets[i] = found[key]
        else:
            results[i].update(status="not_found", problems=[_problem(key[0], "not_found", "No such lead.")])
    return targets


def _delivered(session: Session, events: list[EventItem]) -> dict[tuple[str, str], tuple[int, int]]:
    by_source: dict[str, set[str]] = {}
    for e in events:
        if e.external_id:
            by_source.setdefault(e.source, set()).add(e.external_id)
    found: dict[tuple[str, str], tuple[int, int]] = {}
    for source, ids in by_source.items():
        stmt = select(Event.external_id, Event.id, Event.lead_id).where(
            Event.source == source, Event.external_id.in_(ids)
        )
        for ext, event_id, lead_id in session.execute(stmt):
            found[(source, str(ext))] = (event_id, lead_id)
    return found


def _insert_events(session: Session, rows: dict[int, dict[str, Any]], results: list[dict[str, Any]]) -> None:
    if not rows:
        return
    stmt = insert(Event).returning(Event.id, sort_by_parameter_order=True)
    ids = [r[0] for r in session.execute(stmt, list(rows.values()))]
    for i, event_id in zip(rows, ids, strict=True):
        results[i]["event_id"] = event_id
    for result in results:  # a repeat inside the batch points at its first copy's new id
        if result["status"] == "duplicate" and result["event_id"] < 0:
            result["event_id"] = results[-1 - result["event_id"]]["event_id"]


def _time_problem(occurred: datetime, now: datetime) -> dict[str, str] | None:
    if occurred.tzinfo is None:
        return _problem(
            "occurred_at", "no_time_zone", "occurred_at needs a time zone, e.g. 2026-11-26T09:30:00+07:00."
        )
    if occurred > now:
        return _problem(
            "occurred_at", "in_future", "occurred_at is in the future; events record what happened."
        )
    return None


def _problem(field: str, code: str, message: str) -> dict[str, str]:
    return {"field": field, "code": code, "message": message, "accepted": ""}


def _event_result(index: int) -> dict[str, Any]:
    return {"index": index, "status": "invalid", "lead_id": None, "event_id": None, "problems": []}


def _summary(results: list[dict[str, Any]], statuses: tuple[str, ...]) -> dict[str, int]:
    counts = dict.fromkeys(statuses, 0)
    for result in results:
        counts[result["status"]] += 1
    return counts
