"""Zalo: the X-ZEvent-Signature check, details shared with an OA, and the assumed Zalo Ads lead form."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from pheu.capture.ads.payload import PayloadError
from pheu.capture.ads.zalo import parse_webhook, verify_signature
from tests.capture.ads.recorded import load, raw

APP_ID = "4316128559482153211"
OA_SECRET = "Xk2pQ9vLm7RtY3wZ8aB1"


def sign(body: bytes, timestamp: str, app_id: str = APP_ID, secret: str = OA_SECRET) -> str:
    return "mac=" + hashlib.sha256(app_id.encode() + body + timestamp.encode() + secret.encode()).hexdigest()


# --- signature --------------------------------------------------------------------------------------------


def test_an_event_signed_with_the_oa_secret_key_is_genuine() -> None:
    body = raw("zalo_user_submit_info.json")
    assert verify_signature(body, sign(body, "1795144365123"), app_id=APP_ID, oa_secret_key=OA_SECRET)


def test_a_tampered_body_is_not_genuine() -> None:
    body = raw("zalo_user_submit_info.json")
    tampered = body.replace(b"84912345678", b"84900000000")
    assert not verify_signature(tampered, sign(body, "1795144365123"), app_id=APP_ID, oa_secret_key=OA_SECRET)


def test_a_signature_over_another_timestamp_is_not_genuine() -> None:
    body = raw("zalo_user_submit_info.json")
    assert not verify_signature(body, sign(body, "1795144365124"), app_id=APP_ID, oa_secret_key=OA_SECRET)


@pytest.mark.parametrize("header", [None, "", "mac="])
def test_a_missing_signature_is_not_genuine(header: str | None) -> None:
    assert not verify_signature(
        raw("zalo_user_submit_info.json"), header, app_id=APP_ID, oa_secret_key=OA_SECRET
    )


def test_a_signature_with_another_prefix_is_not_genuine() -> None:
    body = raw("zalo_user_submit_info.json")
    digest = sign(body, "1795144365123").removeprefix("mac=")
    assert not verify_signature(body, "sha256=" + digest, app_id=APP_ID, oa_secret_key=OA_SECRET)
    assert not verify_signature(body, digest, app_id=APP_ID, oa_secret_key=OA_SECRET)


def test_a_signature_made_for_another_app_is_not_genuine() -> None:
    body = raw("zalo_user_submit_info.json")
    forged = sign(body, "1795144365123", app_id="1111111111111111111")
    assert not verify_signature(body, forged, app_id=APP_ID, oa_secret_key=OA_SECRET)


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"event_name": "follow"}'])
def test_a_body_without_a_timestamp_cannot_be_genuine(body: bytes) -> None:
    assert not verify_signature(body, sign(body, ""), app_id=APP_ID, oa_secret_key=OA_SECRET)


def test_signature_checking_refuses_an_empty_secret() -> None:
    with pytest.raises(ValueError, match="oa_secret_key is empty"):
        verify_signature(b"{}", "mac=00", app_id=APP_ID, oa_secret_key="")


# --- details shared with the OA ---------------------------------------------------------------------------


def test_details_shared_with_the_oa_become_a_lead() -> None:
    [lead] = parse_webhook(load("zalo_user_submit_info.json"))
    assert lead.source == "zalo"
    assert lead.external_id == "user_submit_info:5551239876543210987:1795144365123"
    assert lead.occurred_at == datetime(2026, 11, 20, 3, 12, 45, 123000, tzinfo=UTC)
    assert lead.fields == {
        "full_name": "Trương Gia Bảo",
        "phone": "84912345678",
        "province": "Hồ Chí Minh",
        "channel": "zalo",
        "utm_source": "zalo",
    }
    assert lead.answers == {
        "address": "123 Nguyễn Đình Chiểu",
        "district": "Quận 3",
        "ward": "Phường Võ Thị Sáu",
        "ads.app_id": "4316128559482153211",
        "ads.oa_id": "2398765102938475612",
        "ads.zalo_user_id": "5551239876543210987",
    }
    assert lead.consents == ()


def test_details_shared_without_a_phone_leave_the_phone_out() -> None:
    [lead] = parse_webhook(load("zalo_user_submit_info_partial.json"))
    assert lead.fields["full_name"] == "Hồ Thị Kim Ngân"
    assert "phone" not in lead.fields
    assert lead.answers["ads.oa_id"] == "2398765102938475612"


def test_a_message_is_not_a_lead() -> None:
    assert parse_webhook(load("zalo_user_send_text.json")) == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"event_name": None}, "event_name is missing"),
        ({"info": "Trương Gia Bảo 0912345678"}, "info must be an object, got a string"),
        ({"info": {"name": ["Bảo"]}}, "info.name must be text, got a list"),
        ({"sender": {}}, "sender.id is missing"),
        ({"timestamp": None}, "timestamp is missing"),
    ],
)
def test_shared_details_of_the_wrong_shape_say_where(change: dict[str, object], message: str) -> None:
    with pytest.raises(PayloadError) as caught:
        parse_webhook(load("zalo_user_submit_info.json") | change)
    assert str(caught.value) == message


# --- Zalo Ads lead form (assumed shape) -------------------------------------------------------------------


def test_a_zalo_ads_form_submission_becomes_a_lead() -> None:
    [lead] = parse_webhook(load("zalo_lead_form_assumed.json"))
    assert lead.external_id == "880011223344556677"
    assert lead.occurred_at == datetime(2026, 11, 20, 3, 15, 0, 789000, tzinfo=UTC)
    assert lead.fields == {
        "full_name": "Phan Văn Đức",
        "phone": "0388 765 432",
        "province": "Đà Nẵng",
        "channel": "zalo",
        "utm_source": "zalo",
        "utm_medium": "paid_social",
        "utm_campaign": "bao-hiem-suc-khoe-q4",
        "utm_content": "Banner gia đình",
    }
    assert lead.answers == {
        "Số người cần bảo hiểm": "4",
        "ads.app_id": "4316128559482153211",
        "ads.oa_id": "2398765102938475612",
        "ads.form_id": "55667788",
        "ads.form_name": "Nhận báo giá bảo hiểm sức khỏe",
        "ads.campaign_id": "33445566",
        "ads.ad_id": "99887766",
        "ads.zalo_user_id": "5551239876543211111",
    }


def test_a_form_submission_without_a_lead_id_names_the_path() -> None:
    payload = load("zalo_lead_form_assumed.json")
    del payload["lead"]["lead_id"]
    with pytest.raises(PayloadError) as caught:
        parse_webhook(payload)
    assert str(caught.value) == "lead.lead_id is missing"
