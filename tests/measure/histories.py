"""Hand-built lead histories for the measure tests: moves as (stage, day offset), the way a person writes
them on paper. ``path`` keeps each stage's first entry, as the report query does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pheu.lifecycle import Stage
from pheu.measure.paths import LeadPath

T0 = datetime(2026, 3, 1, tzinfo=UTC)
IQL, MQL, SQL, OPP, CUSTOMER = Stage.IQL, Stage.MQL, Stage.SQL, Stage.OPPORTUNITY, Stage.CUSTOMER
LOST, DISQUALIFIED = Stage.LOST, Stage.DISQUALIFIED


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def path(lead_id: int, created: float, *moves: tuple[Stage, float], **fields: Any) -> LeadPath:
    """A lead created on day ``created`` that entered IQL then, followed by ``moves``."""
    entries: dict[Stage, datetime] = {}
    for stage, when in ((IQL, created), *moves):
        at = day(when)
        if stage not in entries or at < entries[stage]:
            entries[stage] = at
    return LeadPath(lead_id=lead_id, created_at=day(created), entries=entries, **fields)
