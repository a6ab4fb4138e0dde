from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pheu.capture.files import RawRow, suggest_mapping, to_incoming
from pheu.capture.files.mapping import ANSWER, header_key, parse_when
from pheu.capture.record import LEAD_FIELDS

HUBSPOT = ["Record ID", "First Name", "Last Name", "Email", "Phone Number", "Mobile Phone Number",
           "Company Name", "Job Title", "City", "State/Region", "Country/Region", "Lifecycle Stage",
           "Original Source", "Create Date", "Contact owner"]  # fmt: skip
SALESFORCE = ["Lead ID", "First Name", "Last Name", "Title", "Company / Account", "Lead Source", "Email",
              "Phone", "Mobile", "Street", "City", "State/Province", "Industry", "Lead Status",
              "Created Date"]  # fmt: skip
FACEBOOK = ["id", "created_time", "ad_id", "ad_name", "adset_id", "adset_name", "campaign_id",
            "campaign_name", "form_id", "form_name", "is_organic", "platform", "full_name", "email",
            "phone_number", "city", "bạn_quan_tâm_khóa_học_nào?"]  # fmt: skip
VIETNAMESE = ["STT", "Họ và tên", "Số điện thoại", "Thư điện tử", "Tên công ty", "Chức danh",
              "Tỉnh/Thành phố", "Quận/Huyện", "Ngành nghề", "Giới tính", "Độ tuổi", "Thu nhập", "Ghi chú",
              "Nguồn", "Chiến dịch"]  # fmt: skip


def test_hubspot_export() -> None:
    mapping = suggest_mapping(HUBSPOT)
    assert mapping.detected_source == "hubspot"
    assert not mapping.family_name_first
    assert mapping.columns == {
        "Record ID": "external_id",
        "First Name": "given_name",
        "Last Name": "family_name",
        "Email": "email",
        "Phone Number": "phone",
        "Mobile Phone Number": "phone",
        "Company Name": "company",
        "Job Title": "job_title",
        "City": "city",
        "State/Region": "province",
        "Country/Region": "country",
        "Lifecycle Stage": ANSWER,
        "Original Source": "utm_source",
        "Create Date": "occurred_at",
        "Contact owner": ANSWER,
    }


def test_salesforce_lead_export() -> None:
    mapping = suggest_mapping(SALESFORCE)
    assert mapping.detected_source == "salesforce"
    assert mapping.columns["Lead ID"] == "external_id"
    assert mapping.columns["Title"] == "job_title"
    assert mapping.columns["Company / Account"] == "company"
    assert mapping.columns["Lead Source"] == "utm_source"
    assert mapping.columns["Phone"] == mapping.columns["Mobile"] == "phone"
    assert mapping.columns["State/Province"] == "province"
    assert mapping.columns["Industry"] == "industry"
    assert mapping.columns["Street"] == mapping.columns["Lead Status"] == ANSWER
    assert mapping.columns["Created Date"] == "occurred_at"


def test_facebook_lead_ads_download() -> None:
    mapping = suggest_mapping(FACEBOOK)
    assert mapping.detected_source == "facebook"
    expected = {
        "id": "external_id",
        "created_time": "occurred_at",
        "ad_name": "utm_content",
        "adset_name": "utm_term",
        "campaign_name": "utm_campaign",
        "form_name": "lead_magnet",
        "platform": "utm_source",
        "full_name": "full_name",
        "email": "email",
        "phone_number": "phone",
        "city": "city",
    }
    assert {h: mapping.columns[h] for h in expected} == expected
    for header in ("ad_id", "adset_id", "campaign_id", "form_id", "is_organic", "bạn_quan_tâm_khóa_học_nào?"):
        assert mapping.columns[header] == ANSWER


def test_vietnamese_headers() -> None:
    mapping = suggest_mapping(VIETNAMESE)
    assert mapping.detected_source == "vietnamese"
    assert mapping.columns == {
        "STT": ANSWER,
        "Họ và tên": "full_name",
        "Số điện thoại": "phone",
        "Thư điện tử": "email",
        "Tên công ty": "company",
        "Chức danh": "job_title",
        "Tỉnh/Thành phố": "province",
        "Quận/Huyện": "city",
        "Ngành nghề": "industry",
        "Giới tính": "gender",
        "Độ tuổi": "age_range",
        "Thu nhập": "income_range",
        "Ghi chú": "notes",
        "Nguồn": "utm_source",
        "Chiến dịch": "utm_campaign",
    }


@pytest.mark.parametrize(
    ("header", "target"),
    [
        ("SĐT", "phone"),
        ("sdt", "phone"),
        ("SO DIEN THOAI", "phone"),
        ("so_dien_thoai", "phone"),
        ("Điện thoại", "phone"),
        ("Di động", "phone"),
        ("Họ tên", "full_name"),
        ("HỌ VÀ TÊN", "full_name"),
        ("Email", "email"),
        ("E-mail", "email"),
        ("Công ty", "company"),
        ("Chức vụ", "job_title"),
        ("Tỉnh thành", "province"),
        ("Thành phố", "city"),
        ("Tên", "full_name"),
    ],
)
def test_headers_match_whatever_the_case_tones_and_punctuation(header: str, target: str) -> None:
    assert suggest_mapping([header]).columns[header] == target


def test_every_suggested_field_is_a_lead_field_or_a_special_target() -> None:
    for headers in (HUBSPOT, SALESFORCE, FACEBOOK, VIETNAMESE):
        targets = {t for t in suggest_mapping(headers).columns.values() if t is not None}
        assert targets <= LEAD_FIELDS | {"given_name", "family_name", "external_id", "occurred_at", ANSWER}


def test_header_key_folds_vietnamese() -> None:
    assert header_key("  Số Điện-Thoại (Zalo) ") == "so dien thoai zalo"


def test_vietnamese_ho_and_ten_join_family_name_first() -> None:
    mapping = suggest_mapping(["Họ", "Tên", "SĐT"])
    assert mapping.columns == {"Họ": "family_name", "Tên": "given_name", "SĐT": "phone"}
    lead = to_incoming(RawRow(2, {"Họ": "Nguyễn Văn", "Tên": "Anh", "SĐT": "0901"}, None), mapping, "import")
    assert lead.fields == {"full_name": "Nguyễn Văn Anh", "phone": "0901"}


def test_first_and_last_name_join_given_name_first() -> None:
    mapping = suggest_mapping(HUBSPOT)
    row = RawRow(2, dict.fromkeys(HUBSPOT, "") | {"First Name": "Jane", "Last Name": "Doe"}, None)
    assert to_incoming(row, mapping, "import").fields == {"full_name": "Jane Doe"}
    flipped = mapping.with_family_name_first(True)
    assert to_incoming(row, flipped, "import").fields == {"full_name": "Doe Jane"}


def test_facebook_row_becomes_an_incoming_lead() -> None:
    mapping = suggest_mapping(FACEBOOK)
    values = dict.fromkeys(FACEBOOK, "") | {
        "id": "l:1234567890123456",
        "created_time": "2024-03-05T10:21:33+07:00",
        "ad_id": "ag:120200000000",
        "campaign_name": "khoa-hoc-thang-3",
        "platform": "fb",
        "full_name": " Nguyễn Văn Anh ",
        "email": "anh@gmail.com",
        "phone_number": "p:+84901234567",
        "bạn_quan_tâm_khóa_học_nào?": "IELTS",
    }
    lead = to_incoming(RawRow(2, values, None), mapping, "facebook_csv")
    assert lead.source == "facebook_csv"
    assert lead.external_id == "1234567890123456"
    assert lead.occurred_at == datetime(2024, 3, 5, 3, 21, 33, tzinfo=UTC)
    assert lead.fields == {
        "full_name": "Nguyễn Văn Anh",
        "email": "anh@gmail.com",
        "phone": "+84901234567",
        "utm_campaign": "khoa-hoc-thang-3",
        "utm_source": "fb",
    }
    assert lead.answers == {"ad_id": "ag:120200000000", "bạn_quan_tâm_khóa_học_nào?": "IELTS"}


def test_the_first_non_empty_column_fills_a_field_and_different_values_are_kept() -> None:
    mapping = suggest_mapping(["Phone Number", "Mobile Phone Number", "Email"])
    empty_first = RawRow(2, {"Phone Number": "", "Mobile Phone Number": "0902", "Email": ""}, None)
    assert to_incoming(empty_first, mapping, "import").fields == {"phone": "0902"}
    both = RawRow(3, {"Phone Number": "0281234567", "Mobile Phone Number": "0902", "Email": ""}, None)
    lead = to_incoming(both, mapping, "import")
    assert lead.fields == {"phone": "0281234567"}
    assert lead.answers == {"Mobile Phone Number": "0902"}


def test_overrides_ignore_or_remap_columns_and_reject_unknown_names() -> None:
    mapping = suggest_mapping(["Email", "Lead Source", "Nội bộ"]).override(
        {"Lead Source": "channel", "Nội bộ": None}
    )
    row = RawRow(2, {"Email": "a@x.vn", "Lead Source": "facebook", "Nội bộ": "bí mật"}, None)
    lead = to_incoming(row, mapping, "import")
    assert lead.fields == {"email": "a@x.vn", "channel": "facebook"}
    assert lead.answers == {}
    with pytest.raises(ValueError, match="no column 'Phone'"):
        mapping.override({"Phone": "phone"})
    with pytest.raises(ValueError, match="'telephone' is not a field"):
        mapping.override({"Email": "telephone"})


def test_an_unparseable_creation_date_is_none_and_kept_as_an_answer() -> None:
    mapping = suggest_mapping(["Email", "Create Date"])
    lead = to_incoming(RawRow(2, {"Email": "a@x.vn", "Create Date": "hôm qua"}, None), mapping, "import")
    assert lead.occurred_at is None
    assert lead.answers == {"Create Date": "hôm qua"}


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2024-03-05T10:21:33+0000", datetime(2024, 3, 5, 10, 21, 33, tzinfo=UTC)),
        ("2024-03-05 10:21", datetime(2024, 3, 5, 3, 21, tzinfo=UTC)),
        ("2024-03-05", datetime(2024, 3, 4, 17, 0, tzinfo=UTC)),
        ("05/03/2024 10:21:33", datetime(2024, 3, 5, 3, 21, 33, tzinfo=UTC)),
        ("25/12/2024", datetime(2024, 12, 24, 17, 0, tzinfo=UTC)),
        ("12/25/2024", datetime(2024, 12, 24, 17, 0, tzinfo=UTC)),
        ("3/5/2024 10:21 PM", datetime(2024, 3, 5, 15, 21, tzinfo=UTC)),
        ("not a date", None),
    ],
)
def test_parse_when_reads_export_formats_in_vietnam_time(text: str, utc: datetime | None) -> None:
    assert parse_when(text) == utc
