"""A screened form submission as the text stored in ``inbound_payloads`` while it waits to be landed.

When the web process answers a submission as soon as it is stored (``SubmissionWriter(queued=True)``), the
submission crosses to the lander process through the database: the row is the only copy, so it must hold
everything ``forms.land`` needs — the form's slug, the record exactly as screened (fields, consents,
answers, the token's nonce as external id) and when it arrived. Pure: no I/O.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Final

from pheu.capture.record import ConsentGiven, IncomingLead

PROVIDER: Final = "form"  # ``inbound_payloads.provider`` of a queued form submission
VERSION: Final = 1


class BadQueuedSubmission(ValueError):
    """The stored text is not a queued submission this code can read (it is kept, marked failed)."""


def encode(slug: str, record: IncomingLead) -> str:
    return json.dumps(
        {
            "v": VERSION,
            "slug": slug,
            "fields": record.fields,
            "source": record.source,
            "external_id": record.external_id,
            "occurred_at": record.occurred_at.isoformat() if record.occurred_at else None,
            "consents": [[c.purpose, c.granted, c.text] for c in record.consents],
            "answers": record.answers,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def decode(body: str) -> tuple[str, IncomingLead]:
    """The slug and the record; ``BadQueuedSubmission`` saying what is wrong."""
    try:
        data: Any = json.loads(body)
        if not isinstance(data, dict) or data.get("v") != VERSION:
            raise BadQueuedSubmission(f"not a version {VERSION} queued form submission")
        occurred = data["occurred_at"]
        record = IncomingLead(
            fields={str(k): str(v) for k, v in data["fields"].items()},
            source=str(data["source"]),
            external_id=data["external_id"],
            occurred_at=datetime.fromisoformat(occurred) if occurred else None,
            consents=tuple(ConsentGiven(str(p), bool(g), t) for p, g, t in data["consents"]),
            answers={str(k): str(v) for k, v in data["answers"].items()},
        )
        return str(data["slug"]), record
    except BadQueuedSubmission:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BadQueuedSubmission(f"unreadable queued form submission: {exc}") from exc
