"""Web forms and landing pages that marketers build; each submission becomes a captured lead."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pheu.store.base import Base, Json, UTCDateTime, utcnow


class Form(Base):
    __tablename__ = "forms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="sales")
    lead_magnet: Mapped[str] = mapped_column(String(40), default="newsletter")
    # [{"name": "full_name", "label": "Họ và tên", "type": "text", "required": true}, …]
    fields: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    title: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    submit_label: Mapped[str] = mapped_column(String(100), default="")
    consent_text: Mapped[str] = mapped_column(Text, default="")
    consent_purposes: Mapped[list[str]] = mapped_column(Json, default=list)
    thank_you_message: Mapped[str] = mapped_column(Text, default="")
    redirect_url: Mapped[str | None] = mapped_column(String(1000), default=None)
    channel: Mapped[str | None] = mapped_column(String(40), default="landing_page")
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    submissions: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
