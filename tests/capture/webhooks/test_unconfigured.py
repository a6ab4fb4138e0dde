"""Without its secret a provider accepts nothing: a signature keyed with "" would prove nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from pheu.web.app import create_app
from tests.capture.ads.recorded import raw
from tests.capture.webhooks.conftest import facebook_signature, post, tiktok_signature, zalo_signature
from tests.capture.webhooks.stored import payloads


@pytest.fixture
def bare_client(ads_db: str, unconfigured: None) -> Iterator[TestClient]:
    with TestClient(create_app(ads_db)) as client:
        yield client


@pytest.mark.parametrize(
    ("provider", "fixture", "setting"),
    [
        ("facebook", "facebook_webhook_leadgen.json", "PHEU_FACEBOOK_APP_SECRET"),
        ("tiktok", "tiktok_webhook_leads.json", "PHEU_TIKTOK_APP_SECRET"),
        ("zalo", "zalo_user_submit_info.json", "PHEU_ZALO_APP_ID and PHEU_ZALO_OA_SECRET_KEY"),
    ],
)
def test_an_unconfigured_provider_answers_503_and_stores_nothing(
    bare_client: TestClient, ads_db: str, provider: str, fixture: str, setting: str
) -> None:
    body = raw(fixture)
    sign = {"facebook": facebook_signature, "tiktok": tiktok_signature, "zalo": zalo_signature}[provider]
    answer = post(bare_client, provider, body, sign(body))
    assert answer.status_code == 503
    problem = answer.json()
    assert answer.headers["content-type"] == "application/problem+json"
    assert (problem["title"], problem["code"]) == ("Webhook not configured", "webhook_not_configured")
    assert setting in problem["detail"]
    assert payloads(ads_db) == []


def test_the_handshake_without_a_verify_token_answers_503(bare_client: TestClient) -> None:
    answer = bare_client.get(
        "/api/v1/webhooks/facebook",
        params={"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1158201444"},
    )
    assert answer.status_code == 503
    assert "PHEU_FACEBOOK_VERIFY_TOKEN" in answer.json()["detail"]
