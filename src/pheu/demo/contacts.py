"""Made-up people who read as real Vietnamese contacts: name, email, mobile number, place, job and company.

Emails are built from the tone-free name the way people really pick them (``anhnguyen95``,
``nguyenvananh``), so duplicate matching and tone-insensitive search have realistic material to work on.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import cache
from typing import Final

from pheu.clean.search import fold
from pheu.demo import vocab
from pheu.demo import vocab_business as biz
from pheu.demo.weighted import Weighted, chance

_FAMILY: Final = Weighted(vocab.FAMILY_NAMES)
_MIDDLE: Final = {g: Weighted(v) for g, v in vocab.MIDDLE_NAMES.items()}
_GIVEN: Final = {g: Weighted(v) for g, v in vocab.GIVEN_NAMES.items()}
_GENDER: Final = Weighted(vocab.GENDERS)
_PROVINCE: Final = Weighted((p, p[2]) for p in vocab.PROVINCES)
_PREFIX: Final = Weighted(vocab.MOBILE_PREFIXES)
_FREE_DOMAIN: Final = Weighted(vocab.FREE_EMAIL_DOMAINS)
_TLD: Final = Weighted(vocab.COMPANY_TLDS)
_AGE: Final = Weighted(vocab.AGE_RANGES)
_INCOME: Final = {a: Weighted(v) for a, v in vocab.INCOME_RANGES.items()}
_MARITAL: Final = {a: Weighted(v) for a, v in vocab.MARITAL_STATUS.items()}
_INDUSTRY: Final = Weighted(biz.INDUSTRIES)
_LEGAL: Final = Weighted(biz.LEGAL_FORMS)
_SIZE: Final = Weighted(biz.COMPANY_SIZES)
_B2B_TITLE: Final = Weighted(biz.B2B_JOB_TITLES)
_B2C_TITLE: Final = Weighted(biz.B2C_JOB_TITLES)
_AGE_MIDDLE: Final = {"18-24": 21, "25-34": 30, "35-44": 40, "45-54": 50, "55+": 60}
# Older people far more often carry the traditional middle names.
_TRADITIONAL_BOOST: Final = {"18-24": 0.3, "25-34": 0.6, "35-44": 1.0, "45-54": 1.6, "55+": 2.2}


@dataclass(slots=True)
class Person:
    full_name: str
    gender: str | None
    age_range: str | None
    income_range: str | None
    marital_status: str | None
    province: str
    region: str
    city: str | None
    job_title: str | None
    email: str | None = None
    phone: str | None = None
    company: str | None = None
    industry: str | None = None
    company_size: str | None = None
    company_domain: str | None = None
    interests: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Company:
    name: str
    industry: str
    size: str
    domain: str


@dataclass
class ContactBook:
    """Remembers every email and phone handed out, so no two demo leads collide by accident."""

    emails: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)
    companies: list[Company] = field(default_factory=list)
    domains: set[str] = field(default_factory=set)


@cache
def _ascii(word: str) -> str:
    """The tone-free, space-free form used in addresses; the name vocabulary is small, so it is cached."""
    return fold(word).replace(" ", "")


def _name(gender: str | None, age: str, rng: random.Random) -> tuple[str, str, str]:
    sex = gender or ("female" if chance(rng, 0.5) else "male")
    family = _FAMILY.pick(rng)
    middle = _MIDDLE[sex].pick(rng)
    if middle in {"Văn", "Thị"} and not chance(rng, min(1.0, _TRADITIONAL_BOOST[age])):
        middle = _MIDDLE[sex].pick(rng)
    given = _GIVEN[sex].pick(rng)
    while given == middle:
        given = _GIVEN[sex].pick(rng)
    return family, middle, given


def make_phone(rng: random.Random, book: ContactBook) -> str:
    """A Vietnamese mobile number in E.164 (+84 and nine digits) from a prefix a carrier really uses."""
    while True:
        prefix = _PREFIX.pick(rng)[1:]
        rest = "".join(rng.choices("0123456789", k=9 - len(prefix)))
        phone = f"+84{prefix}{rest}"
        if phone not in book.phones:
            book.phones.add(phone)
            return phone


def _local_part(family: str, middle: str, given: str, birth_year: int, rng: random.Random) -> str:
    f, m, g = (_ascii(part) for part in (family, middle, given))
    yy = f"{birth_year % 100:02d}"
    patterns = (
        f"{g}{f}{yy}",
        f"{g}.{f}{yy}",
        f"{f}{m}{g}",
        f"{f}{m}{g}{yy}",
        f"{g}{m[0]}{f[0]}{rng.randint(1, 999)}",
        f"{m}{g}{birth_year}",
        f"{g}{f}{rng.randint(1, 99)}",
    )
    return rng.choice(patterns)


def make_email(
    names: tuple[str, str, str], birth_year: int, domain: str | None, rng: random.Random, book: ContactBook
) -> str:
    """A lower-case ASCII address; ``domain`` is the company's, or None for a free mailbox."""
    family, middle, given = names
    if domain is not None:
        f, g = _ascii(family), _ascii(given)
        local = rng.choice((f"{g}.{f}", g, f"{g}{f}", f"{_ascii(middle)[0]}{g}"))
    else:
        local = _local_part(family, middle, given, birth_year, rng)
        domain = _FREE_DOMAIN.pick(rng)
    email = f"{local}@{domain}"
    while email in book.emails:
        email = f"{local}{rng.randint(1, 9999)}@{domain}"
    book.emails.add(email)
    return email


def _new_company(rng: random.Random, book: ContactBook) -> Company:
    """A company with a domain of its own: two firms never share one, or domain matching would merge them."""
    industry = _INDUSTRY.pick(rng)
    proper = rng.choice(biz.COMPANY_PROPER_NAMES)
    legal = _LEGAL.pick(rng)
    if legal == "Hộ kinh doanh":
        name, size = f"{legal} {proper}", "1-9"
    else:
        name, size = f"{legal} {rng.choice(biz.INDUSTRY_WORDS[industry])} {proper}", _SIZE.pick(rng)
    stem = _ascii(proper)
    tags = ["", "group", *biz.INDUSTRY_DOMAIN_TAGS[industry]]
    rng.shuffle(tags)
    tld = _TLD.pick(rng)
    candidates = [f"{stem}{tag}.{tld}" for tag in tags]
    domain = next((d for d in candidates if d not in book.domains), None)
    while domain is None or domain in book.domains:
        domain = f"{stem}{rng.randint(2, 999)}.{tld}"
    book.domains.add(domain)
    company = Company(name, industry, size, domain)
    book.companies.append(company)
    return company


def _company(person: Person, rng: random.Random, book: ContactBook) -> None:
    """Mostly a new firm; sometimes a colleague of an earlier lead, as happens when a team evaluates."""
    company = rng.choice(book.companies) if book.companies and chance(rng, 0.08) else _new_company(rng, book)
    person.company, person.industry, person.company_domain = company.name, company.industry, company.domain
    person.company_size = company.size
    if company.name.startswith("Hộ kinh doanh"):
        person.job_title = rng.choice(("Chủ cửa hàng", "Chủ doanh nghiệp", "Quản lý cửa hàng"))


def make_person(
    rng: random.Random,
    book: ContactBook,
    *,
    this_year: int,
    b2b: bool,
    email_missing: float = 0.10,
    phone_missing: float = 0.08,
    sparse: bool = False,
) -> Person:
    """One contact; ``sparse`` leaves most profile fields empty, as a bought list would."""
    gender = _GENDER.pick(rng)
    age = _AGE.pick(rng)
    names = _name(gender, age, rng)
    province = _PROVINCE.pick(rng)
    person = Person(
        full_name=" ".join(names),
        gender=gender,
        age_range=age if chance(rng, 0.3 if sparse else 0.8) else None,
        income_range=_INCOME[age].pick(rng) if not sparse and chance(rng, 0.65) else None,
        marital_status=_MARITAL[age].pick(rng) if not sparse and chance(rng, 0.6) else None,
        province=province[0],
        region=province[1],
        city=rng.choice(province[3]) if chance(rng, 0.85) else None,
        job_title=_B2B_TITLE.pick(rng) if b2b else _B2C_TITLE.pick(rng),
    )
    if b2b:
        _company(person, rng, book)
    if not sparse:
        person.interests = rng.sample(biz.INTERESTS, k=rng.choice((1, 2, 2, 3, 3, 4)))
    has_email = not chance(rng, email_missing)
    has_phone = not chance(rng, phone_missing) or not has_email
    if has_email:
        work_mail = person.company_domain is not None and chance(rng, 0.35)
        birth_year = this_year - _AGE_MIDDLE[age] + rng.randint(-3, 3)
        person.email = make_email(names, birth_year, person.company_domain if work_mail else None, rng, book)
    if has_phone:
        person.phone = make_phone(rng, book)
    return person
