"""Facebook Lead Ads end to end: the handshake, a signed delivery, Graph's answers, and every way it can go
wrong without losing a lead - on SQLite and PostgreSQL."""

from __future__ import annotations

from fastapi.testclient import TestClient

from pheu.capture import webhooks
from tests.capture.ads.recorded import raw
from tests.capture.webhooks.conftest import (
    FB_VERIFY_TOKEN,
    GRAPH_LEADS,
    facebook_signature,
    post,
    recorded_graph,
)
from tests.capture.webhooks.stored import count_leads, landed, payloads
from tests.conftest import NOW

DELIVERY = raw("facebook_webhook_leadgen.json")


def test_handshake_with_our_verify_token_echoes_the_challenge_as_plain_text(client: TestClient) -> None:
    answer = client.get(
        "/api/v1/webhooks/facebook",
        params={"hub.mode": "subscribe", "hub.verify_token": FB_VERIFY_TOKEN, "hub.challenge": "1158201444"},
    )
    assert answer.status_code == 200
    assert answer.text == "1158201444"
    assert answer.headers["content-type"].startswith("text/plain")


def test_handshake_with_another_token_is_refused(client: TestClient) -> None:
    answer = client.get(
        "/api/v1/webhooks/facebook",
        params={"hub.mode": "subscribe", "hub.verify_token": "guessed", "hub.challenge": "1158201444"},
    )
    assert answer.status_code == 403
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "handshake_refused"
    assert "1158201444" not in answer.text


def test_a_signed_delivery_lands_each_announced_lead_read_from_graph(client: TestClient, ads_db: str) -> None:
    answer = post(client, "facebook", DELIVERY, facebook_signature(DELIVERY))
    assert answer.status_code == 200
    assert answer.json()["status"] == "processed"
    lan = landed(ads_db, "facebook", "2298765430112233")
    assert lan.full_name == "Nguyễn Thị Lan"
    assert lan.phone == "+84901234567"
    assert lan.email == "lan.nguyen96@gmail.com"
    assert (lan.channel, lan.utm_source, lan.event_type) == ("facebook_ads", "facebook", "ad_lead_submit")
    an = landed(ads_db, "facebook", "2298765430114455")
    assert (an.full_name, an.phone, an.channel) == ("Trần Văn An", "+84912345678", "facebook_ads")
    assert count_leads(ads_db) == 2
    [payload] = payloads(ads_db)
    assert (payload.provider, payload.status, payload.error, payload.attempts) == (
        "facebook",
        "processed",
        None,
        1,
    )
    assert payload.processed_at is not None
    assert payload.body == DELIVERY.decode()
    assert payload.headers["x-hub-signature-256"].startswith("sha256=")


def test_the_same_delivery_again_is_kept_but_makes_no_second_lead(client: TestClient, ads_db: str) -> None:
    first = post(client, "facebook", DELIVERY, facebook_signature(DELIVERY))
    again = post(client, "facebook", DELIVERY, facebook_signature(DELIVERY))
    assert (first.status_code, again.status_code) == (200, 200)
    assert count_leads(ads_db) == 2
    assert [(p.status, p.error) for p in payloads(ads_db)] == [("processed", None), ("processed", None)]


def test_a_bad_signature_is_refused_and_nothing_is_stored(client: TestClient, ads_db: str) -> None:
    forged = facebook_signature(DELIVERY, secret="not-our-secret")
    tampered = DELIVERY.replace(b"2298765430112233", b"2298765430119999")
    for body, headers in ((DELIVERY, forged), (tampered, facebook_signature(DELIVERY)), (DELIVERY, {})):
        answer = post(client, "facebook", body, headers)
        assert answer.status_code == 401
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["code"] == "bad_signature"
    assert payloads(ads_db) == []
    assert count_leads(ads_db) == 0


def test_a_graph_refusal_keeps_the_payload_failed_until_a_retry_lands_it(
    client: TestClient, ads_db: str
) -> None:
    client.app.state.facebook_fetcher = recorded_graph({})  # type: ignore[attr-defined]  # token expired
    answer = post(client, "facebook", DELIVERY, facebook_signature(DELIVERY))
    assert answer.status_code == 200
    assert answer.json()["status"] == "failed"
    [payload] = payloads(ads_db)
    assert (payload.status, payload.attempts) == ("failed", 1)
    assert payload.error is not None
    assert "Error validating access token: Session has expired" in payload.error
    assert payload.error.startswith("lead 2298765430112233: facebook:")
    assert count_leads(ads_db) == 0

    summary = webhooks.process_pending(ads_db, NOW, recorded_graph(GRAPH_LEADS))
    assert summary.as_json() == {"processed": 1, "failed": 0, "leads_created": 2, "duplicates": 0}
    [payload] = payloads(ads_db)
    assert (payload.status, payload.error, payload.attempts) == ("processed", None, 2)
    assert landed(ads_db, "facebook", "2298765430112233").full_name == "Nguyễn Thị Lan"


def test_malformed_json_with_a_valid_signature_is_kept_as_failed(client: TestClient, ads_db: str) -> None:
    body = b'{"object": "page", "entry": [{"id": "104217952612345", "changes": ['
    answer = post(client, "facebook", body, facebook_signature(body))
    assert answer.status_code == 200
    assert answer.json()["status"] == "failed"
    [payload] = payloads(ads_db)
    assert payload.body == body.decode()
    assert payload.status == "failed"
    assert payload.error is not None
    assert payload.error.startswith("the body is not valid JSON: ")


def test_a_misshapen_delivery_is_kept_with_the_json_path_that_was_wrong(
    client: TestClient, ads_db: str
) -> None:
    body = raw("facebook_webhook_missing_leadgen_id.json")
    assert post(client, "facebook", body, facebook_signature(body)).status_code == 200
    [payload] = payloads(ads_db)
    assert (payload.status, payload.error) == ("failed", "entry[0].changes[0].value.leadgen_id is missing")


def test_without_a_page_access_token_deliveries_wait_for_one(client: TestClient, ads_db: str) -> None:
    del client.app.state.facebook_fetcher  # type: ignore[attr-defined]  # and PHEU_FACEBOOK_PAGE_ACCESS_TOKEN is empty
    assert post(client, "facebook", DELIVERY, facebook_signature(DELIVERY)).json()["status"] == "failed"
    [payload] = payloads(ads_db)
    assert payload.error is not None
    assert "PHEU_FACEBOOK_PAGE_ACCESS_TOKEN is not set" in payload.error
    assert webhooks.process_pending(ads_db, NOW, recorded_graph(GRAPH_LEADS)).leads_created == 2
