"""What capture keeps besides leads: raw inbound payloads, rejected rows, imports, merges, duplicate
candidates and idempotency keys — so that nothing that arrived is ever lost, and every merge can be undone."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pheu.store.base import Base, BigId, Json, UTCDateTime, utcnow


class InboundPayload(Base):
    """A webhook body exactly as received, written before any parsing so a failed processing can be retried."""

    __tablename__ = "inbound_payloads"
    __table_args__ = (Index("ix_inbound_status", "status", "received_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    provider: Mapped[str] = mapped_column(String(40))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    headers: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    error: Mapped[str | None] = mapped_column(Text, default=None)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class Import(Base):
    """One CSV/Excel import; ``last_line`` is the resume point if the process dies half way."""

    __tablename__ = "imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    filename: Mapped[str] = mapped_column(String(500))
    file_format: Mapped[str] = mapped_column(String(10), default="csv")
    file_sha256: Mapped[str] = mapped_column(String(64), default="")
    mapping: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    channel: Mapped[str | None] = mapped_column(String(40), default=None)
    bought_list: Mapped[bool] = mapped_column(Boolean, default=False)
    provenance: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(20), default="running")
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    imported: Mapped[int] = mapped_column(Integer, default=0)
    merged: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    last_line: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class RejectedRecord(Base):
    """A row or payload that identified no one or could not be read, with every reason, kept for a person to
    fix and re-import."""

    __tablename__ = "rejected_records"
    __table_args__ = (
        Index("ix_rejected_source", "source", "status", "created_at"),
        Index("ix_rejected_import", "import_id", "line"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source: Mapped[str] = mapped_column(String(80))
    import_id: Mapped[int | None] = mapped_column(ForeignKey("imports.id"), default=None)
    line: Mapped[int | None] = mapped_column(Integer, default=None)
    raw: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    status: Mapped[str] = mapped_column(String(20), default="open")
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class LeadMerge(Base):
    """A record merged into an existing lead: the field values before and after, so the merge can be undone."""

    __tablename__ = "lead_merges"
    __table_args__ = (Index("ix_lead_merges_lead", "lead_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    merged_lead_id: Mapped[int | None] = mapped_column(BigId, default=None)
    source: Mapped[str] = mapped_column(String(80))
    matched_on: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_label: Mapped[str] = mapped_column(String(200), default="")
    changes: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    snapshot: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    reverted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class DuplicateCandidate(Base):
    """Two leads that only look alike (fuzzy name and company): never merged without a person's decision."""

    __tablename__ = "duplicate_candidates"
    __table_args__ = (
        UniqueConstraint("lead_a_id", "lead_b_id", name="uq_duplicate_candidates_pair"),
        Index("ix_duplicate_candidates_status", "status", "score"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lead_a_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    lead_b_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    score: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[list[str]] = mapped_column(Json, default=list)
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)


class IdempotencyKey(Base):
    """The answer given to a request with an ``Idempotency-Key``, replayed when the same key comes again."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("scope", "key", name="uq_idempotency_keys_scope_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    scope: Mapped[str] = mapped_column(String(120))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
