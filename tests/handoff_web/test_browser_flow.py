"""One lead from a landing-page form to a won customer, through a real Chromium against a real uvicorn server:
a visitor fills in the form, a marketer moves the lead to MQL (the hand-off assigns it to the rep by the
rule), the rep finds it in their call queue, logs the call as reached, records BANT, converts it to an
Opportunity and marks it won with the deal's value."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect, sync_playwright
from sqlalchemy import select

from pheu.auth.roles import Role
from pheu.db import unit_of_work
from pheu.services import assignment_rules, forms, handoff_settings
from pheu.services.assignment_rules import RuleIn
from pheu.store import Channel, Lead, Team, User
from tests.browser import CHROMIUM, CHROMIUM_ARGS, log_in, serve
from tests.capture.forms.conftest import draft
from tests.factories import add_channels, add_user
from tests.web.conftest import PASSWORD

pytestmark = pytest.mark.browser

ALL_DAY = {day: [["00:00", "23:59"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@dataclass(frozen=True)
class Shop:
    url: str
    rep_id: int


def build_shop(url: str) -> Shop:
    """A landing page form, an admin who markets, and one rep in the team every lead is handed to."""
    now = datetime.now(UTC)
    add_channels(url)
    with unit_of_work(url) as s:
        s.add(Channel(code="landing_page", name="Landing page", paid=False))
    admin = add_user(url, "admin@pheu.test", Role.ADMIN, now)
    rep = add_user(url, "rep1@pheu.test", Role.SALES_REP, now)
    with unit_of_work(url) as s:
        team = Team(name="Miền Nam", created_at=now)
        s.add(team)
        s.flush()
        user = s.get(User, rep.user_id)
        assert user is not None
        user.team_id, user.working_hours = team.id, ALL_DAY  # at work whenever the test runs
        assignment_rules.create_rule(s, admin, RuleIn(name="Mọi khách hàng", team_id=team.id), now)
        handoff_settings.save(
            s, admin, {"deadline_minutes": {"hot": 5, "warm": 5, "cold": 5}, "working_time": False}, now
        )
        forms.create_form(s, admin, draft(), now)
    return Shop(url=url, rep_id=rep.user_id)


@pytest.fixture
def server(sqlite_url: str) -> Iterator[tuple[str, Shop]]:
    shop = build_shop(sqlite_url)
    with serve(shop.url) as base:
        yield base, shop


def _log_in(page: Page, base: str, email: str) -> None:
    log_in(page, base, email, PASSWORD)


def _log_out(page: Page) -> None:
    page.locator("#user-menu").click()
    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_url(re.compile(r"/login"))


def test_a_form_lead_reaches_the_reps_queue_and_ends_as_a_won_customer(server: tuple[str, Shop]) -> None:
    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium is missing at /usr/bin/chromium (apt-get install chromium)")
    base, shop = server
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 1000})
            page.set_default_timeout(8000)
            expect.set_options(timeout=8000)

            # A visitor fills in the landing page (the spam guard wants a human's few seconds).
            page.goto(f"{base}/f/uu-dai-tet?utm_source=facebook&utm_campaign=tet-2027")
            page.fill("#lp-full_name", "Lý Thị Hồng Nhung")
            page.fill("#lp-email", "nhung.ly@gmail.com")
            page.fill("#lp-phone", "0903 123 456")
            page.check("#lp-consent-email_marketing")
            time.sleep(2.2)
            page.get_by_role("button").last.click()
            expect(page.get_by_text("Mã giảm giá đã được gửi qua email")).to_be_visible()
            with unit_of_work(shop.url) as s:
                lead_id = s.scalars(select(Lead.id).where(Lead.email == "nhung.ly@gmail.com")).one()

            # The marketer moves it to MQL; the hand-off gives it to the rep by the rule.
            context = browser.new_context(viewport={"width": 1366, "height": 1000})
            marketer = context.new_page()
            _log_in(marketer, base, "admin@pheu.test")
            marketer.goto(f"{base}/leads/{lead_id}")
            marketer.select_option("#move-to", "mql")
            marketer.fill("#move-reason", "Đã tải phiếu giảm giá, hỏi về gói doanh nghiệp")
            marketer.locator("#move-submit").click()
            expect(marketer.locator("#lead-stage")).to_contain_text("MQL")
            context.close()
            with unit_of_work(shop.url) as s:
                lead = s.get(Lead, lead_id)
                assert lead is not None and lead.owner_id == shop.rep_id, (
                    "the hand-off did not assign the lead"
                )

            # The rep finds it in the queue and logs the call in two clicks.
            _log_in(page, base, "rep1@pheu.test")
            page.goto(f"{base}/queue")
            row = page.locator("#queue-rows tr", has_text="Lý Thị Hồng Nhung")
            expect(row).to_be_visible()
            expect(row).to_contain_text("Liên hệ đầu tiên")
            row.get_by_role("button", name="Đã nghe máy").click()
            logged = page.locator("#queue-rows tr", has_text="Lý Thị Hồng Nhung")
            expect(logged).to_contain_text("Tiếp theo: Gọi chăm sóc tiếp")

            # On the lead page: SQL, BANT, Opportunity with amount and close date.
            page.goto(f"{base}/leads/{lead_id}")
            page.select_option("#move-to", "sql")
            page.fill("#move-reason", "Đã nghe máy, muốn báo giá")
            page.locator("#move-submit").click()
            expect(page.locator("#lead-stage")).to_contain_text("SQL")
            page.reload()
            page.fill("#budget_amount_minor", "200000000")
            page.select_option("#budget_level", "high")
            page.select_option("#authority", "decision_maker")
            page.fill("#need", "Cần phần mềm quản lý khách hàng cho 20 nhân viên")
            page.select_option("#need_level", "high")
            page.select_option("#timing_window", "within_1_month")
            page.locator("#bant-save").click()
            expect(page.locator("#convert-submit")).to_be_visible()
            page.fill("#amount_minor", "150000000")
            page.fill("#expected_close_date", (date.today() + timedelta(days=20)).isoformat())
            page.locator("#convert-submit").click()
            expect(page.locator("#lead-stage")).to_contain_text("Cơ hội")

            # Won, with the deal's value: the lead is a customer.
            page.fill("#won-amount", "150.000.000")
            page.locator("#won-submit").click()
            expect(page.locator("#lead-stage")).to_contain_text("Khách hàng")
            expect(page.locator("#won-value")).to_contain_text("150.000.000 VND")
            with unit_of_work(shop.url) as s:
                lead = s.get(Lead, lead_id)
                assert lead is not None
                assert (lead.stage, lead.won_amount_minor, lead.won_currency) == (
                    "customer",
                    150_000_000,
                    "VND",
                )
                assert lead.first_contact_at is not None
        finally:
            browser.close()
