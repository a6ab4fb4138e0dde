"""Builders for the kind of files people really send: written the way Excel and exporting tools write them."""

from __future__ import annotations

import codecs
import unicodedata
from pathlib import Path

TONES = "\u0300\u0301\u0303\u0309\u0323"


def cp1258_bytes(text: str) -> bytes:
    """Windows-1258 as Vietnamese Windows writes it: vowel letters precomposed (ê, ơ, ă), tones as combining
    marks after them — Python's charmap codec cannot encode "ễ" in one piece."""
    out: list[str] = []
    for ch in text:
        parts = unicodedata.normalize("NFD", ch)
        tones = "".join(c for c in parts if c in TONES)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in TONES))
        out.append(base + tones)
    return "".join(out).encode("cp1258")


def write_rows(path: Path, rows: list[list[str]], *, delimiter: str, encoding: str, bom: bytes = b"") -> Path:
    """Rows joined as Excel does (CRLF); a value holding the delimiter, a quote or a newline is quoted."""
    lines = [delimiter.join(_quote(v, delimiter) for v in row) for row in rows]
    text = "\r\n".join(lines) + "\r\n"
    data = cp1258_bytes(text) if encoding == "cp1258" else text.encode(encoding)
    path.write_bytes(bom + data)
    return path


def _quote(value: str, delimiter: str) -> str:
    if any(c in value for c in (delimiter, '"', "\n", "\r")):
        return '"' + value.replace('"', '""') + '"'
    return value


UTF8_BOM = codecs.BOM_UTF8
UTF16_LE_BOM = codecs.BOM_UTF16_LE
