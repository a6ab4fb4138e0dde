"""A manager giving a lead to another rep: recorded with the previous owner, open tasks follow the lead."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pheu.auth.roles import Principal, Role
from pheu.handoff.assign import Reason
from pheu.services import audit
from pheu.services.errors import Invalid
from pheu.services.handoff_settings import require_manager
from pheu.services.leads import get_lead
from pheu.services.notifications import notify_many
from pheu.store import Assignment, Lead, Task, User


def assignable_reps(session: Session, principal: Principal) -> list[User]:
    """Who this person may give a lead to: a manager their team's active reps (and themselves), an admin
    every active rep and manager."""
    stmt = select(User).where(
        User.active.is_(True), User.role.in_([Role.SALES_REP.value, Role.SALES_MANAGER.value])
    )
    if principal.role is Role.SALES_MANAGER:
        if principal.team_id is None:
            stmt = stmt.where(User.id == principal.user_id)
        else:
            stmt = stmt.where(User.team_id == principal.team_id)
    return list(session.scalars(stmt.order_by(User.name, User.id)))


def reassign(
    session: Session, principal: Principal, lead_id: int, user_id: int, now: datetime, note: str = ""
) -> Assignment:
    """Give the lead to ``user_id``. The first-contact deadline is kept (a reassignment does not buy time);
    open tasks move to the new owner, who is notified. Raises ``Forbidden`` for anyone but an admin or a
    sales manager, ``NotFound`` for a lead they may not see, ``Invalid`` for a rep outside their team."""
    require_manager(principal)
    lead: Lead = get_lead(session, principal, lead_id)
    target = session.get(User, user_id)
    if target is None or target.id not in {u.id for u in assignable_reps(session, principal)}:
        raise Invalid(f"User {user_id} is not an active rep you can give leads to.", field="user_id")
    if target.id == lead.owner_id:
        raise Invalid("The lead already belongs to this person.", field="user_id")
    previous = lead.owner_id
    lead.owner_id = target.id
    return record_owner_change(session, principal, lead, previous, now, note)


def record_owner_change(
    session: Session, principal: Principal, lead: Lead, previous: int | None, now: datetime, note: str = ""
) -> Assignment:
    """Record that ``lead`` (already given its new ``owner_id``) changed hands, whatever path changed it (the
    Reassign card, or a PATCH of ``owner_id``): an assignment row, open tasks moved to the new owner, the new
    owner told, the audit written. Without it a lead could change owner with no trace in response times."""
    target = session.get(User, lead.owner_id) if lead.owner_id is not None else None
    row = Assignment(
        lead_id=lead.id,
        user_id=lead.owner_id,
        previous_user_id=previous,
        team_id=target.team_id if target else None,
        rule_id=None,
        reason=Reason.MANUAL.value,
        actor_type="api" if principal.via == "api_key" else "user",
        actor_user_id=principal.user_id,
        at=now,
    )
    session.add(row)
    lead.assigned_at = now if lead.owner_id is not None else None
    lead.updated_at = now
    session.execute(
        update(Task).where(Task.lead_id == lead.id, Task.status == "open").values(owner_id=lead.owner_id)
    )
    data = {"lead_name": lead.full_name or "", "note": note.strip()[:300], "by": principal.name}
    notices = []
    if lead.owner_id is not None:
        notices.append({"user_id": lead.owner_id, "kind": "reassigned", "lead_id": lead.id, "data": data})
    if previous is not None:  # the rep who had the lead stops seeing it: say so rather than let it vanish
        away = {**data, "rep_name": target.name if target else ""}
        notices.append({"user_id": previous, "kind": "reassigned_away", "lead_id": lead.id, "data": away})
    if notices:
        notify_many(session, notices, now)
    audit.record(
        session,
        at=now,
        actor=principal,
        action="reassign",
        entity="lead",
        entity_id=lead.id,
        changes={"owner_id": [previous, lead.owner_id], "note": note.strip()[:300]},
    )
    session.flush()
    return row
