"""The capture side of the demo: three forms with the submissions they received, a trade-fair list imported
last week with the rows it merged and rejected, and the likely duplicates that list brought in.

Everything goes through the services a person's actions go through (form screening with real time tokens,
``forms.land``, ``imports.run`` on a real CSV file, ``duplicates.scan``), so the forms, imports, rejected
records and duplicates pages open on data made the way production data is made, not on rows written by hand.
"""

from __future__ import annotations

import csv
import random
import secrets
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from pheu.auth.roles import Principal
from pheu.capture import imports
from pheu.capture.forms import CONSENT_FIELD, FieldSpec, Posted
from pheu.capture.spam import HONEYPOT_FIELD, TOKEN_FIELD, SlidingWindowLimiter, issue_token
from pheu.db import unit_of_work
from pheu.demo.contacts import ContactBook, Person, make_person
from pheu.services import duplicates, forms, users
from pheu.services.forms import FormDraft, Guard
from pheu.store import (
    Assignment,
    Campaign,
    Channel,
    Consent,
    DuplicateCandidate,
    Event,
    Lead,
    RejectedRecord,
    StageChange,
    User,
)

_MARKETER: Final = "marketing@pheu.local"
IMPORT_FILE: Final = "khach-tham-quan-hoi-cho-ban-le-2026.csv"
_HEADERS: Final = ("Họ và tên", "Số điện thoại", "Email", "Công ty", "Chức danh", "Tỉnh/Thành phố", "Ghi chú")


def seed_capture(engine: Engine, now: datetime, seed: int) -> dict[str, int]:
    """Forms, their submissions, one import and a duplicate scan; the counts of what each added."""
    url = engine.url.render_as_string(hide_password=False)
    rng = random.Random(seed + 303)
    book = ContactBook()
    with unit_of_work(url) as session:
        marketer = users.principal_for(session.scalars(select(User).where(User.email == _MARKETER)).one())
        campaign = session.scalar(
            select(Campaign.id)
            .join(Channel, Channel.id == Campaign.channel_id)
            .where(Channel.code == "landing_page", Campaign.starts_on.is_not(None))
            .order_by(Campaign.starts_on.desc())
        )
        slugs = _forms(session, marketer, campaign, now)
    before = _counts(url)
    for slug, count in slugs:
        _submissions(url, slug, count, now, rng, book)
    _trade_fair_import(url, now, rng, book, marketer.user_id)
    with unit_of_work(url) as session:
        duplicates.scan(session, now)
    after = _counts(url)
    return {"forms": len(slugs), "imports": 1, **{table: after[table] - before[table] for table in after}}


def _forms(
    session: Session, marketer: Principal, campaign: int | None, now: datetime
) -> list[tuple[str, int]]:
    """The three forms a shop like the demo's would run, with how many submissions each gets."""
    consent = (
        "Tôi đồng ý để Phễu Retail liên hệ qua email và Zalo về ưu đãi và sản phẩm. "
        "Tôi có thể rút lại sự đồng ý bất cứ lúc nào."
    )
    drafts = [
        (
            FormDraft(
                name="Nhận mã giảm giá 20% dịp Tết",
                slug="ma-giam-gia-tet",
                lead_magnet="coupon",
                fields=(
                    FieldSpec("full_name", "Họ và tên", True),
                    FieldSpec("phone", "Số điện thoại", True),
                    FieldSpec("email", "Email", False),
                    FieldSpec("province", "Tỉnh/Thành phố", False),
                ),
                title="Mã giảm giá 20% cho đơn hàng đầu tiên dịp Tết",
                description="Để lại số điện thoại, mã sẽ được gửi qua Zalo trong vài phút.",
                consent_text=consent,
                consent_purposes=("email_marketing", "zalo"),
                thank_you_message="Cảm ơn bạn! Mã giảm giá đang trên đường tới Zalo của bạn.",
                channel="landing_page",
                campaign_id=campaign,
            ),
            36,
        ),
        (
            FormDraft(
                name="Cẩm nang bán hàng đa kênh 2027",
                slug="cam-nang-ban-hang-da-kenh",
                lead_magnet="ebook",
                fields=(
                    FieldSpec("full_name", "Họ và tên", True),
                    FieldSpec("email", "Email công việc", True),
                    FieldSpec("company", "Công ty", False),
                    FieldSpec("job_title", "Chức danh", False),
                ),
                title="Tải miễn phí: Cẩm nang bán hàng đa kênh 2027",
                consent_text=consent,
                consent_purposes=("email_marketing",),
                thank_you_message="Cẩm nang đã được gửi tới email của bạn.",
                channel="seo",
            ),
            24,
        ),
        (
            FormDraft(
                name="Ứng tuyển Nhân viên kinh doanh",
                slug="ung-tuyen-nhan-vien-kinh-doanh",
                lead_magnet="job_application",
                fields=(
                    FieldSpec("full_name", "Họ và tên", True),
                    FieldSpec("phone", "Số điện thoại", True),
                    FieldSpec("email", "Email", True),
                    FieldSpec("notes", "Kinh nghiệm của bạn", False),
                ),
                title="Gia nhập đội kinh doanh của chúng tôi",
                consent_text="Tôi đồng ý để công ty xử lý hồ sơ ứng tuyển của tôi.",
                consent_purposes=("data_processing",),
                thank_you_message="Cảm ơn bạn đã ứng tuyển. Phòng nhân sự sẽ liên hệ trong tuần.",
                channel="landing_page",
            ),
            7,
        ),
    ]
    for draft, _ in drafts:
        forms.create_form(session, marketer, draft, now - timedelta(days=30))
    return [(draft.slug, count) for draft, count in drafts]


def _submissions(
    url: str, slug: str, count: int, now: datetime, rng: random.Random, book: ContactBook
) -> None:
    """``count`` submissions over the last three weeks, screened and landed as the public endpoint does;
    one in twelve typed a phone and email nobody can use (kept as a rejected record), one a bot."""
    secret = secrets.token_urlsafe(16)
    guard = Guard(secret, SlidingWindowLimiter(limit=1_000_000), "203.0.113.7")
    with unit_of_work(url) as session:
        form = forms.public_form(session, slug)
        for n in range(count):
            posted, at = _posted(n, slug, secret, now, rng, book)
            screened = forms.screen(form, posted, guard, at)
            if not isinstance(screened, forms.Submitted):  # a refusal (a bot, a missing field) lands nothing
                forms.land(session, slug, [screened], at)


def _posted(
    n: int, slug: str, secret: str, now: datetime, rng: random.Random, book: ContactBook
) -> tuple[Posted, datetime]:
    """The ``n``-th person's post to form ``slug``, and when it was sent."""
    at = now - timedelta(days=rng.uniform(0.2, 21), minutes=rng.randint(0, 600))
    person = make_person(rng, book, this_year=now.year, b2b=slug != "ma-giam-gia-tet", email_missing=0.0)
    values = {
        TOKEN_FIELD: issue_token(secret, slug, at - timedelta(seconds=rng.randint(8, 180))),
        HONEYPOT_FIELD: "http://seo-offer.example" if n == 5 else "",
        "full_name": person.full_name,
        "phone": person.phone or "",
        "email": person.email or "",
        "province": person.province,
        "company": person.company or "",
        "job_title": person.job_title or "",
        "notes": "2 năm bán hàng bán lẻ, đã quản lý nhóm 5 người." if n % 2 else "",
        "utm_source": rng.choice(("facebook", "zalo", "google")),
        "utm_medium": "cpc",
        "utm_campaign": slug,
        CONSENT_FIELD: "on" if rng.random() < 0.8 else "",
    }
    if n % 12 == 7:  # nothing usable to reach them by
        values["phone"], values["email"] = "0123", f"{person.full_name.split()[-1].lower()}@"
    return Posted(values, frozenset({"*"}) if values[CONSENT_FIELD] else frozenset()), at


def _trade_fair_import(
    url: str, now: datetime, rng: random.Random, book: ContactBook, by: int | None
) -> None:
    """A visitors' list from a trade fair, typed by hand into Excel: new people, people Phễu already knows
    under another phone format (merged), the same names and companies with other contacts (likely
    duplicates, left for a person to review), and rows that identify no one (rejected with their reasons)."""
    with unit_of_work(url) as session:
        known = [
            (str(name), str(phone), str(company))
            for name, phone, company in session.execute(
                select(Lead.full_name, Lead.phone, Lead.company)
                .where(
                    Lead.full_name.is_not(None),
                    Lead.phone.like("+84%"),
                    Lead.company.is_not(None),
                    Lead.kind == "sales",
                )
                .order_by(Lead.id)
                .limit(400)
            )
        ]
    rows: list[list[str]] = []
    for _ in range(90):
        rows.append(_row(make_person(rng, book, this_year=now.year, b2b=True)))
    for name, phone, company in rng.sample(
        known, min(12, len(known))
    ):  # already known: the phone typed the local way
        national = "0" + phone[3:]
        rows.append([name, f"{national[:4]} {national[4:7]} {national[7:]}", "", company, "", "", "Khách cũ"])
    for name, _, company in rng.sample(
        known, min(6, len(known))
    ):  # same person, other contacts: for review, never merged
        other = make_person(rng, book, this_year=now.year, b2b=True)
        rows.append([name, other.phone or "", other.email or "", company, "", "", "Gặp ở gian hàng B12"])
    rows += [
        ["Chị Lan", "", "", "Shop Lan Anh", "", "Hà Nội", "Không để lại liên hệ"],
        ["Anh Tuấn", "0123", "tuan@", "", "", "", "Số và email ghi không đủ"],
        ["Trần Minh", "0909 999 999 9", "test@test.com", "", "", "TP Hồ Chí Minh", ""],
    ]
    rng.shuffle(rows)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / IMPORT_FILE
        with path.open("w", encoding="utf-8-sig", newline="") as out:  # what Excel saves as "CSV UTF-8"
            writer = csv.writer(out, delimiter=";")
            writer.writerow(_HEADERS)
            writer.writerows(rows)
        at = now - timedelta(days=6, hours=3)
        options = imports.ImportOptions(channel="event", created_by=by, actor_label=f"import:{IMPORT_FILE}")
        import_id = imports.start(url, path, options, at)
        imports.run(url, import_id, path, clock=lambda: at, worker=False)


def _row(person: Person) -> list[str]:
    return [
        person.full_name,
        person.phone or "",
        person.email or "",
        person.company or "",
        person.job_title or "",
        person.province,
        "",
    ]


_COUNTED: Final = {
    "leads": Lead,
    "assignments": Assignment,  # a submission the model moves to MQL is handed off at once
    "events": Event,
    "stage_changes": StageChange,
    "consents": Consent,
    "rejected_records": RejectedRecord,
    "duplicate_candidates": DuplicateCandidate,
}


def _counts(url: str) -> dict[str, int]:
    """Rows per table, so the demo's summary counts what capture added to the generated rows."""
    with unit_of_work(url) as session:
        return {
            table: int(session.scalar(select(func.count()).select_from(model)) or 0)
            for table, model in _COUNTED.items()
        }
