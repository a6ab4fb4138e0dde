"""TikTok and Zalo send the answers in the delivery itself: a signed body lands its leads at once."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.capture.ads.recorded import raw
from tests.capture.webhooks.conftest import post, tiktok_signature, zalo_signature
from tests.capture.webhooks.stored import count_leads, landed, payloads


def test_a_signed_tiktok_delivery_lands_its_leads_once_each(client: TestClient, ads_db: str) -> None:
    body = raw("tiktok_webhook_leads.json")
    answer = post(client, "tiktok", body, tiktok_signature(body))
    assert (answer.status_code, answer.json()["status"]) == (200, "processed")
    nam = landed(ads_db, "tiktok", "7439218765432109876")
    assert (nam.full_name, nam.phone, nam.email) == (
        "Lê Hoàng Nam",
        "+84938123456",
        "nam.le.hcm@yahoo.com.vn",
    )
    assert (nam.channel, nam.utm_source, nam.event_type) == ("tiktok_ads", "tiktok", "ad_lead_submit")
    duyen = landed(ads_db, "tiktok", "7439218765432100001")
    assert (duyen.full_name, duyen.phone, duyen.channel) == ("Võ Thị Mỹ Duyên", "+84707123456", "tiktok_ads")
    assert count_leads(ads_db) == 2
    assert [p.status for p in payloads(ads_db)] == ["processed"]


def test_a_shared_zalo_contact_lands_as_a_lead(client: TestClient, ads_db: str) -> None:
    body = raw("zalo_user_submit_info.json")
    answer = post(client, "zalo", body, zalo_signature(body))
    assert (answer.status_code, answer.json()["status"]) == (200, "processed")
    bao = landed(ads_db, "zalo", "user_submit_info:5551239876543210987:1795144365123")
    assert (bao.full_name, bao.phone, bao.province) == ("Trương Gia Bảo", "+84912345678", "Hồ Chí Minh")
    assert (bao.channel, bao.utm_source) == ("zalo", "zalo")


def test_a_zalo_lead_form_lands_as_a_lead(client: TestClient, ads_db: str) -> None:
    body = raw("zalo_lead_form_assumed.json")
    assert post(client, "zalo", body, zalo_signature(body)).json()["status"] == "processed"
    assert count_leads(ads_db) == 1
    [payload] = payloads(ads_db)
    assert payload.headers["x-zevent-signature"].startswith("mac=")


def test_a_zalo_chat_message_is_kept_but_is_no_lead(client: TestClient, ads_db: str) -> None:
    body = raw("zalo_user_send_text.json")
    assert post(client, "zalo", body, zalo_signature(body)).json()["status"] == "processed"
    assert count_leads(ads_db) == 0
    assert [p.status for p in payloads(ads_db)] == ["processed"]


def test_a_misshapen_tiktok_lead_is_kept_as_failed_with_its_path(client: TestClient, ads_db: str) -> None:
    body = raw("tiktok_webhook_missing_lead_id.json")
    assert post(client, "tiktok", body, tiktok_signature(body)).json()["status"] == "failed"
    [payload] = payloads(ads_db)
    assert payload.status == "failed"
    assert payload.error == "entry[0].id is missing"


@pytest.mark.parametrize(
    ("provider", "fixture", "headers"),
    [
        ("tiktok", "tiktok_webhook_leads.json", {"X-Open-Signature": "0" * 64}),
        ("zalo", "zalo_user_submit_info.json", {"X-ZEvent-Signature": "mac=" + "0" * 64}),
        ("zalo", "zalo_user_submit_info.json", {}),
    ],
)
def test_a_forged_delivery_is_refused_and_nothing_is_stored(
    client: TestClient, ads_db: str, provider: str, fixture: str, headers: dict[str, str]
) -> None:
    answer = post(client, provider, raw(fixture), headers)
    assert answer.status_code == 401
    assert answer.json()["code"] == "bad_signature"
    assert payloads(ads_db) == []
