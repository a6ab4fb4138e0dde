"""Intake: where every capture path lands. Cleans a batch of submissions, merges the ones that name a known
person, creates the rest, keeps every rejected record with its reasons, and records a capture event per
submission — all set-wise, in the caller's transaction, so a batch lands whole or not at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from pheu import lifecycle
from pheu.capture.prepare import Lookups, PreparedLead, Rejection, prepare
from pheu.capture.record import IncomingLead
from pheu.clean.dedupe import merge_fields
from pheu.clean.search import fold, phone_search_forms, search_key
from pheu.score.facts import EventFact
from pheu.services.scoring import active_model
from pheu.services.scoring_bulk import NewLead, score_leads, score_new_leads
from pheu.store import Campaign, Channel, Consent, Event, Lead, LeadMerge, RejectedRecord, StageChange
from pheu.store.bulk import insert_many, insert_scores, insert_with_ids, update_many
from pheu.store.copy_lane import overlapped
from pheu.store.filters import one_of
from pheu.store.leads import LEADS

Status = Literal["created", "merged", "rejected", "duplicate_delivery"]

# Where a lead came from stays with its first touch: a later submission only fills these when blank.
ORIGIN_FIELDS = frozenset(
    {
        "channel_id",
        "campaign_id",
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "utm_term",
        "utm_content",
        "landing_page",
        "referrer",
        "lead_magnet",
    }
)
MERGEABLE = (
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
    "notes",
    *sorted(ORIGIN_FIELDS),
)


@dataclass(frozen=True, slots=True)
class CaptureContext:
    """Who or what is capturing, and how the records should be labelled."""

    event_type: str
    actor_type: lifecycle.ActorType
    actor_label: str
    actor_user_id: int | None = None
    owner_id: int | None = None
    default_channel: str | None = None
    bought_list: bool = False
    import_id: int | None = None


@dataclass(slots=True)
class Outcome:
    status: Status
    lead_id: int | None = None
    flags: list[str] = field(default_factory=list)
    problems: list[dict[str, str]] = field(default_factory=list)
    rejected_id: int | None = None


def load_lookups(session: Session) -> Lookups:
    channels: dict[str, int] = {
        str(row[0]): int(row[1]) for row in session.execute(select(Channel.code, Channel.id))
    }
    campaigns = {
        slug: (cid, chid)
        for slug, cid, chid in session.execute(
            select(Campaign.utm_campaign, Campaign.id, Campaign.channel_id)
        )
        if slug
    }
    limits = {
        c.name: int(c.type.length)  # type: ignore[attr-defined]
        for c in LEADS.columns
        if getattr(c.type, "length", None) is not None
    }
    return Lookups(channels=channels, campaigns=campaigns, limits=limits)


def capture_many(
    session: Session,
    records: Sequence[IncomingLead],
    ctx: CaptureContext,
    now: datetime,
    *,
    lookups: Lookups | None = None,
    lines: Sequence[int | None] | None = None,
    cleaned: Sequence[PreparedLead | Rejection] | None = None,
) -> list[Outcome]:
    """Land a batch; the outcome list is in the order of ``records``. ``cleaned`` is ``prepare``'s result
    per record when the caller already has it (an import cleans in a worker process while this one writes)."""
    lookups = lookups or load_lookups(session)
    lines = lines or [None] * len(records)
    outcomes: list[Outcome | None] = [None] * len(records)
    delivered = _already_delivered(session, records)
    prepared: dict[int, PreparedLead] = {}
    rejected: list[tuple[int, Rejection]] = []
    seen_ext: set[tuple[str, str]] = set()
    for i, record in enumerate(records):
        ext = (record.source, record.external_id) if record.external_id else None
        if ext is not None and (ext in delivered or ext in seen_ext):
            outcomes[i] = Outcome("duplicate_delivery", lead_id=delivered.get(ext))
            continue
        if ext is not None:
            seen_ext.add(ext)
        result = (
            cleaned[i]
            if cleaned is not None
            else prepare(record, lookups, default_channel=ctx.default_channel, bought_list=ctx.bought_list)
        )
        if isinstance(result, Rejection):
            rejected.append((i, result))
        else:
            prepared[i] = result
    _reject(session, records, rejected, lines, ctx, now, outcomes)
    existing = _existing_by_key(session, list(prepared.values()))
    plan = _plan(prepared, existing)
    active = active_model(session) if plan.creates else None  # read before the lane holds the connection
    # The new leads' COPYs go out on a lane (``store.copy_lane``) while this thread builds their events and
    # scores, which need nothing from the database; the first statement after that waits for them.
    with overlapped(session):
        created = _create(session, records, prepared, plan.creates, ctx, now)
        new_ids = {f"new:{i}": lead_id for i, (lead_id, _) in created.items()}
        for i, target in plan.targets.items():
            lead_id = new_ids[target] if isinstance(target, str) else target
            outcomes[i] = Outcome(
                "created" if i in plan.creates_set else "merged",
                lead_id=lead_id,
                flags=prepared[i].flags,
                problems=[_problem(p) for p in prepared[i].problems],
            )
        fresh = _fresh(plan, created)
        events = _event_rows(records, prepared, outcomes, lines, ctx, now)
        _consents(session, records, outcomes, set(new_ids.values()), now)  # the model's moves read them
        score_new_leads(session, _new_leads(records, created, fresh, events, lookups), now, active)
        unscored = [lead_id for i, (lead_id, _) in created.items() if i not in fresh]
        insert_scores(session, unscored, [{}] * len(unscored))
        _merge(session, records, prepared, plan, new_ids, ctx, now)
        insert_many(session, Event, list(events.values()))
        score_leads(
            session,
            {
                o.lead_id
                for i, o in enumerate(outcomes)
                if o and o.lead_id and o.status != "duplicate_delivery" and i not in fresh
            },
            now,
        )
    final = [o for o in outcomes if o is not None]
    assert len(final) == len(records)
    return final


def _already_delivered(session: Session, records: Sequence[IncomingLead]) -> dict[tuple[str, str], int]:
    by_source: dict[str, list[str]] = {}
    for r in records:
        if r.external_id:
            by_source.setdefault(r.source, []).append(r.external_id)
    found: dict[tuple[str, str], int] = {}
    for source, ids in by_source.items():
        rows = session.execute(
            select(Event.external_id, Event.lead_id).where(
                Event.source == source, one_of(session, Event.external_id, set(ids))
            )
        )
        for ext, lead_id in rows:
            if ext is not None:
                found[(source, ext)] = lead_id
    return found


def _existing_by_key(session: Session, batch: list[PreparedLead]) -> dict[str, tuple[int, str]]:
    emails = {k[6:] for p in batch for k in p.keys if k.startswith("email:")}
    phones = {k[6:] for p in batch for k in p.keys if k.startswith("phone:")}
    found: dict[str, tuple[int, str]] = {}
    if not emails and not phones:
        return found
    conditions = []
    if emails:
        conditions.append(one_of(session, LEADS.c.email, emails))
    if phones:
        conditions.append(one_of(session, LEADS.c.phone, phones))
    rows = session.execute(  # the bare table: ``Lead`` would join every lead's score row for nothing
        select(LEADS.c.id, LEADS.c.email, LEADS.c.phone, LEADS.c.kind)
        .where(or_(*conditions))
        .order_by(LEADS.c.id)
    )
    for lead_id, email, phone, kind in rows:
        if email in emails:
            found.setdefault(f"email:{email}", (lead_id, kind))
        if phone in phones:
            found.setdefault(f"phone:{phone}", (lead_id, kind))
    return found


@dataclass(slots=True)
class _Plan:
    creates: list[int]
    creates_set: set[int]
    # record index -> existing lead id (int) or "new:<record index of the created lead>"
    targets: dict[int, int | str]
    matched_on: dict[int, str]


def _plan(prepared: dict[int, PreparedLead], existing: dict[str, tuple[int, str]]) -> _Plan:
    plan = _Plan([], set(), {}, {})
    batch_keys: dict[tuple[str, str], int | str] = {}
    for i, p in prepared.items():
        kind = p.values["kind"]
        target: int | str | None = None
        for key in sorted(p.keys):
            hit = existing.get(key)
            if hit is not None and hit[1] == kind:
                target, plan.matched_on[i] = hit[0], key.split(":")[0]
                break
            if (key, kind) in batch_keys:
                target, plan.matched_on[i] = batch_keys[(key, kind)], key.split(":")[0]
                break
        if target is None:
            target = f"new:{i}"
            plan.creates.append(i)
            plan.creates_set.add(i)
        plan.targets[i] = target
        for key in p.keys:
            batch_keys.setdefault((key, kind), target)
    return plan


def _create(
    session: Session,
    records: Sequence[IncomingLead],
    prepared: dict[int, PreparedLead],
    creates: list[int],
    ctx: CaptureContext,
    now: datetime,
) -> dict[int, tuple[int, dict[str, Any]]]:
    """Insert the leads ``creates`` name and their first moves; per record index, the new lead's id and
    its row. Their score rows are left to the caller (``capture_many`` writes them once scored)."""
    if not creates:
        return {}
    rows = []
    for i in creates:
        at = records[i].occurred_at or now
        kind = lifecycle.LeadKind(prepared[i].values["kind"])
        rows.append(
            {
                **_lead_defaults(),
                **prepared[i].values,
                "stage": lifecycle.initial_stage(kind).value,
                "owner_id": ctx.owner_id,
                "created_at": at,
                "updated_at": now,
                "stage_changed_at": at,
            }
        )
    ids = insert_with_ids(session, Lead, rows, score_rows=False)
    insert_many(
        session,
        StageChange,
        [
            {
                "lead_id": lead_id,
                "from_stage": None,
                "to_stage": row["stage"],
                "at": row["created_at"],
                "actor_type": ctx.actor_type.value,
                "actor_user_id": ctx.actor_user_id,
                "actor_label": ctx.actor_label,
                "reason": "captured",
            }
            for lead_id, row in zip(ids, rows, strict=True)
        ],
    )
    return {i: (lead_id, row) for i, lead_id, row in zip(creates, ids, rows, strict=True)}


def _fresh(plan: _Plan, created: Mapping[int, tuple[int, dict[str, Any]]]) -> set[int]:
    """The created leads no other record of the batch merged into: each has only its own capture event,
    so ``score_new_leads`` can score it from what is in hand."""
    merged_into = {t for i, t in plan.targets.items() if i not in plan.creates_set and isinstance(t, str)}
    return {i for i in created if f"new:{i}" not in merged_into}


def _new_leads(
    records: Sequence[IncomingLead],
    created: Mapping[int, tuple[int, dict[str, Any]]],
    fresh: set[int],
    events: Mapping[int, dict[str, Any]],
    lookups: Lookups,
) -> list[NewLead]:
    """The fresh leads with what their scores read: the same facts ``scoring_facts.lead_facts`` would
    read back from the database."""
    codes = {channel_id: code for code, channel_id in lookups.channels.items()}
    out = []
    for i in sorted(fresh):
        lead_id, row = created[i]
        event = events[i]
        consents = {c.purpose: c.granted for c in records[i].consents}
        fact = EventFact(event["type"], event["occurred_at"], event["properties"])
        out.append(NewLead(lead_id, row, codes.get(row["channel_id"]), consents, fact))
    return out


def _lead_defaults() -> dict[str, Any]:
    """Every column a created row may carry, so all rows of one INSERT have the same keys."""
    return dict.fromkeys(MERGEABLE) | {"interests": [], "flags": [], "country": "VN"}


def _merge(
    session: Session,
    records: Sequence[IncomingLead],
    prepared: dict[int, PreparedLead],
    plan: _Plan,
    new_ids: dict[str, int],
    ctx: CaptureContext,
    now: datetime,
) -> None:
    merges = [i for i in plan.targets if i not in plan.creates_set]
    if not merges:
        return
    lead_ids = {new_ids[t] if isinstance(t, str) else t for i in merges for t in [plan.targets[i]]}
    columns = [getattr(Lead, name) for name in (*MERGEABLE, "flags", "updated_at", "kind")]
    current: dict[int, dict[str, Any]] = {}
    for row in session.execute(select(Lead.id, *columns).where(Lead.id.in_(lead_ids))):
        current[row[0]] = dict(zip([c.key for c in columns], row[1:], strict=True))
    log = []
    for i in merges:
        target = plan.targets[i]
        lead_id = new_ids[target] if isinstance(target, str) else target
        state = current[lead_id]
        incoming = {k: v for k, v in prepared[i].values.items() if k in MERGEABLE}
        origin = {k: v for k, v in incoming.items() if k in ORIGIN_FIELDS and not state.get(k)}
        personal = {k: v for k, v in incoming.items() if k not in ORIGIN_FIELDS}
        result = merge_fields(state, personal, state["updated_at"], records[i].occurred_at or now)
        changes = dict(result.changed)
        for k, v in origin.items():
            if v:
                changes[k] = (state.get(k), v)
        flags = sorted(set(state["flags"] or []) | set(prepared[i].flags))
        if flags != sorted(state["flags"] or []):
            changes["flags"] = (state["flags"], flags)
        snapshot = {k: state.get(k) for k in changes}
        for k, (_, new) in changes.items():
            state[k] = new
        state["updated_at"] = now
        log.append(
            {
                "lead_id": lead_id,
                "merged_lead_id": None,
                "source": records[i].source,
                "matched_on": plan.matched_on.get(i, ""),
                "at": now,
                "actor_label": ctx.actor_label,
                "changes": {k: [_json(a), _json(b)] for k, (a, b) in changes.items()},
                "snapshot": {k: _json(v) for k, v in snapshot.items()},
            }
        )
    touched: set[int] = {lead for entry in log if isinstance(lead := entry["lead_id"], int)}
    updates = []
    for touched_id in touched:
        state = current[touched_id]
        updates.append(
            {
                "id": touched_id,
                **{k: state[k] for k in MERGEABLE},
                "flags": state["flags"],
                "updated_at": now,
                "search_key": search_key(
                    state["full_name"], state["email"], phone_search_forms(state["phone"]), state["company"]
                ),
                "name_key": fold(state["full_name"] or state["email"] or ""),
            }
        )
    update_many(session, Lead, updates)
    insert_many(session, LeadMerge, log)


def _reject(
    session: Session,
    records: Sequence[IncomingLead],
    rejected: list[tuple[int, Rejection]],
    lines: Sequence[int | None],
    ctx: CaptureContext,
    now: datetime,
    outcomes: list[Outcome | None],
) -> None:
    if not rejected:
        return
    rows = [
        {
            "source": records[i].source,
            "import_id": ctx.import_id,
            "line": lines[i],
            "raw": {**records[i].fields, **{f"answer:{k}": v for k, v in records[i].answers.items()}},
            "reasons": r.reasons,
            "status": "open",
            "lead_id": None,
            "created_at": now,
            "resolved_at": None,
        }
        for i, r in rejected
    ]
    ids = insert_with_ids(session, RejectedRecord, rows)
    for (i, r), rid in zip(rejected, ids, strict=True):
        outcomes[i] = Outcome("rejected", problems=r.reasons, rejected_id=rid)


def _event_rows(
    records: Sequence[IncomingLead],
    prepared: dict[int, PreparedLead],
    outcomes: list[Outcome | None],
    lines: Sequence[int | None],
    ctx: CaptureContext,
    now: datetime,
) -> dict[int, dict[str, Any]]:
    """Each landed record's capture event, by record index (the caller inserts them)."""
    rows: dict[int, dict[str, Any]] = {}
    for i, outcome in enumerate(outcomes):
        if outcome is None or outcome.status not in ("created", "merged"):
            continue
        values = prepared[i].values
        properties: dict[str, Any] = {
            k: values[k]
            for k in (
                "utm_source",
                "utm_medium",
                "utm_campaign",
                "utm_term",
                "utm_content",
                "landing_page",
                "referrer",
                "lead_magnet",
            )
            if values.get(k)
        }
        if prepared[i].answers:
            properties["answers"] = prepared[i].answers
        if prepared[i].flags:
            properties["flags"] = prepared[i].flags
        if ctx.import_id is not None:
            properties["import_id"] = ctx.import_id
            properties["line"] = lines[i]
        properties["outcome"] = outcome.status
        rows[i] = {
            "lead_id": outcome.lead_id,
            "type": ctx.event_type,
            "occurred_at": min(records[i].occurred_at or now, now),
            "properties": properties,
            "source": records[i].source,
            "external_id": records[i].external_id,
            "created_at": now,
        }
    return rows


def _consents(
    session: Session,
    records: Sequence[IncomingLead],
    outcomes: list[Outcome | None],
    created: set[int],
    now: datetime,
) -> None:
    """Each landed record's consent answers, the latest per lead and purpose; only leads that existed
    before this batch (not ``created``) can already hold some."""
    wanted: dict[tuple[int, str], dict[str, Any]] = {}
    for record, outcome in zip(records, outcomes, strict=True):
        if outcome is None or outcome.lead_id is None or outcome.status not in ("created", "merged"):
            continue
        for consent in record.consents:
            wanted[(outcome.lead_id, consent.purpose)] = {
                "lead_id": outcome.lead_id,
                "purpose": consent.purpose,
                "granted": consent.granted,
                "at": record.occurred_at or now,
                "source": record.source,
                "text": consent.text,
            }
    if not wanted:
        return
    lead_ids = {lead_id for lead_id, _ in wanted} - created
    have = (
        {}
        if not lead_ids
        else {
            (lead_id, purpose): (cid, granted)
            for cid, lead_id, purpose, granted in session.execute(
                select(Consent.id, Consent.lead_id, Consent.purpose, Consent.granted).where(
                    Consent.lead_id.in_(lead_ids)
                )
            )
        }
    )
    new = [row for key, row in wanted.items() if key not in have]
    changed = [
        {
            "id": have[key][0],
            "granted": row["granted"],
            "at": row["at"],
            "source": row["source"],
            "text": row["text"],
        }
        for key, row in wanted.items()
        if key in have and have[key][1] != row["granted"]
    ]
    if new:
        insert_many(session, Consent, new)
    if changed:
        update_many(session, Consent, changed)


def _problem(p: Any) -> dict[str, str]:
    return {"field": p.field, "code": p.code, "message": p.message, "accepted": p.accepted}


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value
