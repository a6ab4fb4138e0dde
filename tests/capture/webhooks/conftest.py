"""A configured app on a real database, deliveries signed the way each platform signs them, and a Graph API
reader that replays recorded answers instead of calling Meta."""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.parse
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from fastapi.testclient import TestClient

from pheu.capture.ads.facebook import GraphApiFetcher
from pheu.config import get_settings
from pheu.db import unit_of_work
from pheu.store import Channel
from pheu.web.app import create_app
from tests.capture.ads.recorded import raw
from tests.factories import add_channels

FB_APP_SECRET = "3f9c2a7e1b4d8f60a5c3e2d1b0a9f8e7"
FB_VERIFY_TOKEN = "pheu-fb-verify-2026"
TIKTOK_APP_SECRET = "b7e4c1d0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4"
ZALO_APP_ID = "4316128559482153211"
ZALO_OA_SECRET = "Xk2pQ9vLm7RtY3wZ8aB1"
SECRETS = {
    "FACEBOOK_APP_SECRET": FB_APP_SECRET,
    "FACEBOOK_VERIFY_TOKEN": FB_VERIFY_TOKEN,
    "FACEBOOK_PAGE_ACCESS_TOKEN": "",
    "TIKTOK_APP_SECRET": TIKTOK_APP_SECRET,
    "ZALO_APP_ID": ZALO_APP_ID,
    "ZALO_OA_SECRET_KEY": ZALO_OA_SECRET,
}
# Graph's answers, by lead id, for the two leads facebook_webhook_leadgen.json announces.
GRAPH_LEADS = {
    "2298765430112233": "facebook_lead_vietnamese_form.json",
    "2298765430114455": "facebook_lead_name_parts_no_email.json",
}


def facebook_signature(body: bytes, secret: str = FB_APP_SECRET) -> dict[str, str]:
    return {"X-Hub-Signature-256": "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}


def tiktok_signature(body: bytes) -> dict[str, str]:
    return {"X-Open-Signature": hmac.new(TIKTOK_APP_SECRET.encode(), body, hashlib.sha256).hexdigest()}


def zalo_signature(body: bytes) -> dict[str, str]:
    timestamp = str(json.loads(body)["timestamp"])
    signed = ZALO_APP_ID.encode() + body + timestamp.encode() + ZALO_OA_SECRET.encode()
    return {"X-ZEvent-Signature": "mac=" + hashlib.sha256(signed).hexdigest()}


def recorded_graph(answers: Mapping[str, str]) -> GraphApiFetcher:
    """The real Graph reader, with the HTTP call replaced by recorded bodies chosen by the lead id in the
    URL; a lead id not in ``answers`` gets Graph's expired-token refusal."""

    def opener(url: str) -> bytes:
        lead_id = urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1]
        return raw(answers.get(lead_id, "facebook_graph_error_expired_token.json"))

    return GraphApiFetcher("recorded-page-token", opener=opener, app_secret=FB_APP_SECRET)


def _set_env(values: Mapping[str, str]) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        for name, value in values.items():
            mp.setenv(f"PHEU_{name}", value)
        get_settings.cache_clear()
        yield
    get_settings.cache_clear()


@pytest.fixture
def configured() -> Iterator[None]:
    """Every provider's secrets set, as an operator would in the environment."""
    yield from _set_env(SECRETS)


@pytest.fixture
def unconfigured() -> Iterator[None]:
    yield from _set_env(dict.fromkeys(SECRETS, ""))


@pytest.fixture
def ads_db(db_url: str) -> str:
    """A migrated database with the channels ad leads land in."""
    add_channels(db_url)
    with unit_of_work(db_url) as s:
        s.add_all(
            [
                Channel(code="tiktok_ads", name="TikTok Ads", paid=True),
                Channel(code="zalo", name="Zalo", paid=False),
            ]
        )
    return db_url


@pytest.fixture
def client(ads_db: str, configured: None) -> Iterator[TestClient]:
    """The app, reading Facebook leads from recorded Graph answers."""
    app = create_app(ads_db)
    app.state.facebook_fetcher = recorded_graph(GRAPH_LEADS)
    with TestClient(app) as test_client:
        yield test_client


def post(client: TestClient, provider: str, body: bytes, headers: dict[str, str]) -> Any:
    return client.post(
        f"/api/v1/webhooks/{provider}", content=body, headers={"Content-Type": "application/json", **headers}
    )
