"""``column IN (values)`` for the long lists bulk paths look up: lead ids, emails, phones, external ids."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, String, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session


def one_of(session: Session, column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    """``column IN values``; on PostgreSQL ``column = ANY(array)`` of the column's own type: one parameter
    instead of thousands, which SQLAlchemy would otherwise expand and psycopg bind one by one."""
    wanted = sorted(set(values))
    if session.get_bind().dialect.name == "postgresql":
        # Text without its length: a value longer than the column matches nothing, it is no error.
        element = String() if isinstance(column.type, String) else column.type
        result: ColumnElement[bool] = column == any_(bindparam(None, wanted, type_=ARRAY(element)))
        return result
    return column.in_(wanted)  # type: ignore[no-any-return]
