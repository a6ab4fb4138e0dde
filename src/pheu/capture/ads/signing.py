"""Checking that a webhook really came from the platform, in constant time.

Facebook and TikTok sign with HMAC-SHA256 of the body keyed with the app secret, and both document that they
sign an *escaped-unicode* rendering of the body ("äöå" as ``\\u00e4\\u00f6\\u00e5``, lowercase hex). When the
body arrives already escaped the raw bytes are what was signed; when it arrives as UTF-8, only the escaped
rendering matches. So both renderings are tried. Either one still needs the secret, so trying two costs
nothing in safety, while trying only one would turn the first lead named "Nguyễn" into a rejected "attack".
"""

from __future__ import annotations

import hashlib
import hmac


def escape_non_ascii(raw: bytes) -> bytes | None:
    """``raw`` with every non-ASCII character written as a lowercase ``\\uXXXX`` escape (surrogate pairs past
    U+FFFF, as JSON encoders do), everything else byte for byte. ``None`` when there is nothing to escape or
    the bytes are not UTF-8 (then no escaped rendering exists)."""
    if raw.isascii():
        return None
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    out: list[str] = []
    for char in decoded:
        code = ord(char)
        if code < 0x80:
            out.append(char)
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:
            code -= 0x10000
            out.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
    return "".join(out).encode("ascii")


def hmac_sha256_hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def same_text(expected: str, given: str) -> bool:
    """Constant-time equality of two signatures; a non-ASCII ``given`` is simply unequal."""
    if not given.isascii():
        return False
    return hmac.compare_digest(expected.encode("ascii"), given.encode("ascii"))


def body_hmac_matches(raw_body: bytes, signature_hex: str, secret: str) -> bool:
    """Whether ``signature_hex`` is the HMAC-SHA256 of the body as received or of its escaped rendering.

    Both comparisons always run, so the time taken does not reveal which rendering (if any) matched.
    """
    given = signature_hex.strip().lower()
    matched = same_text(hmac_sha256_hex(secret, raw_body), given)
    escaped = escape_non_ascii(raw_body)
    if escaped is not None:
        matched = same_text(hmac_sha256_hex(secret, escaped), given) or matched
    return matched


def require_secret(secret: str, name: str) -> None:
    """Refuse to check anything with an empty secret: a signature keyed with "" proves nothing, and a
    misconfiguration should fail loudly instead of quietly accepting or refusing every delivery."""
    if not secret:
        raise ValueError(f"{name} is empty: set it before accepting webhooks")
