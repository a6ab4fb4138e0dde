"""API key format: ``pheu_<prefix>_<secret>``. The prefix is stored in clear to find the row; the whole key is
kept only as a SHA-256 hash, which is enough for a 256-bit random secret (no slow hash needed)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from pheu.auth.roles import ALL_SCOPES

KEY_PREFIX = "pheu"


class InvalidScope(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class NewKey:
    prefix: str
    token: str
    secret_hash: str


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def generate() -> NewKey:
    prefix = secrets.token_hex(6)
    token = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    return NewKey(prefix=prefix, token=token, secret_hash=hash_token(token))


def split_prefix(token: str) -> str | None:
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1]:
        return None
    return parts[1]


def matches(token: str, secret_hash: str) -> bool:
    return hmac.compare_digest(hash_token(token), secret_hash)


def check_scopes(scopes: list[str]) -> list[str]:
    unknown = sorted(set(scopes) - ALL_SCOPES)
    if unknown:
        raise InvalidScope(f"Unknown scope(s): {', '.join(unknown)}. Known: {', '.join(sorted(ALL_SCOPES))}.")
    return sorted(set(scopes))
