"""Facebook Lead Ads: the handshake, the signed webhook, the lead read from Graph and Graph's refusals."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from pheu.capture.ads import facebook
from pheu.capture.ads.facebook import (
    GraphApiFetcher,
    consent_purpose,
    parse_lead,
    parse_webhook,
    urllib_opener,
    verify_signature,
    verify_subscription,
)
from pheu.capture.ads.fetching import FetchError, LeadRef
from pheu.capture.ads.payload import PayloadError
from pheu.capture.record import ConsentGiven
from tests.capture.ads.recorded import load, raw

APP_SECRET = "3f9c2a7e1b4d8f60a5c3e2d1b0a9f8e7"
VERIFY_TOKEN = "pheu-fb-verify-2026"


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# --- subscription handshake -----------------------------------------------------------------------------


def test_handshake_with_our_token_echoes_the_challenge() -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"}
    assert verify_subscription(params, VERIFY_TOKEN) == "1158201444"


@pytest.mark.parametrize(
    "params",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "guessed", "hub.challenge": "1158201444"},
        {"hub.mode": "subscribe", "hub.challenge": "1158201444"},
        {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"},
        {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN},
        {},
    ],
)
def test_handshake_is_refused_unless_it_is_a_subscribe_with_our_token(params: dict[str, str]) -> None:
    assert verify_subscription(params, VERIFY_TOKEN) is None


def test_handshake_cannot_be_checked_without_a_configured_token() -> None:
    with pytest.raises(ValueError, match="verify_token is empty"):
        verify_subscription({"hub.mode": "subscribe", "hub.verify_token": ""}, "")


# --- signature --------------------------------------------------------------------------------------------


def test_a_body_signed_with_the_app_secret_is_genuine() -> None:
    body = raw("facebook_webhook_leadgen.json")
    assert verify_signature(body, sign(body), APP_SECRET)


def test_a_tampered_body_is_not_genuine() -> None:
    body = raw("facebook_webhook_leadgen.json")
    tampered = body.replace(b"2298765430112233", b"2298765430119999")
    assert not verify_signature(tampered, sign(body), APP_SECRET)


@pytest.mark.parametrize("header", [None, "", "sha256=", "sha256=deadbeef"])
def test_a_missing_or_empty_signature_is_not_genuine(header: str | None) -> None:
    assert not verify_signature(raw("facebook_webhook_leadgen.json"), header, APP_SECRET)


def test_a_signature_with_another_prefix_is_not_genuine() -> None:
    body = raw("facebook_webhook_leadgen.json")
    digest = sign(body).removeprefix("sha256=")
    assert not verify_signature(body, "sha1=" + digest, APP_SECRET)
    assert not verify_signature(body, digest, APP_SECRET)


def test_a_signature_with_another_secret_is_not_genuine() -> None:
    body = raw("facebook_webhook_leadgen.json")
    assert not verify_signature(body, sign(body, "someone-elses-secret"), APP_SECRET)


def test_a_utf8_body_signed_in_its_escaped_unicode_rendering_is_genuine() -> None:
    utf8 = '{"name":"Nguyễn Thị Lan"}'.encode()
    escaped = b'{"name":"Nguy\\u1ec5n Th\\u1ecb Lan"}'
    assert verify_signature(utf8, sign(escaped), APP_SECRET)
    assert verify_signature(utf8, sign(utf8), APP_SECRET)


def test_signature_checking_refuses_an_empty_secret() -> None:
    with pytest.raises(ValueError, match="app_secret is empty"):
        verify_signature(b"{}", "sha256=00", "")


# --- webhook ----------------------------------------------------------------------------------------------


def test_webhook_announces_each_lead_once_and_skips_other_page_fields() -> None:
    refs = parse_webhook(load("facebook_webhook_leadgen.json"))
    assert refs == [
        LeadRef(
            provider="facebook",
            lead_id="2298765430112233",
            form_id="1287364509871234",
            ad_id="120210987654321001",
            page_id="104217952612345",
            created_at=datetime(2026, 11, 20, 3, 12, 45, tzinfo=UTC),
        ),
        LeadRef(
            provider="facebook",
            lead_id="2298765430114455",
            form_id="1287364509871234",
            ad_id=None,
            page_id="104217952612345",
            created_at=datetime(2026, 11, 20, 3, 13, 30, tzinfo=UTC),
        ),
    ]


def test_webhook_without_a_lead_id_names_the_path_that_is_wrong() -> None:
    with pytest.raises(PayloadError) as caught:
        parse_webhook(load("facebook_webhook_missing_leadgen_id.json"))
    assert str(caught.value) == "entry[0].changes[0].value.leadgen_id is missing"
    assert caught.value.where == "entry[0].changes[0].value.leadgen_id"


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"object": "user", "entry": []}, "object is 'user'; lead webhooks come from the 'page' object"),
        ({"entry": []}, "object is missing"),
        ({"object": "page"}, "entry is missing"),
        ({"object": "page", "entry": {}}, "entry must be a list, got an object"),
        ({"object": "page", "entry": ["x"]}, "entry[0] must be an object, got a string"),
        (
            {"object": "page", "entry": [{"changes": [{"field": "leadgen", "value": {"leadgen_id": 12.5}}]}]},
            "entry[0].changes[0].value.leadgen_id must be an id (digits), got a number",
        ),
        (
            {"object": "page", "entry": [{"changes": [{"field": "leadgen"}]}]},
            "entry[0].changes[0].value is missing",
        ),
        ([], "the body must be an object, got a list"),
    ],
)
def test_a_webhook_of_the_wrong_shape_says_where_and_what(payload: object, message: str) -> None:
    with pytest.raises(PayloadError) as caught:
        parse_webhook(payload)
    assert str(caught.value) == message


def test_a_webhook_with_no_changes_announces_nothing() -> None:
    assert parse_webhook({"object": "page", "entry": [{"id": "1", "time": 1, "messaging": []}]}) == []


# --- the lead from Graph ----------------------------------------------------------------------------------


def test_a_vietnamese_lead_form_becomes_lead_fields_answers_and_consents() -> None:
    ref = parse_webhook(load("facebook_webhook_leadgen.json"))[0]
    lead = parse_lead(load("facebook_lead_vietnamese_form.json"), ref=ref)
    assert lead.source == "facebook"
    assert lead.external_id == "2298765430112233"
    assert lead.occurred_at == datetime(2026, 11, 20, 3, 12, 45, tzinfo=UTC)
    assert lead.fields == {
        "full_name": "Nguyễn Thị Lan",
        "email": "lan.nguyen96@gmail.com",
        "phone": "+84901234567",
        "province": "Hà Nội",
        "channel": "facebook_ads",
        "utm_source": "facebook",
        "utm_medium": "paid_social",
        "utm_campaign": "ielts-thang-11",
        "utm_content": "Video học viên - Tháng 11",
    }
    assert lead.answers == {
        "bạn_quan_tâm_khóa_học_nào?": "IELTS 6.5+",
        "thời_gian_liên_hệ_thuận_tiện": "Buổi trưa, Buổi tối",
        "ads.form_id": "1287364509871234",
        "ads.ad_id": "120210987654321001",
        "ads.adset_id": "120210987654320002",
        "ads.campaign_id": "120210987654320001",
        "ads.page_id": "104217952612345",
        "ads.platform": "fb",
    }
    assert lead.consents == (
        ConsentGiven("zalo", True, "Facebook lead form checkbox 'dong_y_tu_van_qua_zalo'"),
        ConsentGiven("email_marketing", False, "Facebook lead form checkbox 'nhan_ban_tin_email'"),
    )


def test_a_name_asked_in_two_parts_is_written_family_name_first() -> None:
    lead = parse_lead(load("facebook_lead_name_parts_no_email.json"))
    assert lead.fields["full_name"] == "Trần Văn An"
    assert lead.fields["phone"] == "0912 345 678"
    assert lead.fields["email"] == "an.tran@hoaphat-steel.vn"
    assert lead.fields["company"] == "Công ty TNHH Thép Hòa Phát"
    assert lead.fields["job_title"] == "Trưởng phòng mua hàng"
    assert lead.fields["city"] == "Thủ Đức"
    assert lead.fields["gender"] == "male"
    assert lead.fields["utm_medium"] == "organic_social"
    assert "utm_campaign" not in lead.fields
    assert lead.answers == {
        "work_phone_number": "028 3823 4567",
        "zip": "700000",
        "date_of_birth": "1988-04-12",
        "ads.form_id": "1287364509871234",
        "ads.platform": "ig",
    }
    assert lead.consents == ()
    assert lead.occurred_at == datetime(2026, 11, 21, 14, 5, 9, tzinfo=UTC)


def test_a_name_can_be_written_given_name_first() -> None:
    lead = parse_lead(load("facebook_lead_name_parts_no_email.json"), family_name_first=False)
    assert lead.fields["full_name"] == "An Trần Văn"


def test_a_malformed_answer_names_the_field_that_is_wrong() -> None:
    with pytest.raises(PayloadError) as caught:
        parse_lead(load("facebook_lead_malformed.json"))
    assert str(caught.value) == "field_data[1].values must be a list, got a string"


def test_a_lead_that_is_not_the_one_announced_is_refused() -> None:
    ref = LeadRef(provider="facebook", lead_id="111")
    with pytest.raises(PayloadError, match="is 2298765430112233, but the webhook announced lead 111"):
        parse_lead(load("facebook_lead_vietnamese_form.json"), ref=ref)


def test_the_webhook_time_is_used_when_graph_leaves_it_out() -> None:
    response = load("facebook_lead_vietnamese_form.json")
    del response["created_time"]
    ref = LeadRef("facebook", "2298765430112233", created_at=datetime(2026, 11, 20, 3, 12, 44, tzinfo=UTC))
    assert parse_lead(response, ref=ref).occurred_at == datetime(2026, 11, 20, 3, 12, 44, tzinfo=UTC)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"created_time": "20/11/2026"}, "created_time is '20/11/2026', expected a time like"),
        ({"field_data": None}, "field_data is missing"),
        ({"field_data": [{"values": ["x"]}]}, r"field_data\[0\].name is missing"),
        (
            {"custom_disclaimer_responses": [{"checkbox_key": "k", "is_checked": "yes"}]},
            r"custom_disclaimer_responses\[0\].is_checked must be",
        ),
    ],
)
def test_a_graph_lead_of_the_wrong_shape_says_where(change: dict[str, object], message: str) -> None:
    response = load("facebook_lead_vietnamese_form.json") | change
    with pytest.raises(PayloadError, match=message):
        parse_lead(response)


def test_a_graph_time_with_an_offset_is_stored_in_utc() -> None:
    response = load("facebook_lead_vietnamese_form.json") | {"created_time": "2026-11-20T10:12:45+0700"}
    assert parse_lead(response).occurred_at == datetime(2026, 11, 20, 3, 12, 45, tzinfo=UTC)


@pytest.mark.parametrize(
    ("key", "purpose"),
    [
        ("dong_y_tu_van_qua_zalo", "zalo"),
        ("Đồng ý nhận SMS", "sms"),
        ("optin_newsletter", "email_marketing"),
        ("Đồng ý để được gọi điện tư vấn", "phone_call"),
        ("dong_y_xu_ly_du_lieu_ca_nhan", "data_processing"),
        ("dieu_khoan_chuong_trinh", "dieu_khoan_chuong_trinh"),
    ],
)
def test_a_disclaimer_checkbox_is_read_as_the_purpose_its_key_names(key: str, purpose: str) -> None:
    assert consent_purpose(key) == purpose


# --- fetching from Graph ----------------------------------------------------------------------------------


class Recorded:
    """An opener that answers every URL with one recorded body and remembers what was asked."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.urls: list[str] = []

    def __call__(self, url: str) -> bytes:
        self.urls.append(url)
        return self.body


def test_fetching_a_lead_asks_graph_for_the_lead_fields_with_the_token() -> None:
    opener = Recorded(raw("facebook_lead_vietnamese_form.json"))
    fetcher = GraphApiFetcher("EAAG-page-token", api_version="v21.0", opener=opener)
    lead = parse_lead(fetcher.fetch("2298765430112233"))
    assert lead.fields["full_name"] == "Nguyễn Thị Lan"
    url = urllib.parse.urlsplit(opener.urls[0])
    assert (url.scheme, url.netloc, url.path) == ("https", "graph.facebook.com", "/v21.0/2298765430112233")
    query = urllib.parse.parse_qs(url.query)
    assert query["access_token"] == ["EAAG-page-token"]
    assert query["fields"] == [",".join(facebook.LEAD_FIELDS_REQUESTED)]
    assert "appsecret_proof" not in query


def test_fetching_with_the_app_secret_proves_the_token_was_issued_to_us() -> None:
    opener = Recorded(raw("facebook_lead_vietnamese_form.json"))
    GraphApiFetcher(
        "EAAG-page-token", opener=opener, app_secret=APP_SECRET, fields=("id", "field_data")
    ).fetch("2298765430112233")
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(opener.urls[0]).query)
    proof = hmac.new(APP_SECRET.encode(), b"EAAG-page-token", hashlib.sha256).hexdigest()
    assert query["appsecret_proof"] == [proof]
    assert query["fields"] == ["id,field_data"]


def test_a_graph_error_body_is_a_fetch_error_with_graphs_message() -> None:
    fetcher = GraphApiFetcher("EAAG-expired", opener=Recorded(raw("facebook_graph_error_expired_token.json")))
    with pytest.raises(FetchError) as caught:
        fetcher.fetch("2298765430112233")
    error = caught.value
    assert error.message.startswith("Error validating access token: Session has expired")
    assert (error.code, error.kind, error.retryable) == (190, "OAuthException", False)
    assert str(error).startswith("facebook: Error validating access token")
    assert str(error).endswith("(OAuthException, code 190)")


def test_a_graph_rate_limit_is_a_fetch_error_worth_retrying() -> None:
    fetcher = GraphApiFetcher("EAAG-token", opener=Recorded(raw("facebook_graph_error_rate_limit.json")))
    with pytest.raises(FetchError, match="too many leadgen api calls") as caught:
        fetcher.fetch("2298765430112233")
    assert caught.value.retryable


def test_a_stored_graph_error_body_is_not_mistaken_for_a_lead() -> None:
    with pytest.raises(FetchError, match="Session has expired"):
        parse_lead(load("facebook_graph_error_expired_token.json"))


def test_a_non_json_answer_is_a_fetch_error_worth_retrying() -> None:
    fetcher = GraphApiFetcher("EAAG-token", opener=Recorded(b"<html>502 Bad Gateway</html>"))
    with pytest.raises(FetchError, match="non-JSON") as caught:
        fetcher.fetch("2298765430112233")
    assert caught.value.retryable


def test_a_lead_id_that_is_not_digits_is_never_put_in_a_url() -> None:
    fetcher = GraphApiFetcher("EAAG-token", opener=Recorded(b"{}"))
    with pytest.raises(ValueError, match="not a Graph lead id"):
        fetcher.fetch("123/../me?fields=")


# --- the real HTTP call, against a local server -----------------------------------------------------------


class _GraphLike(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status = 400 if "expired" in self.path else 200
        body = raw(
            "facebook_graph_error_expired_token.json"
            if status == 400
            else "facebook_lead_vietnamese_form.json"
        )
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def local_graph() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _GraphLike)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_real_opener_returns_the_body_of_a_success(local_graph: str) -> None:
    assert json.loads(urllib_opener(f"{local_graph}/v21.0/2298765430112233"))["id"] == "2298765430112233"


def test_the_real_opener_returns_the_body_of_a_refusal_so_its_message_is_kept(local_graph: str) -> None:
    body = urllib_opener(f"{local_graph}/v21.0/expired")
    assert json.loads(body)["error"]["code"] == 190


def test_an_unreachable_graph_is_a_fetch_error_worth_retrying() -> None:
    server = HTTPServer(("127.0.0.1", 0), _GraphLike)
    port = server.server_address[1]
    server.server_close()
    with pytest.raises(FetchError, match="could not reach the Graph API") as caught:
        urllib_opener(f"http://127.0.0.1:{port}/v21.0/1")
    assert caught.value.retryable
