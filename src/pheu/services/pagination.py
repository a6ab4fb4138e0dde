"""Keyset (cursor) pagination: a page ends with the sort value and id of its last row, and the next page
starts strictly after them. Unlike OFFSET it stays fast on page 1,000 and never skips or repeats a row when
new leads arrive while someone pages."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy.orm import InstrumentedAttribute

from pheu.services.errors import Invalid


def encode(value: Any, row_id: int) -> str:
    if isinstance(value, datetime):
        value = {"dt": value.isoformat()}
    raw = json.dumps([value, row_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str) -> tuple[Any, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, row_id = json.loads(raw)
        if isinstance(value, dict) and "dt" in value:
            value = datetime.fromisoformat(value["dt"])
        if not isinstance(row_id, int):
            raise TypeError(row_id)
    except (ValueError, TypeError) as exc:
        raise Invalid("The cursor is not one this API handed out.", field="cursor") from exc
    return value, row_id


def after(
    column: InstrumentedAttribute[Any],
    id_column: InstrumentedAttribute[int],
    value: Any,
    row_id: int,
    desc: bool,
) -> ColumnElement[bool]:
    if desc:
        return or_(column < value, and_(column == value, id_column < row_id))
    return or_(column > value, and_(column == value, id_column > row_id))
