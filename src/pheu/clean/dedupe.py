"""Is this the same person again? Exact matches, the merge policy, and look-alikes to show a person.

Two leads sharing a personal email or mobile are one person and are merged automatically (elsewhere). Two that
only look alike are paired for a human to confirm. Vietnamese names make look-alikes tricky: a handful of family
names cover most people and "Nguyễn Văn Anh" may be hundreds of different people, so a similar name alone is
never enough — it has to be backed by the company, the phone or the email.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, Final

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from pheu.clean.email import check_email, looks_fake
from pheu.clean.phone import check_phone
from pheu.clean.phone import looks_fake as phone_looks_fake
from pheu.clean.search import fold

NAME_WEIGHT: Final = 0.7
# The share of the score that only corroborating evidence (company, phone, email) can bring.
EVIDENCE_WEIGHT: Final = 1 - NAME_WEIGHT
# A company block this large is a big account, not a typo: its people are still compared through name blocks.
MAX_COMPANY_BLOCK: Final = 5000
# Company likeness below this is a different firm that shares trade words, not evidence.
COMPANY_FLOOR: Final = 80.0

_LEGAL_FORMS: Final = re.compile(
    r"\b(cong ty|cty|ctcp|tnhh|co phan|cp|mtv|mot thanh vien|hai thanh vien( tro len)?|tap doan|dntn"
    r"|doanh nghiep tu nhan|ho kinh doanh|hkd|jsc|co|ltd|llc|inc|corp|corporation|company|limited|joint stock)\b"
)
_COUNTRY_SUFFIX: Final = re.compile(r"\s(viet nam|vietnam|vn)$")
_NOT_WORD: Final = re.compile(r"[^\w]+")
_GENDERED_MIDDLE: Final = {"van": "male", "thi": "female"}


@dataclass(frozen=True, slots=True)
class MergeResult:
    """``values`` is the whole merged record; ``changed`` maps each field that moved to (old, new), which is
    what a merge log needs to show the merge and to undo it."""

    values: dict[str, Any]
    changed: dict[str, tuple[Any, Any]]


@dataclass(frozen=True, slots=True)
class PersonKey:
    """What duplicate matching looks at; ``email`` and ``phone`` as stored (lower-cased, E.164)."""

    id: int
    name: str | None
    company: str | None = None
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class DuplicatePair:
    """Two records that look like one person; ``a_id < b_id``; ``score`` is 0-100; ``reasons`` are codes
    (``same_name``, ``similar_name``, ``same_company``, ``similar_company``, ``same_phone``,
    ``phone_one_digit_off``, ``same_email``)."""

    a_id: int
    b_id: int
    score: int
    reasons: tuple[str, ...]


def exact_keys(email: str | None, phone: str | None, region: str = "VN") -> set[str]:
    """Keys two records of one person share: ``email:<address>`` and ``phone:<e164>``.

    Only contact details that name one person count. Role mailboxes (info@, lienhe@), landlines, hotlines,
    throw-away and made-up addresses or numbers are shared by many people, and merging on them would fuse
    strangers, so they yield no key.
    """
    keys: set[str] = set()
    mail = check_email(email)
    if mail.personal and mail.address:
        keys.add(f"email:{mail.address}")
    number = check_phone(phone, region)
    if number.personal and number.e164:
        keys.add(f"phone:{number.e164}")
    return keys


def merge_fields(
    existing: Mapping[str, Any],
    incoming: Mapping[str, Any],
    existing_at: datetime,
    incoming_at: datetime,
) -> MergeResult:
    """Fold ``incoming`` into ``existing``: blanks are filled, lists are united in order, and otherwise the
    newer value wins (on a tie the existing one stays). A field that holds a value never becomes blank, and
    merging the same incoming record again changes nothing. Both times must be aware (UTC) or both naive.
    """
    incoming_is_newer = incoming_at > existing_at
    values = dict(existing)
    changed: dict[str, tuple[Any, Any]] = {}
    for name, new in incoming.items():
        old = existing.get(name)
        merged = _merge_value(old, new, incoming_is_newer)
        if merged is not old and merged != old:
            values[name] = merged
            changed[name] = (old, merged)
    return MergeResult(values, changed)


def likely_duplicates(candidates: Sequence[PersonKey], threshold: int = 90) -> list[DuplicatePair]:
    """Pairs that look like one person but share no exact key, best first, for a person to confirm.

    The score is 70% name likeness (tone-insensitive, word order free, the given name weighing most) and 30%
    the best corroborating evidence: a like company, the same or a one-digit-off phone, or the same shared
    address (info@…). A pair with no such evidence is never proposed. The mailbox name is no evidence: it is
    usually the person's name again (``nguyenvananh@gmail.com`` and ``nguyenvananh@yahoo.com``).
    Records are only compared within blocks (same family and given name, or same company), which keeps
    100,000 records to seconds; people whose family name is misspelt *and* who give no company are missed.
    """
    records = _records(candidates)
    name_floor = (threshold - 100 * EVIDENCE_WEIGHT) / NAME_WEIGHT
    evidence_floor = (threshold - 100 * NAME_WEIGHT) / EVIDENCE_WEIGHT
    keys: dict[int, frozenset[str]] = {}
    seen: set[tuple[int, int]] = set()
    pairs: list[DuplicatePair] = []
    for i, j in _candidate_pairs(records, name_floor, evidence_floor):
        a, b = (records[i], records[j]) if records[i].id < records[j].id else (records[j], records[i])
        if a.id == b.id or (a.id, b.id) in seen:
            continue
        seen.add((a.id, b.id))
        pair = _score(a, b)
        if pair is None or pair.score < threshold or _share_a_key(a, b, keys):
            continue
        pairs.append(pair)
    return sorted(pairs, key=lambda p: (-p.score, p.a_id, p.b_id))


def company_key(company: str | None) -> str:
    """The company name without legal form, accents or punctuation: "Cty TNHH ABC" and "Công ty ABC" match."""
    if not company:
        return ""
    words = _NOT_WORD.sub(" ", fold(company)).strip()
    core = _LEGAL_FORMS.sub(" ", words)
    core = " ".join(core.split())
    trimmed = _COUNTRY_SUFFIX.sub("", core)
    return trimmed or core


def _is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, list | tuple | set | frozenset | dict) and not value


def _merge_value(old: Any, new: Any, incoming_is_newer: bool) -> Any:
    if _is_blank(new):
        return old
    if _is_blank(old):
        return new
    if isinstance(old, list | tuple) and isinstance(new, list | tuple):
        extra = _missing_items(old, new)
        return [*old, *extra] if extra else old
    return new if incoming_is_newer else old


def _missing_items(old: Sequence[Any], new: Sequence[Any]) -> list[Any]:
    extra: list[Any] = []
    for item in new:
        if item not in old and item not in extra:
            extra.append(item)
    return extra


@dataclass(frozen=True, slots=True)
class _Record:
    """A candidate with everything the comparisons need computed once."""

    id: int
    tokens: tuple[str, ...]
    sorted_name: str
    short_name: str
    company: str
    company_tail: str
    phone: str
    email: str
    source: PersonKey

    @classmethod
    def of(
        cls, person: PersonKey, name_words: Callable[[str], tuple[str, ...]], firm: Callable[[str], str]
    ) -> _Record:
        company = firm(person.company or "")
        tokens = name_words(person.name or "")
        short = " ".join(sorted({tokens[0], tokens[-1]})) if tokens else ""
        email = (person.email or "").strip().lower()
        local, _, domain = email.rpartition("@")
        fake_email = not local or looks_fake(local, domain)
        phone = "".join(ch for ch in person.phone or "" if ch.isdigit())
        return cls(
            id=person.id,
            tokens=tokens,
            sorted_name=" ".join(sorted(tokens)),
            short_name=short,
            company=company,
            company_tail="".join(company.split()[-2:]),
            phone="" if not phone or phone_looks_fake(phone[-9:]) else phone,
            email="" if fake_email else email,
            source=person,
        )

    def blocks(self) -> Iterator[str]:
        first, given = self.tokens[0], self.tokens[-1]
        yield f"n:{min(first, given)}|{max(first, given)}"
        if self.company:
            yield f"c:{self.company}"


def _records(candidates: Sequence[PersonKey]) -> list[_Record]:
    """Names and firms repeat a lot among leads, so each distinct one is folded once, for this call only."""
    name_words = cache(_name_words)
    firm = cache(company_key)
    records = (_Record.of(person, name_words, firm) for person in candidates)
    return [record for record in records if record.tokens]


def _name_words(name: str) -> tuple[str, ...]:
    return tuple(_NOT_WORD.sub(" ", fold(name)).split())


def _candidate_pairs(
    records: list[_Record], name_floor: float, evidence_floor: float
) -> Iterator[tuple[int, int]]:
    """Pairs worth scoring, found in C by rapidfuzz so that big blocks cost little Python."""
    blocks: dict[str, list[int]] = defaultdict(list)
    for index, record in enumerate(records):
        for key in record.blocks():
            blocks[key].append(index)
    whole_floor = max(0.0, 2 * name_floor - 100)
    for key, members in blocks.items():
        if len(members) < 2:
            continue
        if key.startswith("n:"):
            yield from _similar(members, [records[m].company_tail or None for m in members], OSA.distance, 1)
            yield from _similar(members, [records[m].phone or None for m in members], OSA.distance, 1)
            yield from _same_value(members, [records[m].email for m in members])
        elif len(members) <= MAX_COMPANY_BLOCK:
            yield from _similar(members, [records[m].sorted_name for m in members], fuzz.ratio, whole_floor)
            short_floor = min(100.0, whole_floor / 0.95)
            yield from _similar(members, [records[m].short_name for m in members], fuzz.ratio, short_floor)


def _similar(
    members: list[int], values: list[str | None], scorer: Callable[..., float], cutoff: float
) -> Iterator[tuple[int, int]]:
    """Each value against those after it; ``cutoff`` is a floor for likeness scorers, a ceiling for
    distances (rapidfuzz knows which)."""
    for position, value in enumerate(values[:-1]):
        if value is None:
            continue
        rest = values[position + 1 :]
        for _, _, offset in process.extract(value, rest, scorer=scorer, score_cutoff=cutoff, limit=None):
            yield members[position], members[position + 1 + offset]


def _same_value(members: list[int], values: list[str]) -> Iterator[tuple[int, int]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for member, value in zip(members, values, strict=True):
        if value:
            groups[value].append(member)
    for group in groups.values():
        yield from ((a, b) for n, a in enumerate(group) for b in group[n + 1 :])


def _score(a: _Record, b: _Record) -> DuplicatePair | None:
    evidence = _evidence(a, b)
    if not evidence:
        return None
    name = _name_likeness(a, b)
    ranked = sorted(evidence, key=lambda code: -evidence[code])
    score = round(NAME_WEIGHT * name + EVIDENCE_WEIGHT * evidence[ranked[0]])
    name_code = "same_name" if a.sorted_name == b.sorted_name else "similar_name"
    return DuplicatePair(a.id, b.id, score, (name_code, *ranked))


def _name_likeness(a: _Record, b: _Record) -> float:
    """Mean of whole-name and given-name likeness: "Nguyễn Văn Anh" and "Nguyễn Văn Bình" share most letters
    but are plainly two people. A dropped middle name costs little; swapped name order costs nothing."""
    if _genders_differ(a.tokens, b.tokens):
        return 0.0
    whole = fuzz.ratio(a.sorted_name, b.sorted_name)
    if len(a.tokens) != len(b.tokens):
        whole = max(whole, 0.95 * fuzz.ratio(a.short_name, b.short_name))
    first_a, given_a, first_b, given_b = a.tokens[0], a.tokens[-1], b.tokens[0], b.tokens[-1]
    given = max(fuzz.ratio(given_a, given_b), min(fuzz.ratio(first_a, given_b), fuzz.ratio(given_a, first_b)))
    return (whole + given) / 2


def _genders_differ(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """A middle "Văn" marks a man and "Thị" a woman: Nguyễn Văn Anh and Nguyễn Thị Anh are two people."""
    marks_a = {_GENDERED_MIDDLE[t] for t in a[1:-1] if t in _GENDERED_MIDDLE}
    marks_b = {_GENDERED_MIDDLE[t] for t in b[1:-1] if t in _GENDERED_MIDDLE}
    return bool(marks_a and marks_b and marks_a.isdisjoint(marks_b))


def _evidence(a: _Record, b: _Record) -> dict[str, float]:
    found: dict[str, float] = {}
    likeness = _company_likeness(a, b)
    if likeness >= COMPANY_FLOOR:
        found["same_company" if a.company == b.company else "similar_company"] = likeness
    if a.phone and b.phone:
        if a.phone == b.phone:
            found["same_phone"] = 100.0
        elif OSA.distance(a.phone, b.phone, score_cutoff=1) <= 1:
            found["phone_one_digit_off"] = 100.0
    if a.email and a.email == b.email:
        found["same_email"] = 100.0
    return found


def _company_likeness(a: _Record, b: _Record) -> float:
    """Vietnamese firms are named legal form + trade + proper name ("Công ty TNHH Thương mại Dịch vụ Thành
    Đạt"): trade words are shared by thousands of firms, so the proper name at the end must be the same (one
    slip allowed in a long one: "An Phú" and "Tân Phú" are two firms). A short form ("Thành Đạt") matches."""
    if not (a.company and b.company):
        return 0.0
    tail_a, tail_b = a.company_tail, b.company_tail
    if tail_a != tail_b and (min(len(tail_a), len(tail_b)) < 8 or OSA.distance(tail_a, tail_b) > 1):
        return 0.0
    return fuzz.token_set_ratio(a.company, b.company)


def _share_a_key(a: _Record, b: _Record, known: dict[int, frozenset[str]]) -> bool:
    """Exact keys need full validation, so only pairs with an equal email or phone number pay for it."""
    email_a, email_b = ((r.source.email or "").strip().lower() for r in (a, b))
    same_email = bool(email_a) and email_a == email_b
    same_phone = bool(a.phone) and a.phone[-9:] == b.phone[-9:]
    if not (same_email or same_phone):
        return False
    for record in (a, b):
        if record.id not in known:
            known[record.id] = frozenset(exact_keys(record.source.email, record.source.phone))
    return bool(known[a.id] & known[b.id])
