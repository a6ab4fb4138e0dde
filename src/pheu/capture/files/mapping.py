"""Which column of an imported file holds which lead field, guessed from the header names other tools write.

HubSpot, Salesforce and Facebook Lead Ads each export under their own names, and Vietnamese files are typed
by hand ("Họ và tên", "SĐT", "Sdt", "Số điện thoại"), so headers are compared folded: lower-case, without
tones, "đ" as "d", punctuation as spaces. The guess is only a suggestion: a person confirms or overrides it
before the import runs. Columns that match no field are kept as answers, never dropped silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone, tzinfo

from pheu.capture.files.reader import RawRow
from pheu.capture.record import LEAD_FIELDS, IncomingLead
from pheu.clean.search import fold

GIVEN_NAME = "given_name"
FAMILY_NAME = "family_name"
EXTERNAL_ID = "external_id"
OCCURRED_AT = "occurred_at"
ANSWER = "answer"
TARGETS: frozenset[str] = LEAD_FIELDS | {GIVEN_NAME, FAMILY_NAME, EXTERNAL_ID, OCCURRED_AT, ANSWER}
VIETNAM = timezone(timedelta(hours=7), "Asia/Ho_Chi_Minh")  # no daylight saving since 1975

_SYNONYMS: dict[str, tuple[str, ...]] = {
    "full_name": ("Full Name", "Name", "Họ và tên", "Họ tên", "Họ và tên khách hàng", "Họ tên khách hàng",
                  "Tên khách hàng", "Khách hàng", "Tên đầy đủ", "Tên KH", "Contact Name", "Lead Name",
                  "Customer Name", "Người liên hệ"),
    GIVEN_NAME: ("First Name", "Firstname", "Given Name", "Tên gọi"),
    FAMILY_NAME: ("Last Name", "Lastname", "Surname", "Family Name", "Họ", "Họ đệm", "Họ lót", "Họ và tên đệm",
                  "Họ và chữ đệm"),
    "email": ("Email", "E-mail", "Email Address", "Work Email", "Địa chỉ email", "Thư điện tử", "Mail"),
    "phone": ("Phone", "Phone Number", "Mobile", "Mobile Phone", "Mobile Phone Number", "Work Phone Number",
              "Telephone", "Tel", "Số điện thoại", "SĐT", "Số ĐT", "ĐT", "Điện thoại", "Điện thoại di động",
              "Di động", "Số di động", "Zalo", "Số Zalo"),
    "company": ("Company", "Company Name", "Company / Account", "Account Name", "Organization", "Organisation",
                "Công ty", "Tên công ty", "Doanh nghiệp", "Tên doanh nghiệp", "Đơn vị", "Đơn vị công tác",
                "Nơi làm việc", "Tổ chức"),
    "job_title": ("Job Title", "Title", "Position", "Chức vụ", "Chức danh", "Vị trí", "Vị trí công việc",
                  "Nghề nghiệp"),
    "industry": ("Industry", "Ngành nghề", "Ngành", "Lĩnh vực", "Lĩnh vực kinh doanh"),
    "company_size": ("Number of Employees", "No. of Employees", "Employees", "Company Size", "Quy mô",
                     "Quy mô công ty", "Quy mô doanh nghiệp", "Số nhân viên", "Số lượng nhân viên"),
    "country": ("Country", "Country/Region", "Quốc gia", "Nước"),
    "province": ("State", "Province", "State/Region", "State/Province", "Tỉnh/Thành phố", "Tỉnh/TP",
                 "Tỉnh thành", "Tỉnh thành phố", "Tỉnh"),
    "city": ("City", "Town", "Thành phố", "Quận/Huyện", "Quận", "Huyện", "Thị xã"),
    "age_range": ("Age", "Age Range", "Độ tuổi", "Tuổi", "Nhóm tuổi"),
    "gender": ("Gender", "Sex", "Giới tính"),
    "income_range": ("Income", "Income Range", "Annual Income", "Household Income", "Thu nhập",
                     "Mức thu nhập"),
    "marital_status": ("Marital Status", "Relationship Status", "Tình trạng hôn nhân", "Hôn nhân"),
    "interests": ("Interests", "Interest", "Sở thích", "Quan tâm", "Sản phẩm quan tâm"),
    "channel": ("Channel", "Kênh"),
    # Free-text origins ("Organic Search", "Web") are not channel codes; a person can remap them to channel.
    "utm_source": ("UTM Source", "Source", "Original Source", "Lead Source", "Platform", "Nguồn",
                   "Nguồn khách", "Nguồn khách hàng", "Nguồn lead"),
    "utm_medium": ("UTM Medium", "Medium"),
    "utm_campaign": ("UTM Campaign", "Campaign", "Campaign Name", "Chiến dịch", "Tên chiến dịch"),
    # Facebook's own URL-parameter convention: term = ad set, content = ad.
    "utm_term": ("UTM Term", "Adset Name", "Ad Set Name", "Từ khóa"),
    "utm_content": ("UTM Content", "Ad Name"),
    "landing_page": ("Landing Page", "First Page Seen", "Page URL", "Trang đích"),
    "referrer": ("Referrer", "Referring Site", "First Referring Site"),
    "lead_magnet": ("Lead Magnet", "Form Name", "First Conversion", "Offer"),
    "kind": ("Kind", "Lead Type", "Loại lead", "Loại khách hàng"),
    "notes": ("Notes", "Note", "Description", "Comments", "Comment", "Message", "Ghi chú", "Mô tả", "Lời nhắn",
              "Nội dung", "Tin nhắn"),
    EXTERNAL_ID: ("ID", "Record ID", "Lead ID", "Contact ID", "Mã khách hàng", "Mã KH"),
    OCCURRED_AT: ("Created Time", "Create Date", "Created Date", "Created", "Date Created", "Timestamp",
                  "Dấu thời gian", "Ngày tạo", "Thời gian", "Ngày đăng ký", "Thời gian đăng ký"),
}  # fmt: skip

# Headers that tell which tool wrote the file; shared names ("Email", "Lead Status") are left out.
_SIGNATURES: dict[str, tuple[str, ...]] = {
    "facebook": ("created_time", "ad_id", "ad_name", "adset_id", "adset_name", "campaign_id", "campaign_name",
                 "form_id", "form_name", "is_organic", "platform"),
    "hubspot": ("Record ID", "Contact owner", "Lifecycle Stage", "Original Source",
                "Original Source Drill-Down 1", "State/Region", "Country/Region", "Mobile Phone Number",
                "Create Date", "Last Activity Date", "First Conversion", "Recent Conversion",
                "Marketing contact status", "Associated Company", "HubSpot Score"),
    "salesforce": ("Lead ID", "Lead Owner", "Lead Source", "Company / Account", "State/Province",
                   "Zip/Postal Code", "Rating", "No. of Employees", "Annual Revenue", "Created Date",
                   "Lead Record Type"),
}  # fmt: skip

_NON_WORD = re.compile(r"[^0-9a-z]+")
_GIVEN_OR_WHOLE = "ten"  # "Tên": the given name beside a "Họ" column, else the whole name
_FB_ID = re.compile(r"^[a-z]{1,2}:(?=\d+$)")  # Facebook's CSV writes lead ids as "l:1234…"
_FB_PHONE = re.compile(r"^p:\s*")  # …and phones as "p:+8490…", so Excel keeps them as text


def header_key(header: str) -> str:
    """The folded form headers are compared in: "Số Điện Thoại" and "so_dien_thoai" both give "so dien thoai"."""
    return _NON_WORD.sub(" ", fold(header)).strip()


_FIELD_BY_KEY: dict[str, str] = {header_key(h): target for target, names in _SYNONYMS.items() for h in names}
_VIETNAMESE_KEYS: frozenset[str] = frozenset(
    {header_key(h) for names in _SYNONYMS.values() for h in names if not h.isascii()} | {"sdt", "ten"}
)
_SIGNATURE_KEYS = {source: frozenset(map(header_key, names)) for source, names in _SIGNATURES.items()}


@dataclass(frozen=True, slots=True)
class Mapping:
    """``columns`` maps each header to a target: a name in ``LEAD_FIELDS``, ``given_name`` /
    ``family_name`` (joined into full_name), ``external_id``, ``occurred_at``, ``answer`` (kept under the
    header), or None to ignore the column. ``family_name_first`` orders a joined name the Vietnamese way."""

    columns: dict[str, str | None]
    detected_source: str = "generic"
    family_name_first: bool = False

    def override(self, changes: dict[str, str | None]) -> Mapping:
        """A copy with the person's choices applied. Raises ValueError naming the unknown column or target."""
        for header, target in changes.items():
            if header not in self.columns:
                raise ValueError(f"There is no column '{header}'. Columns: {', '.join(self.columns)}.")
            if target is not None and target not in TARGETS:
                raise ValueError(
                    f"'{target}' is not a field a column can fill. Use one of {', '.join(sorted(TARGETS))}, "
                    "or nothing to ignore the column."
                )
        return replace(self, columns={**self.columns, **changes})

    def with_family_name_first(self, family_name_first: bool) -> Mapping:
        return replace(self, family_name_first=family_name_first)


def suggest_mapping(headers: list[str]) -> Mapping:
    """Guess a target for every header and which tool wrote the file ("facebook", "hubspot",
    "salesforce", "vietnamese" for hand-made Vietnamese sheets, else "generic")."""
    keys = {header: header_key(header) for header in headers}
    columns: dict[str, str | None] = {h: _FIELD_BY_KEY.get(k, ANSWER) for h, k in keys.items()}
    family_keys = [keys[h] for h, target in columns.items() if target == FAMILY_NAME]
    for header, key in keys.items():
        if key == _GIVEN_OR_WHOLE:
            columns[header] = GIVEN_NAME if family_keys else "full_name"
    source = detect_source(list(keys.values()))
    family_first = source == "vietnamese" or any(k in _VIETNAMESE_KEYS for k in family_keys)
    return Mapping(columns=columns, detected_source=source, family_name_first=family_first)


def detect_source(keys: list[str]) -> str:
    """The tool whose signature headers appear at least twice (most wins), else "vietnamese" when any
    header is a Vietnamese one, else "generic". ``keys`` are folded with ``header_key``."""
    present = set(keys)
    scores = {source: len(present & signature) for source, signature in _SIGNATURE_KEYS.items()}
    best = max(scores, key=lambda source: scores[source])
    if scores[best] >= 2:
        return best
    if present & _VIETNAMESE_KEYS:
        return "vietnamese"
    return "generic"


def to_incoming(row: RawRow, mapping: Mapping, source: str, *, zone: tzinfo = VIETNAM) -> IncomingLead:
    """The row as a submission for intake. Values are trimmed and empty ones left out.

    When several columns fill one field the first non-empty one wins and differing values are kept as
    answers. A date without a zone is read in ``zone``; ``occurred_at`` is in UTC, or None (the text then
    kept as an answer) when no format fits. A row's ``error`` is not checked here: intake decides.
    """
    picked: dict[str, str] = {}
    picked_from: dict[str, str] = {}
    answers: dict[str, str] = {}
    for header, raw in row.values.items():
        value = raw.strip()
        target = mapping.columns.get(header, ANSWER)
        if not value or target is None:
            continue
        if target != ANSWER:
            value = _tidy(target, value)
            if target not in picked:
                picked[target], picked_from[target] = value, header
                continue
            if picked[target] == value:
                continue
        answers[header] = value
    given, family = picked.pop(GIVEN_NAME, ""), picked.pop(FAMILY_NAME, "")
    if "full_name" not in picked and (given or family):
        parts = (family, given) if mapping.family_name_first else (given, family)
        picked["full_name"] = " ".join(p for p in parts if p)
    external_id = picked.pop(EXTERNAL_ID, None)
    when = picked.pop(OCCURRED_AT, None)
    occurred_at = parse_when(when, zone) if when else None
    if when and occurred_at is None:
        answers[picked_from[OCCURRED_AT]] = when
    return IncomingLead(
        fields=picked, source=source, external_id=external_id, occurred_at=occurred_at, answers=answers
    )


def _tidy(target: str, value: str) -> str:
    if target == "phone":
        return _FB_PHONE.sub("", value)
    if target == EXTERNAL_ID:
        return _FB_ID.sub("", value)
    return value


_DAY_FIRST = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d-%m-%Y %H:%M:%S", "%d-%m-%Y %H:%M",
              "%d-%m-%Y", "%d.%m.%Y %H:%M", "%d.%m.%Y", "%H:%M:%S %d/%m/%Y", "%H:%M %d/%m/%Y")  # fmt: skip
_MONTH_FIRST = ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y")
_TWELVE_HOUR = ("%m/%d/%Y %I:%M %p", "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y, %I:%M %p", "%m/%d/%Y, %I:%M:%S %p",
                "%d/%m/%Y %I:%M %p", "%d/%m/%Y %I:%M:%S %p")  # fmt: skip


def parse_when(text: str, zone: tzinfo = VIETNAM) -> datetime | None:
    """A creation time as tools export it, in UTC. ISO 8601 first (Facebook, HubSpot, our own .xlsx
    text); then day-first dates as written in Vietnam, then US month-first ones; "AM"/"PM" means a US
    export. A time without a zone is read in ``zone``. None when nothing fits."""
    text = " ".join(text.split())
    try:
        moment: datetime | None = datetime.fromisoformat(text)
    except ValueError:
        twelve_hour = text[-2:].upper() in {"AM", "PM"}
        formats = _TWELVE_HOUR if twelve_hour else _DAY_FIRST + _MONTH_FIRST
        moment = _first_fit(text, formats)
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def _first_fit(text: str, formats: tuple[str, ...]) -> datetime | None:
    for pattern in formats:
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            continue
    return None
