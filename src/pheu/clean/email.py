"""Judging an email address a lead typed: can we write to it, and is it really theirs?

Nothing here touches the network: the machine that captures leads may be offline, and a lead form must answer
at once. So "valid" means well-formed, not "the mailbox exists"; the other checks (throw-away domains, shared
role mailboxes, typos of the big providers, obvious fakes) are table look-ups done in memory.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Final

from disposable_email_domains import blocklist
from email_validator import EmailNotValidError, validate_email
from rapidfuzz import process
from rapidfuzz.distance import OSA

ACCEPTED: Final = "an address like ten@congty.vn or ten@gmail.com"

# Loaded once: the package ships its list as a Python set, so this is a reference, not a copy.
DISPOSABLE_DOMAINS: Final[frozenset[str]] = frozenset(blocklist)

# Where people in Vietnam actually keep their mail; typos are corrected towards these and only these.
POPULAR_DOMAINS: Final = (
    "gmail.com",
    "yahoo.com",
    "yahoo.com.vn",
    "outlook.com",
    "hotmail.com",
    "icloud.com",
    "fpt.vn",
    "fpt.com.vn",
    "vnn.vn",
    "viettel.vn",
    "viettel.com.vn",
    "vnpt.vn",
)

# Real providers one keystroke away from a popular domain: never "correct" them.
_LOOKALIKE_PROVIDERS: Final = frozenset(
    {
        "mail.com",
        "email.com",
        "ymail.com",
        "googlemail.com",
        "live.com",
        "msn.com",
        "me.com",
        "mac.com",
        "aol.com",
        "gmx.com",
        "gmx.net",
        "zoho.com",
        "proton.me",
        "protonmail.com",
        "yandex.com",
        "qq.com",
        "163.com",
        "naver.com",
        "hotmail.fr",
        "hotmail.co.uk",
        "outlook.com.vn",
        "yahoo.co.jp",
        "yahoo.co.uk",
        "yahoo.fr",
    }
)
KNOWN_DOMAINS: Final = frozenset(POPULAR_DOMAINS) | _LOOKALIKE_PROVIDERS

# Shared mailboxes: writing to them reaches a department, and two colleagues may both give one.
_ROLE_WORDS: Final = frozenset(
    {
        "info", "admin", "administrator", "sales", "sale", "contact", "contacts", "support", "noreply",
        "donotreply", "hr", "lienhe", "hotro", "cskh", "chamsockhachhang", "ketoan", "kinhdoanh",
        "phongkinhdoanh", "tuyendung", "nhansu", "hanhchinh", "vanphong", "dathang", "baogia", "marketing",
        "office", "billing", "accounts", "accounting", "finance", "help", "helpdesk", "hello", "team", "jobs",
        "career", "careers", "recruitment", "webmaster", "postmaster", "hostmaster", "abuse", "enquiries",
        "enquiry", "inquiry", "feedback", "booking", "order", "orders", "service", "customerservice",
        "press", "media", "partner", "partners", "mailerdaemon", "root", "security", "privacy", "legal",
    }
)  # fmt: skip

_FAKE_LOCALS: Final = frozenset(
    {
        "test", "tester", "testing", "asdf", "asd", "qwe", "qwer", "qwerty", "zxc", "abc", "abcd", "abcde",
        "xyz", "fake", "none", "null", "nil", "no", "noemail", "nomail", "khong", "khongco", "chuaco", "empty",
        "example", "sample", "user", "username", "email", "youremail", "tenban", "demo",
    }
)  # fmt: skip
_FAKE_DOMAIN_LABELS: Final = frozenset(
    {"example", "test", "testing", "fake", "asdf", "qwerty", "domain", "yourdomain", "tenmien"}
)
_MASH_PREFIXES: Final = ("asdf", "qwer", "zxcv", "sdfg", "hjkl")
_SEPARATORS: Final = re.compile(r"[._\-]")
_INVISIBLE: Final = re.compile(r"[\u200b-\u200d\u2060\ufeff]")
_SPACED_AT: Final = re.compile(r"\s*@\s*")
_ANGLE: Final = re.compile(r"<([^<>]*@[^<>]*)>")


@dataclass(frozen=True, slots=True)
class EmailCheck:
    """What we know about one typed address; ``address`` is the form to store (``None`` when invalid)."""

    address: str | None
    valid: bool
    problem: str | None = None
    message: str | None = None
    disposable: bool = False
    role_address: bool = False
    fake: bool = False
    suggestion: str | None = None

    @property
    def usable(self) -> bool:
        """Whether we can reach this person here: well-formed, theirs, and not a likely typo."""
        return self.valid and not (self.disposable or self.fake or self.suggestion)

    @property
    def personal(self) -> bool:
        """Whether the address names one person, so two leads holding it are the same person."""
        return self.usable and not self.role_address


def check_email(raw: str | None) -> EmailCheck:
    """Judge what a person typed; never raises: bad input comes back with a ``problem`` code and a message.

    Problem codes, most serious first: ``empty``, ``syntax``, ``fake``, ``typo``, ``disposable``.
    A role address (info@, lienhe@ …) is flagged but is not a problem: companies do write from them.
    """
    text = _tidy(raw)
    if not text:
        return EmailCheck(
            None, valid=False, problem="empty", message=f"No email address given; give {ACCEPTED}."
        )
    # "--" in a domain may be an IDNA label ("xn--…", or reserved hyphens in the 3rd and 4th places): only
    # the full validator knows, so such domains take the slow path.
    if (
        _PLAIN.match(text)
        and len(text) <= 254
        and text.rpartition(".")[2].lower() not in _SPECIAL_USE
        and "--" not in text.rpartition("@")[2]
    ):
        address = text.lower()
    else:
        try:
            address = validate_email(text, check_deliverability=False).normalized.lower()
        except EmailNotValidError as exc:
            return _syntax_problem(text, exc)
    local, domain = address.rsplit("@", 1)
    role = is_role_local(local)
    fake = looks_fake(local, domain)
    corrected = suggest_domain(domain)
    suggestion = f"{local}@{corrected}" if corrected else None
    disposable = domain in DISPOSABLE_DOMAINS and suggestion is None
    problem, message = _first_problem(address, fake=fake, suggestion=suggestion, disposable=disposable)
    return EmailCheck(address, True, problem, message, disposable, role, fake, suggestion)


# Plain ASCII addresses — nearly every real one — are valid exactly when this matches, so they skip the full
# RFC 5322 / IDNA validator, which costs more than everything else an import does per row.
_PLAIN = re.compile(
    r"^[A-Za-z0-9_%+\-]+(?:\.[A-Za-z0-9_%+\-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)


# Special-use names (RFC 6761) that the full validator refuses; they take the slow path to be refused there.
_SPECIAL_USE = frozenset(
    {"arpa", "invalid", "local", "localhost", "onion", "test", "internal", "home", "lan"}
)


@functools.lru_cache(maxsize=65536)
def suggest_domain(domain: str) -> str | None:
    """The popular domain a person most likely meant, or ``None`` when ``domain`` looks intended.

    One slip (a wrong, missing, extra or swapped letter) is corrected; two only inside a long provider name
    (``gnai.com``), never in the ending, so ``yahoo.com.au`` stays Australian and ``vtv.vn`` is not fpt.vn.
    Gmail has one domain only, so any ending on a gmail-like name (``gmail.com.vn``, ``gmial.vn``) points to
    gmail.com; ``mail.ru`` and ``email.com`` are real and left alone.
    """
    domain = domain.lower().strip(".")
    if len(domain) < 5 or domain in KNOWN_DOMAINS:
        return None
    best = process.extractOne(domain, POPULAR_DOMAINS, scorer=OSA.distance, score_cutoff=2)
    if best is not None:
        candidate, distance, _ = best
        if distance <= 1 or _two_slips_in_name(domain, candidate):
            return candidate
    name = domain.partition(".")[0]
    if name.startswith("g") and OSA.distance(name, "gmail") <= 1:
        return "gmail.com"
    return None


def _two_slips_in_name(domain: str, candidate: str) -> bool:
    """Two slips are believable inside a long provider name that still starts right (``gnai.com``); a
    registered throw-away domain two letters off (yopmail.com, not hotmail.com) is deliberate."""
    name, _, ending = candidate.partition(".")
    return (
        len(name) >= 5
        and domain[0] == candidate[0]
        and domain.partition(".")[2] == ending
        and domain not in DISPOSABLE_DOMAINS
    )


def _tidy(raw: str | None) -> str:
    """Undo what copy-paste and phone keyboards do: full-width letters, "mailto:", "Name <addr>", a trailing
    full stop, spaces around the @."""
    if raw is None:
        return ""
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", raw)).strip()
    angled = _ANGLE.search(text)
    if angled:
        text = angled.group(1).strip()
    if text.lower().startswith("mailto:"):
        text = text[len("mailto:") :]
    return _SPACED_AT.sub("@", text).strip().rstrip(".,;:")


def _syntax_problem(text: str, exc: EmailNotValidError) -> EmailCheck:
    local, at, domain = text.rpartition("@")
    suggestion = None
    if at and local and "." not in domain:
        guess = next((d for d in POPULAR_DOMAINS if d.partition(".")[0] == domain.lower()), None)
        suggestion = f"{local.lower()}@{guess}" if guess else None
    hint = f" Did you mean {suggestion}?" if suggestion else ""
    message = f"'{text}' is not a valid email address: {exc}{hint} Give {ACCEPTED}."
    return EmailCheck(None, valid=False, problem="syntax", message=message, suggestion=suggestion)


def _first_problem(
    address: str, *, fake: bool, suggestion: str | None, disposable: bool
) -> tuple[str | None, str | None]:
    if fake:
        return "fake", f"'{address}' looks made up, not a real person's address. Give {ACCEPTED}."
    if suggestion:
        return "typo", f"'{address}' looks mistyped: did you mean {suggestion}?"
    if disposable:
        domain = address.rsplit("@", 1)[1]
        return "disposable", f"'{domain}' hands out throw-away mailboxes that stop working. Give {ACCEPTED}."
    return None, None


def is_role_local(local: str) -> bool:
    """Whether the part before the @ names a department (``info``, ``sales.hcm``, ``lienhe``), not a person."""
    mailbox = local.partition("+")[0]
    words = [w for w in _SEPARATORS.split(mailbox) if w]
    return _SEPARATORS.sub("", mailbox) in _ROLE_WORDS or (len(words) > 1 and words[0] in _ROLE_WORDS)


def looks_fake(local: str, domain: str) -> bool:
    """Addresses typed to get past a form: test@test.com, a@a.com, asdf@…, anything @example.vn, aaaa@…."""
    mailbox = _SEPARATORS.sub("", local.partition("+")[0])
    label = domain.partition(".")[0]
    return (
        mailbox.rstrip("0123456789") in _FAKE_LOCALS
        or (mailbox.isdigit() and mailbox in "1234567890")
        or (len(mailbox) >= 3 and len(set(mailbox)) == 1)
        or mailbox.startswith(_MASH_PREFIXES)
        or label in _FAKE_DOMAIN_LABELS
        or len(set(label)) == 1
    )
