"""TikTok Lead Generation: the X-Open-Signature check, the lead webhook and the Business API's lead reads."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

import pytest

from pheu.capture.ads.fetching import FetchError
from pheu.capture.ads.payload import PayloadError
from pheu.capture.ads.tiktok import parse_lead_response, parse_webhook, verify_signature
from tests.capture.ads.recorded import load, raw

APP_SECRET = "b7e4c1d0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4"


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# --- signature --------------------------------------------------------------------------------------------


def test_a_body_signed_with_the_app_secret_is_genuine() -> None:
    body = raw("tiktok_webhook_leads.json")
    assert verify_signature(body, sign(body), APP_SECRET)


def test_tiktok_signs_the_escaped_unicode_rendering_of_a_vietnamese_lead() -> None:
    body = raw("tiktok_webhook_leads.json")
    escaped = body.decode("utf-8").encode("ascii", "backslashreplace")
    escaped = escaped.replace(b"\\x", b"\\u00")  # backslashreplace writes \xe0 for U+00E0; JSON writes \u00e0
    assert verify_signature(body, sign(escaped), APP_SECRET)


def test_a_tampered_body_is_not_genuine() -> None:
    body = raw("tiktok_webhook_leads.json")
    assert not verify_signature(body.replace(b"84938123456", b"84938000000"), sign(body), APP_SECRET)


@pytest.mark.parametrize("header", [None, ""])
def test_a_missing_signature_is_not_genuine(header: str | None) -> None:
    assert not verify_signature(raw("tiktok_webhook_leads.json"), header, APP_SECRET)


def test_a_signature_with_a_prefix_is_not_tiktoks_format() -> None:
    body = raw("tiktok_webhook_leads.json")
    assert not verify_signature(body, "sha256=" + sign(body), APP_SECRET)
    assert not verify_signature(body, f"t=1795144365,s={sign(body)}", APP_SECRET)


# --- webhook ----------------------------------------------------------------------------------------------


def test_a_lead_webhook_carries_the_answers_of_each_lead_once() -> None:
    leads = parse_webhook(load("tiktok_webhook_leads.json"))
    assert [lead.external_id for lead in leads] == ["7439218765432109876", "7439218765432100001"]
    first = leads[0]
    assert first.source == "tiktok"
    assert first.occurred_at == datetime(2026, 11, 20, 3, 12, 45, tzinfo=UTC)
    assert first.fields == {
        "full_name": "Lê Hoàng Nam",
        "phone": "84938123456",
        "email": "nam.le.hcm@yahoo.com.vn",
        "gender": "Male",
        "province": "TP. Hồ Chí Minh",
        "channel": "tiktok_ads",
        "utm_source": "tiktok",
        "utm_medium": "paid_social",
        "utm_campaign": "nha-mau-thang-11",
        "utm_content": "Video căn hộ 2PN",
    }
    assert first.answers == {
        "Bạn quan tâm loại căn hộ nào?": "Căn hộ 2 phòng ngủ",
        "scheduled_time": "Thứ Bảy / 09:00 - 11:00",
        "ads.form_id": "7401234567890123456",
        "ads.form_name": "Đăng ký tham quan nhà mẫu",
        "ads.advertiser_id": "7298765432101234567",
        "ads.campaign_id": "1812345678901234",
        "ads.adgroup_id": "1812345678905678",
        "ads.ad_id": "1812345678909012",
        "ads.lead_source": "INSTANT_FORM",
    }


def test_a_direct_message_lead_without_an_email_has_no_email_field() -> None:
    lead = parse_webhook(load("tiktok_webhook_leads.json"))[1]
    assert lead.fields["full_name"] == "Võ Thị Mỹ Duyên"
    assert lead.fields["phone"] == "0707 123 456"
    assert "email" not in lead.fields
    assert lead.answers["ads.lead_source"] == "DIRECT_MESSAGE"


def test_a_notification_that_is_not_about_leads_holds_none() -> None:
    assert parse_webhook({"object": 2, "entry": [{"id": 1}], "time": 1795144365}) == []


def test_a_lead_without_an_id_names_the_path_that_is_wrong() -> None:
    with pytest.raises(PayloadError) as caught:
        parse_webhook(load("tiktok_webhook_missing_lead_id.json"))
    assert str(caught.value) == "entry[0].id is missing"


def test_a_structured_answer_is_refused_with_its_path() -> None:
    with pytest.raises(PayloadError) as caught:
        parse_webhook(load("tiktok_webhook_malformed_value.json"))
    assert str(caught.value) == "entry[0].changes[1].value must be text, got an object"


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"entry": []}, "object is missing"),
        ({"object": 1}, "entry is missing"),
        ({"object": 1, "entry": [{"id": 1}]}, "entry[0].changes is missing"),
        (
            {"object": 1, "entry": [{"id": 1, "changes": [{"value": "x"}]}]},
            "entry[0].changes[0].field is missing",
        ),
        (
            {"object": 1, "entry": [{"id": 1, "create_time": "yesterday", "changes": []}]},
            "entry[0].create_time must be a Unix timestamp, got a string",
        ),
    ],
)
def test_a_webhook_of_the_wrong_shape_says_where_and_what(payload: object, message: str) -> None:
    with pytest.raises(PayloadError) as caught:
        parse_webhook(payload)
    assert str(caught.value) == message


def test_a_multiple_choice_answer_is_joined() -> None:
    payload = {
        "object": 1,
        "entry": [{"id": 5, "changes": [{"field": "Sở thích", "value": ["Yoga", "Bơi"]}]}],
    }
    assert parse_webhook(payload)[0].answers["Sở thích"] == "Yoga, Bơi"


# --- leads read from the Business API ---------------------------------------------------------------------


def test_a_lead_read_from_the_api_is_the_same_kind_of_lead() -> None:
    lead = parse_lead_response(load("tiktok_lead_get.json"))
    assert lead.external_id == "7439218765432112345"
    assert lead.occurred_at == datetime(2026, 11, 20, 3, 12, 45, tzinfo=UTC)
    assert lead.fields["full_name"] == "Đỗ Ngọc Ánh"
    assert lead.fields["phone"] == "+84 965 432 109"
    assert lead.fields["utm_campaign"] == "tuyen-sinh-2027"
    assert lead.answers["Bạn muốn học cơ sở nào?"] == "Cầu Giấy"
    assert lead.answers["ads.form_id"] == "7401234567890123999"


def test_a_refusal_from_the_api_is_a_fetch_error_with_tiktoks_message() -> None:
    with pytest.raises(FetchError) as caught:
        parse_lead_response(load("tiktok_error_token_revoked.json"))
    assert caught.value.message == "Access token is incorrect or has been revoked."
    assert caught.value.code == 40105
    assert not caught.value.retryable


def test_a_throttled_read_is_worth_retrying() -> None:
    with pytest.raises(FetchError) as caught:
        parse_lead_response({"code": 40100, "message": "Requests made too frequently.", "data": {}})
    assert caught.value.retryable


def test_an_api_time_in_another_format_names_the_path() -> None:
    response = load("tiktok_lead_get.json")
    response["data"]["meta_data"]["create_time"] = "20/11/2026 03:12"
    with pytest.raises(PayloadError, match=r"data\.meta_data\.create_time is '20/11/2026 03:12'"):
        parse_lead_response(response)
