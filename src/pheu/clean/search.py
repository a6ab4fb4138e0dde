"""Tone-insensitive search keys, so "nguyen van anh" finds "Nguyễn Văn Anh".

Vietnamese letters carry up to two diacritics (a vowel mark and a tone); NFD decomposition separates both as
combining marks, except for "đ", which is its own letter and is mapped to "d" by hand.
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_D = str.maketrans({"đ": "d", "Đ": "d"})


def fold(text: str) -> str:
    """Lower-case, strip every diacritic, collapse whitespace."""
    decomposed = unicodedata.normalize("NFD", text.translate(_D))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", bare.casefold()).strip()


def search_key(*parts: str | None) -> str:
    """One string holding every searchable field, folded, joined by a separator no query contains."""
    return " | ".join(fold(p) for p in parts if p)


def phone_search_forms(e164: str | None) -> str:
    """Both the international and the local form of a Vietnamese number, so either typed form matches."""
    if not e164:
        return ""
    digits = e164.lstrip("+")
    if digits.startswith("84"):
        return f"{digits} 0{digits[2:]}"
    return digits
