"""Guessing how a text table was written: its encoding and its delimiter, from a sample of its first bytes.

Excel writes whatever the machine's settings say: UTF-8 with a BOM ("CSV UTF-8"), UTF-16 LE with tabs
("Unicode text"), or the ANSI code page — Windows-1258 on Vietnamese Windows, Windows-1252 elsewhere — with
a comma or, where the decimal separator is a comma, a semicolon. Nothing in the file says which, so each
guess is made by trying strict decodes and counting, cheapest and most certain first.
"""

from __future__ import annotations

import codecs
import csv
import re
from dataclasses import dataclass

SAMPLE_BYTES = 64 * 1024
DELIMITERS = (",", ";", "\t", "|")

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Windows-1258 writes Vietnamese tones as combining marks after the (possibly accented) vowel.
_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")
_VOWELS = frozenset("aăâeêioôơuưyAĂÂEÊIOÔƠUƯY")
_SEP_LINE = re.compile(r"\Asep=(.)\r?\n?\Z", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Encoding:
    """A Python codec name, and whether a byte-order mark precedes the text (skip ``bom_length`` bytes)."""

    name: str
    bom: bool = False

    @property
    def bom_length(self) -> int:
        if not self.bom:
            return 0
        return 3 if self.name == "utf-8" else 2


def detect_encoding(sample: bytes, *, complete: bool = False) -> Encoding:
    """Guess the encoding of ``sample``, the first bytes of a file (``complete`` when it is the whole file).

    Order: byte-order mark, BOM-less UTF-16 (NUL bytes in every other position), strict UTF-8, Windows-1258
    when the text carries Vietnamese tone marks, else Windows-1252, which decodes almost any byte.
    Bytes that still fail later in the file are replaced and the row flagged by the reader.
    """
    for bom, name in _BOMS:
        if sample.startswith(bom):
            return Encoding(name, bom=True)
    utf16 = _bomless_utf16(sample)
    if utf16 is not None:
        return Encoding(utf16)
    if _decodes(sample, "utf-8", complete=complete):
        return Encoding("utf-8")
    if _decodes(sample, "cp1258", complete=True) and _looks_vietnamese(sample.decode("cp1258")):
        return Encoding("cp1258")
    return Encoding("cp1252")


def _bomless_utf16(sample: bytes) -> str | None:
    """ASCII-heavy text in UTF-16 has a NUL in every high byte: odd positions for LE, even for BE."""
    head = sample[: 4096 & ~1]
    pairs = len(head) // 2
    if pairs < 2:
        return None
    even = head[0::2].count(0) / pairs
    odd = head[1::2].count(0) / pairs
    if odd > 0.3 and even < 0.05:
        name = "utf-16-le"
    elif even > 0.3 and odd < 0.05:
        name = "utf-16-be"
    else:
        return None
    return name if _decodes(head, name, complete=False) else None


def _decodes(sample: bytes, codec: str, *, complete: bool) -> bool:
    """A sample cut mid-file may end inside a character; the incremental decoder forgives only that."""
    decoder = codecs.getincrementaldecoder(codec)(errors="strict")
    try:
        decoder.decode(sample, final=complete)
    except UnicodeDecodeError:
        return False
    return True


def _looks_vietnamese(text: str) -> bool:
    """Tone marks after vowels mean Vietnamese; after consonants they are mis-read Western letters (ò, ì)."""
    after_vowel = after_other = 0
    previous = ""
    for ch in text:
        if ch in _TONES:
            if previous in _VOWELS:
                after_vowel += 1
            else:
                after_other += 1
        previous = ch
    return after_vowel > 0 and after_vowel > after_other


def separator_line(first_line: str) -> str | None:
    """Excel honours a first line ``sep=;`` naming the delimiter (and hides it); return that delimiter."""
    match = _SEP_LINE.match(first_line)
    return match.group(1) if match else None


def detect_delimiter(sample: str, *, complete: bool = False) -> str:
    """Guess the delimiter among comma, semicolon, tab and pipe from decoded text (comma when no clue).

    ``csv.Sniffer`` reads quoting well but can be fooled by punctuation inside values, so its answer is kept
    only when it splits most lines into several columns; otherwise the most consistent column count across
    the first records decides. A trailing partial line is dropped unless ``complete``.
    """
    text = sample if complete else _whole_lines(sample)
    if not text.strip():
        return ","
    try:
        sniffed = csv.Sniffer().sniff(text[:16384], delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        sniffed = ""
    if sniffed in DELIMITERS and _consistency(text, sniffed)[1] > 1:
        return sniffed
    best, best_score = ",", (0.0, 0)
    for delimiter in DELIMITERS:
        score = _consistency(text, delimiter)
        if score[1] > 1 and score > best_score:
            best, best_score = delimiter, score
    return best


def _whole_lines(sample: str) -> str:
    cut = max(sample.rfind("\n"), sample.rfind("\r"))
    return sample[: cut + 1] if cut > 0 else sample


def _consistency(text: str, delimiter: str) -> tuple[float, int]:
    """(share of the first records with the most common column count, that count). A title row above the
    header, or a stray comma in one value, does not move the most common count."""
    widths = [len(r) for r in _first_records(text, delimiter) if r]
    if not widths:
        return (0.0, 0)
    width = max(set(widths), key=lambda w: (widths.count(w), w))
    return (widths.count(width) / len(widths), width)


def _first_records(text: str, delimiter: str, limit: int = 50) -> list[list[str]]:
    reader = csv.reader(text.splitlines(keepends=True), delimiter=delimiter)
    out: list[list[str]] = []
    try:
        for record in reader:
            out.append(record)
            if len(out) >= limit:
                break
    except csv.Error:
        pass
    return out
