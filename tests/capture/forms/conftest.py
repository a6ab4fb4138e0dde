"""A small shop with forms: channels, a campaign, an admin, a marketer and a sales rep, the app under a clock
the tests move by hand (so the time-to-submit check needs no sleeping)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from pheu.auth.roles import Principal, Role
from pheu.capture import spam
from pheu.capture.forms import FieldSpec
from pheu.config import get_settings
from pheu.db import unit_of_work
from pheu.services import forms
from pheu.services.forms import FormDraft
from pheu.store import Campaign, Channel
from pheu.web.app import create_app
from tests.conftest import NOW
from tests.factories import add_channels, add_user

CONSENT = "Tôi đồng ý nhận email ưu đãi từ Hoa Sen. Tôi có thể rút lại bất cứ lúc nào."


@dataclass
class Clock:
    """``app.state.clock``: stands still until a test moves it."""

    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Shop:
    url: str
    admin: Principal
    marketer: Principal
    rep: Principal
    campaign_id: int
    clock: Clock = field(default_factory=Clock)


def build_shop(url: str) -> Shop:
    add_channels(url)
    with unit_of_work(url) as session:
        session.add(Channel(code="landing_page", name="Landing page", paid=False))
        campaign = Campaign(name="Tết 2027", channel_id=1, utm_campaign="tet-2027", created_at=NOW)
        session.add(campaign)
        session.flush()
        campaign_id = campaign.id
    return Shop(
        url=url,
        admin=add_user(url, "admin@pheu.test", Role.ADMIN, NOW),
        marketer=add_user(url, "marketing@pheu.test", Role.MARKETING, NOW),
        rep=add_user(url, "rep@pheu.test", Role.SALES_REP, NOW),
        campaign_id=campaign_id,
    )


def draft(**changes: Any) -> FormDraft:
    """The coupon form of the tests: name and email required, phone optional, one consent purpose."""
    base = FormDraft(
        name="Phiếu giảm giá Tết",
        slug="uu-dai-tet",
        lead_magnet="coupon",
        fields=(
            FieldSpec("full_name", "Họ và tên", True),
            FieldSpec("email", "Email", True),
            FieldSpec("phone", "Số điện thoại", False),
        ),
        title="Nhận phiếu giảm giá 20% dịp Tết",
        consent_text=CONSENT,
        consent_purposes=("email_marketing",),
        thank_you_message="Cảm ơn bạn! Mã giảm giá đã được gửi qua email.",
        channel="landing_page",
    )
    return FormDraft(**{**{f: getattr(base, f) for f in base.__dataclass_fields__}, **changes})


def add_form(shop: Shop, **changes: Any) -> int:
    with unit_of_work(shop.url) as session:
        return forms.create_form(session, shop.marketer, draft(**changes), NOW).id


def token(slug: str, issued_at: datetime) -> str:
    """The token a landing page rendered at ``issued_at`` would carry."""
    return spam.issue_token(get_settings().secret_key, slug, issued_at)


@pytest.fixture
def shop(db_url: str) -> Shop:
    return build_shop(db_url)


@pytest.fixture
def client(shop: Shop) -> Iterator[TestClient]:
    app = create_app(shop.url)
    app.state.clock = shop.clock
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client
