"""Idempotency keys: a client that retries a write with the same ``Idempotency-Key`` gets the first answer
back instead of a second write.

The key is claimed by inserting its row *before* the work runs, in the same transaction as the work, so the
unique constraint on (scope, key) decides between two concurrent twins: PostgreSQL makes the second wait on
the first and then fail, SQLite serialises writers. The loser's work is rolled back whole and it replays the
winner's stored answer. A key only counts once its transaction commits; a request that failed can be retried
with the same key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pheu.services.errors import Invalid
from pheu.store import IdempotencyKey

MAX_KEY_LENGTH: Final = 200
REUSED: Final = "idempotency_key_reused"

Work = Callable[[Session], tuple[int, dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class Answer:
    """What to send back; ``replayed`` is true when it is the stored answer to an earlier request."""

    status_code: int
    body: dict[str, Any]
    replayed: bool = False


def fingerprint(payload: Any) -> str:
    """A SHA-256 of the request body as canonical JSON: key order and whitespace do not change it."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def scope_for(user_id: int, credential: str, path: str) -> str:
    """Keys are private to one credential (an API key's prefix, or a session) on one path."""
    return f"u{user_id}:{credential}:{path}"[:120]


def run_once(
    open_session: Callable[[], AbstractContextManager[Session]],
    *,
    scope: str,
    key: str | None,
    request_hash: str,
    now: datetime,
    work: Work,
) -> Answer:
    """Run ``work`` in one unit of work, at most once per (scope, key).

    Without a key the work simply runs. With a key seen before, the stored answer is replayed when the body is
    the same; a different body under the same key raises ``Invalid`` (code ``idempotency_key_reused``), because
    the client has mixed up two requests and guessing which one it meant would be worse.
    """
    if key is None:
        with open_session() as session:
            status, body = work(session)
        return Answer(status, body)
    key = _checked(key)
    try:
        with open_session() as session:
            stored = _stored(session, scope, key)
            if stored is not None:
                return _replay(stored, request_hash)
            claim = IdempotencyKey(
                scope=scope, key=key, request_hash=request_hash, status_code=0, response={}, created_at=now
            )
            session.add(claim)
            session.flush()
            status, body = work(session)
            claim.status_code, claim.response = status, body
        return Answer(status, body)
    except IntegrityError:
        with open_session() as session:
            stored = _stored(session, scope, key)
        if stored is None:  # the conflict was the work's own, not a twin's claim
            raise
        return _replay(stored, request_hash)


def _checked(key: str) -> str:
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise Invalid(
            f"The Idempotency-Key header must be 1 to {MAX_KEY_LENGTH} printable characters, e.g. a UUID.",
            code="idempotency_key_invalid",
            field="Idempotency-Key",
        )
    return key


def _stored(session: Session, scope: str, key: str) -> IdempotencyKey | None:
    return session.scalar(
        select(IdempotencyKey).where(IdempotencyKey.scope == scope, IdempotencyKey.key == key)
    )


def _replay(stored: IdempotencyKey, request_hash: str) -> Answer:
    if stored.request_hash != request_hash:
        raise Invalid(
            "This Idempotency-Key was already used for a request with a different body. "
            "Send a new key for a new request, or the same body to get the first answer again.",
            code=REUSED,
            field="Idempotency-Key",
        )
    return Answer(stored.status_code, dict(stored.response), replayed=True)
