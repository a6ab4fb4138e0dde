"""Leads: create, read, update, list. Every read is narrowed to what the principal may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, String, and_, cast, func, not_, or_, select, text
from sqlalchemy.orm import InstrumentedAttribute, Session

from pheu import lifecycle
from pheu.auth.roles import Principal, Role, can_reassign, sees_only_own_leads
from pheu.clean.contact import ContactError, normalize_email, normalize_name, normalize_phone
from pheu.clean.search import fold, phone_search_forms, search_key
from pheu.services import audit, pagination
from pheu.services.errors import Forbidden, Invalid, NotFound
from pheu.services.schemas import ConsentIn, LeadIn, LeadPatch, LeadQuery
from pheu.store import Campaign, Channel, Consent, Lead, StageChange, User

_SORTS: dict[str, tuple[InstrumentedAttribute[Any], bool]] = {
    "created_at": (Lead.created_at, False),
    "-created_at": (Lead.created_at, True),
    "updated_at": (Lead.updated_at, False),
    "-updated_at": (Lead.updated_at, True),
    "score": (Lead.score, False),
    "-score": (Lead.score, True),
    "name": (Lead.name_key, False),
    "-name": (Lead.name_key, True),
}

_S = TypeVar("_S", bound="Select[*tuple[Any, ...]]")

_PLAIN_FIELDS = (
    "job_title",
    "company",
    "industry",
    "company_size",
    "province",
    "city",
    "age_range",
    "gender",
    "income_range",
    "marital_status",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "landing_page",
    "referrer",
    "lead_magnet",
    "notes",
)


@dataclass(frozen=True, slots=True)
class LeadPage:
    items: list[Lead]
    next_cursor: str | None


def visible(stmt: _S, principal: Principal) -> _S:
    """Narrow a query on leads to the ones this principal may see: a rep their own, a sales manager their
    team's and the unassigned ones (so they can hand those out), everyone else all."""
    if sees_only_own_leads(principal.role):
        return stmt.where(Lead.owner_id == principal.user_id)
    if principal.role is Role.SALES_MANAGER:
        team = select(User.id).where(User.team_id == principal.team_id) if principal.team_id else None
        mine = Lead.owner_id == principal.user_id
        return stmt.where(or_(Lead.owner_id.is_(None), mine if team is None else Lead.owner_id.in_(team)))
    return stmt


def visibility_key(principal: Principal) -> tuple[Role, int, int | None]:
    """Everything of a principal that ``visible`` reads: principals with the same key see the same leads, so a
    statement it narrowed may be kept and reused under this key. Change the two together."""
    return principal.role, principal.user_id, principal.team_id


def get_lead(session: Session, principal: Principal, lead_id: int) -> Lead:
    lead: Lead | None = (
        session.scalars(visible(select(Lead).where(Lead.id == lead_id), principal)).unique().first()
    )
    if lead is None:
        raise NotFound(f"No lead with id {lead_id}.")
    return lead


def create_lead(session: Session, principal: Principal | None, data: LeadIn, now: datetime) -> Lead:
    """Create a lead in its kind's first stage and record that first stage as a move."""
    lead = Lead(kind=data.kind.value, stage=lifecycle.initial_stage(data.kind).value, interests=[])
    lead.created_at = lead.updated_at = lead.stage_changed_at = now
    changes = _apply_fields(session, principal, lead, data, data.model_fields_set | {"country"})
    if not lead.email and not lead.phone:
        raise Invalid("A lead needs an email address or a phone number to identify them.", field="email")
    if principal is not None and sees_only_own_leads(principal.role):
        lead.owner_id = principal.user_id
    session.add(lead)
    session.flush()
    _set_consents(session, lead, data.consents, now, default_source=_source_label(principal))
    actor = _actor(principal)
    session.add(
        StageChange(
            lead_id=lead.id,
            from_stage=None,
            to_stage=lead.stage,
            at=now,
            actor_type=actor.type.value,
            actor_user_id=actor.user_id,
            actor_label=actor.label,
            reason="created",
        )
    )
    audit.record(
        session, at=now, actor=principal, action="create", entity="lead", entity_id=lead.id, changes=changes
    )
    return lead


def update_lead(
    session: Session, principal: Principal, lead_id: int, patch: LeadPatch, now: datetime
) -> Lead:
    lead = get_lead(session, principal, lead_id)
    fields = set(patch.model_fields_set) - {"consents"}
    if "owner_id" in fields and patch.owner_id != lead.owner_id and not can_reassign(principal.role):
        raise Forbidden(
            "Only a manager, marketer or admin can give a lead to someone else.", field="owner_id"
        )
    previous_owner = lead.owner_id
    if "owner_id" in fields and patch.owner_id != previous_owner and principal.role is Role.SALES_MANAGER:
        from pheu.services.reassign import assignable_reps  # reassign builds on this module

        if patch.owner_id is not None and patch.owner_id not in {
            u.id for u in assignable_reps(session, principal)
        }:
            raise Invalid(f"User {patch.owner_id} is not a rep of your team.", field="owner_id")
    changes = _apply_fields(session, principal, lead, patch, fields)
    if lead.owner_id != previous_owner:
        from pheu.services.reassign import record_owner_change

        record_owner_change(session, principal, lead, previous_owner, now)
    if not lead.email and not lead.phone:
        raise Invalid("A lead needs an email address or a phone number to identify them.", field="email")
    if patch.consents is not None:
        changes["consents"] = _set_consents(
            session, lead, patch.consents, now, default_source=_source_label(principal)
        )
    if changes:
        lead.updated_at = now
        audit.record(
            session,
            at=now,
            actor=principal,
            action="update",
            entity="lead",
            entity_id=lead.id,
            changes=changes,
        )
    return lead


def list_leads(session: Session, principal: Principal, query: LeadQuery) -> LeadPage:
    column, desc = _SORTS[query.sort]
    stmt = visible(_filtered(select(Lead), query, session), principal)
    if query.cursor:
        value, row_id = pagination.decode(query.cursor)
        stmt = stmt.where(pagination.after(column, Lead.id, value, row_id, desc))
    order = (column.desc(), Lead.id.desc()) if desc else (column.asc(), Lead.id.asc())
    rows = list(session.scalars(stmt.order_by(*order).limit(query.limit + 1)).unique())
    next_cursor = None
    if len(rows) > query.limit:
        rows = rows[: query.limit]
        last = rows[-1]
        next_cursor = pagination.encode(getattr(last, column.key), last.id)
    return LeadPage(items=rows, next_cursor=next_cursor)


def count_leads(session: Session, principal: Principal, query: LeadQuery) -> int:
    stmt = visible(_filtered(select(func.count()).select_from(Lead), query, session), principal)
    return int(session.scalar(stmt) or 0)


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


# How many FTS matches still count as a "rare" term on SQLite; see ``_text_match``.
FTS_SELECTIVE = 2000
_FTS_IDS = text("SELECT rowid FROM leads_fts WHERE search_key LIKE :needle LIMIT :limit")


def _text_match(session: Session | None, needle: str) -> ColumnElement[bool]:
    """A substring match on the folded search key.

    PostgreSQL's planner serves the plain LIKE from its pg_trgm index. SQLite cannot index a LIKE '%…%', so
    a rare term is looked up in the FTS5 trigram table (migration 0003) and the matching ids drive the query,
    while a common term keeps the plain LIKE: walking the sort index finds a page of matches at once.
    """
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    plain = Lead.search_key.like(f"%{escaped}%", escape="\\")
    if session is None or _dialect(session) != "sqlite" or len(needle) < 3 or escaped != needle:
        return plain
    ids = list(session.scalars(_FTS_IDS, {"needle": f"%{needle}%", "limit": FTS_SELECTIVE + 1}))
    return Lead.id.in_(ids) if len(ids) <= FTS_SELECTIVE else plain


def _filtered(stmt: Select[Any], query: LeadQuery, session: Session | None = None) -> Select[Any]:
    if query.stage:
        stmt = stmt.where(Lead.stage.in_([s.value for s in query.stage]))
    if query.channel:
        stmt = stmt.where(Lead.channel_id.in_(select(Channel.id).where(Channel.code.in_(query.channel))))
    if query.campaign_id is not None:
        stmt = stmt.where(Lead.campaign_id == query.campaign_id)
    if query.unassigned:
        stmt = stmt.where(Lead.owner_id.is_(None))
    elif query.owner_id is not None:
        stmt = stmt.where(Lead.owner_id == query.owner_id)
    if query.kind is not None:
        stmt = stmt.where(Lead.kind == query.kind.value)
    if query.created_from is not None:
        stmt = stmt.where(Lead.created_at >= query.created_from)
    if query.created_to is not None:
        stmt = stmt.where(Lead.created_at < query.created_to)
    if query.q:
        needle = fold(query.q)
        if needle:
            stmt = stmt.where(_text_match(session, needle))
    return stmt.where(*_report_conditions(query))


BOUGHT_FLAG_PATTERN = '%"bought!_list"%'


def bought_list_condition() -> ColumnElement[bool]:
    """A lead from a bought list: flagged ``bought_list`` at import, or from a channel marked low quality.
    The same definition as the reports' channel quality (``pheu.measure.quality``)."""
    flagged = cast(Lead.flags, String).like(BOUGHT_FLAG_PATTERN, escape="!")
    low = select(Channel.id).where(Channel.low_quality.is_(True))
    return or_(flagged, and_(Lead.channel_id.is_not(None), Lead.channel_id.in_(low)))


def _report_conditions(query: LeadQuery) -> list[ColumnElement[bool]]:
    """The filters that name the leads behind a report's figure: reached a stage (optionally for the first
    time in a span), bought lists or the rest, a team's leads."""
    conditions: list[ColumnElement[bool]] = []
    if query.reached is not None:
        conditions += _reached(query.reached, query.reached_from, query.reached_to)
    if query.bought_list is not None:
        bought = bought_list_condition()
        conditions.append(bought if query.bought_list else not_(bought))
    if query.team_id is not None:
        conditions.append(Lead.owner_id.in_(select(User.id).where(User.team_id == query.team_id)))
    return conditions


def _reached(
    stage: lifecycle.Stage, start: datetime | None, end: datetime | None
) -> list[ColumnElement[bool]]:
    """Leads that entered ``stage`` or a later funnel stage (``pheu.measure.paths``), first doing so in
    ``[start, end)`` when given. Every lead reached IQL when it was created. Raises ``Invalid`` for a stage
    outside the sales funnel (Lost, Disqualified and the recruitment stages are not levels)."""
    funnel = lifecycle.SALES_FUNNEL
    if stage not in funnel:
        levels = ", ".join(s.value for s in funnel)
        raise Invalid(f"'reached' takes a funnel stage: {levels}.", field="reached")
    if stage is lifecycle.Stage.IQL:
        created = [Lead.created_at >= start] if start else []
        created += [Lead.created_at < end] if end else []
        return [Lead.kind == lifecycle.LeadKind.SALES.value, *created]
    # The lead's first entry into this level or a later one, kept by the database (migration 0008) from
    # the same moves ``measure.paths.reached`` reads: a range on one indexed column, not a scan of moves.
    first = getattr(Lead, f"reached_{stage.value}_at")
    if start is None and end is None:
        return [first.is_not(None)]
    return [*([first >= start] if start else []), *([first < end] if end else [])]


def _apply_fields(
    session: Session, principal: Principal | None, lead: Lead, data: LeadIn | LeadPatch, fields: set[str]
) -> dict[str, Any]:
    """Copy the given fields onto the lead, normalised and checked; return {field: [old, new]} of changes."""
    changes: dict[str, Any] = {}

    def put(name: str, value: Any) -> None:
        old = getattr(lead, name)
        if old != value:
            changes[name] = [old, value]
            setattr(lead, name, value)

    try:
        if "full_name" in fields:
            put("full_name", normalize_name(data.full_name))
        if "email" in fields:
            put("email", normalize_email(data.email))
        if "phone" in fields:
            put("phone", normalize_phone(data.phone, (data.country or lead.country or "VN").upper()))
    except ContactError as exc:
        raise Invalid(exc.message, field=exc.field) from exc
    for name in _PLAIN_FIELDS:
        if name in fields:
            value = getattr(data, name)
            put(name, value if value != "" else None)
    if "country" in fields:
        put("country", (data.country or lead.country or "VN").upper())
    if "interests" in fields:
        put("interests", [i.strip() for i in (data.interests or []) if i.strip()])
    if "channel" in fields:
        put("channel_id", _channel_id(session, data.channel))
    if "campaign_id" in fields:
        put("campaign_id", _campaign_id(session, data.campaign_id))
    elif "utm_campaign" in fields and data.utm_campaign and lead.campaign_id is None:
        found = session.scalar(select(Campaign).where(Campaign.utm_campaign == data.utm_campaign))
        if found is not None:
            put("campaign_id", found.id)
            if lead.channel_id is None:
                put("channel_id", found.channel_id)
    if "owner_id" in fields:
        put("owner_id", _owner_id(session, data.owner_id))
    lead.search_key = search_key(lead.full_name, lead.email, phone_search_forms(lead.phone), lead.company)
    lead.name_key = fold(lead.full_name or lead.email or "")
    return changes


def _channel_id(session: Session, code: str | None) -> int | None:
    if not code:
        return None
    channel_id = session.scalar(select(Channel.id).where(Channel.code == code))
    if channel_id is None:
        known = ", ".join(session.scalars(select(Channel.code).order_by(Channel.code)))
        raise Invalid(f"Unknown channel '{code}'. Known channels: {known}.", field="channel")
    return channel_id


def _campaign_id(session: Session, campaign_id: int | None) -> int | None:
    if campaign_id is None:
        return None
    if session.get(Campaign, campaign_id) is None:
        raise Invalid(f"No campaign with id {campaign_id}.", field="campaign_id")
    return campaign_id


def _owner_id(session: Session, owner_id: int | None) -> int | None:
    if owner_id is None:
        return None
    user = session.get(User, owner_id)
    if user is None or not user.active:
        raise Invalid(f"No active user with id {owner_id}.", field="owner_id")
    if user.role not in {Role.SALES_REP.value, Role.SALES_MANAGER.value}:
        raise Invalid(f"User {owner_id} is not in sales and cannot own leads.", field="owner_id")
    return owner_id


def _set_consents(
    session: Session, lead: Lead, consents: list[ConsentIn], now: datetime, default_source: str
) -> list[dict[str, Any]]:
    current = {c.purpose: c for c in lead.consents}
    changed: list[dict[str, Any]] = []
    for given in consents:
        row = current.get(given.purpose)
        if row is not None and row.granted == given.granted:
            continue
        if row is None:
            row = Consent(purpose=given.purpose)
            lead.consents.append(row)
            current[given.purpose] = row
        row.granted = given.granted
        row.at = given.at or now
        row.source = given.source or default_source
        row.text = given.text
        changed.append({"purpose": given.purpose, "granted": given.granted, "source": row.source})
    return changed


def _source_label(principal: Principal | None) -> str:
    if principal is None:
        return "system"
    return f"api:{principal.user_id}" if principal.via == "api_key" else f"user:{principal.user_id}"


def _actor(principal: Principal | None) -> lifecycle.Actor:
    if principal is None:
        return lifecycle.Actor(lifecycle.ActorType.SYSTEM, "system")
    kind = lifecycle.ActorType.API if principal.via == "api_key" else lifecycle.ActorType.USER
    return lifecycle.Actor(kind, principal.label, principal.user_id)
