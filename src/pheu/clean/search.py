"""Tone-insensitive search keys, so "nguyen van anh" finds "Nguyễn Văn Anh".

Vietnamese letters carry up to two diacritics (a vowel mark and a tone); NFD decomposition separates both as
combining marks, except for "đ", which is its own letter and is mapped to "d" by hand.
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_D = str.maketrans({"đ": "d", "Đ": "d"})


def _slow_fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.translate(_D))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", bare.casefold()).strip()


# Every precomposed Latin letter (Vietnamese uses U+00C0–U+01B0 and U+1EA0–U+1EF9) folded once up front, so
# the common case is one str.translate in C instead of a per-character Python loop.
_FOLDED = {
    cp: _slow_fold(chr(cp))
    for cp in (*range(0xC0, 0x250), *range(0x1E00, 0x1F00))
    if unicodedata.category(chr(cp)).startswith("L")
}


def fold(text: str) -> str:
    """Lower-case, strip every diacritic, collapse whitespace.

    ASCII text (emails, phone numbers) only needs lower case. Other text is folded a word at a time through
    a cache: names and company names are a few thousand words repeated over millions of rows, and
    ``str.translate`` of non-ASCII text was a tenth of an import's cleaning time. Folding never adds or
    removes whitespace, so word by word gives what the whole text would (the property tests compare both
    with ``_slow_fold``)."""
    if text.isascii():
        return " ".join(text.lower().split())
    words = _FOLDED_WORDS
    out = []
    for word in text.split():
        folded = words.get(word)
        if folded is None:
            if len(words) >= _FOLDED_WORDS_KEPT:
                words.clear()
            folded = words[word] = _fold_word(word)
        if folded:  # a word of combining marks only folds to nothing
            out.append(folded)
    return " ".join(out)


def _fold_word(word: str) -> str:
    quick = word.translate(_FOLDED)
    if quick.isascii():
        return quick.lower()
    return _slow_fold(word)


_FOLDED_WORDS: dict[str, str] = {}
_FOLDED_WORDS_KEPT = 100_000  # a long-running server meets ever new words; start over past this many


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
