"""Reading a provider's JSON defensively: every miss is a ``PayloadError`` that names the JSON path.

Ad platforms change their payloads without notice and document them loosely (ids as numbers in one place and
strings in another, a field "typed as object" that is always a string). When something we rely on is missing
or of the wrong kind, the person reading the error must see *where* in the body it was, e.g.
``entry[0].changes[0].value.leadgen_id is missing``, so they can compare it with the provider's change log.
Anything optional that is absent simply reads as ``None``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

_ROOT = "the body"


class PayloadError(ValueError):
    """The body does not have the shape the provider documents.

    ``where`` is the JSON path of the offending value (``""`` for the body itself), ``what`` says what is
    wrong in words a person can act on. ``str()`` joins them: ``"entry[0].id is missing"``.
    """

    def __init__(self, where: str, what: str) -> None:
        self.where = where
        self.what = what
        super().__init__(f"{where or _ROOT} {what}")


def key_path(where: str, key: str) -> str:
    """The path of ``key`` inside the object at ``where``."""
    return f"{where}.{key}" if where else key


def index_path(where: str, index: int) -> str:
    """The path of item ``index`` inside the list at ``where``."""
    return f"{where}[{index}]"


def kind_of(value: object) -> str:
    """The JSON name of a decoded value's type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def as_object(value: object, where: str) -> Mapping[str, object]:
    """``value`` as a JSON object, or a ``PayloadError`` naming ``where``."""
    if not isinstance(value, dict):
        raise PayloadError(where, f"must be an object, got {kind_of(value)}")
    return value


def as_list(value: object, where: str) -> list[object]:
    """``value`` as a JSON list, or a ``PayloadError`` naming ``where``."""
    if not isinstance(value, list):
        raise PayloadError(where, f"must be a list, got {kind_of(value)}")
    return value


def required(obj: Mapping[str, object], key: str, where: str) -> object:
    """The value at ``key``; missing and ``null`` are both "missing"."""
    value = obj.get(key)
    if value is None:
        raise PayloadError(key_path(where, key), "is missing")
    return value


def object_at(obj: Mapping[str, object], key: str, where: str) -> Mapping[str, object]:
    return as_object(required(obj, key, where), key_path(where, key))


def list_at(obj: Mapping[str, object], key: str, where: str) -> list[object]:
    return as_list(required(obj, key, where), key_path(where, key))


def text(value: object, where: str) -> str:
    """A scalar answer as text. Numbers are accepted (a form may send a zip code as a number); objects,
    lists and booleans are not, because turning them into text would hide a format change."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise PayloadError(where, f"must be text, got {kind_of(value)}")


def optional_text(obj: Mapping[str, object], key: str, where: str) -> str | None:
    """Text at ``key`` with surrounding space removed; absent, ``null`` and blank all read as ``None``."""
    value = obj.get(key)
    if value is None:
        return None
    stripped = text(value, key_path(where, key)).strip()
    return stripped or None


def identifier(value: object, where: str) -> str:
    """An id as text. Providers send the same id as a JSON number in a webhook and as a string from their
    REST API; Python's ``json`` keeps big integers exact, so ``str()`` of a number is the id itself."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise PayloadError(
        where, f"must be an id (digits), got {kind_of(value) if value != '' else 'an empty string'}"
    )


def required_id(obj: Mapping[str, object], key: str, where: str) -> str:
    return identifier(required(obj, key, where), key_path(where, key))


def optional_id(obj: Mapping[str, object], key: str, where: str) -> str | None:
    """An id that may be absent. ``0`` and ``""`` mean "none" (TikTok sends ``library_id: 0``)."""
    value = obj.get(key)
    if value is None or value == 0 or value == "":
        return None
    return identifier(value, key_path(where, key))


def unix_time(value: object, where: str, *, milliseconds: bool = False) -> datetime:
    """A Unix timestamp (number or numeric string, seconds unless ``milliseconds``) as an aware UTC time."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise PayloadError(where, f"must be a Unix timestamp, got {kind_of(value)}")
    seconds = value / 1000 if milliseconds else value
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise PayloadError(where, f"is {value}, which is not a plausible Unix timestamp") from None


def optional_unix_time(
    obj: Mapping[str, object], key: str, where: str, *, milliseconds: bool = False
) -> datetime | None:
    value = obj.get(key)
    if value is None:
        return None
    return unix_time(value, key_path(where, key), milliseconds=milliseconds)


def formatted_time(
    value: object, where: str, pattern: str, example: str, *, assume_utc: bool = False
) -> datetime:
    """A time written with ``pattern`` (``strptime`` syntax) as an aware UTC time.

    ``assume_utc`` is for providers that document a zone but do not write it (TikTok's REST ``create_time``
    is "YYYY-MM-DD HH:MM:SS" in UTC+0).
    """
    raw = text(value, where).strip()
    try:
        parsed = datetime.strptime(raw, pattern)
    except ValueError:
        raise PayloadError(where, f"is {raw!r}, expected a time like {example}") from None
    if assume_utc:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
