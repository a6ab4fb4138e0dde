"""The issue's "done when" in a real browser: a marketer changes a rule, backtests it, switches to it and sees
a lead move."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.browser import CHROMIUM, CHROMIUM_ARGS, log_in
from tests.score_web.conftest import build_scored
from tests.web.conftest import PASSWORD, Pipeline
from tests.web.test_browser import server

pytestmark = pytest.mark.browser
__all__ = ["server"]  # the uvicorn fixture of tests/web, serving this module's ``pipeline``


@pytest.fixture
def pipeline(sqlite_url: str) -> Pipeline:
    """The page tests' pipeline with the default model stored, active and every lead scored."""
    return build_scored(sqlite_url).pipeline


def test_a_marketer_lowers_the_mql_threshold_backtests_switches_and_sees_a_lead_move(
    server: str, pipeline: Pipeline
) -> None:
    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium is missing at /usr/bin/chromium (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(10000)
            expect.set_options(timeout=10000)

            log_in(page, server, "marketer@pheu.test", PASSWORD, start="/leads")

            page.goto(f"{server}/leads/{pipeline.anh_id}")
            expect(page.locator("#lead-stage")).to_have_text("IQL – Lạnh")
            expect(page.locator("#why-fit")).to_have_text("25")

            page.get_by_role("link", name="Chấm điểm").first.click()
            page.wait_for_url(f"{server}/scoring")
            page.click("#edit-active")
            page.fill("#min_score__mql", "20")
            page.fill("#points__mo-email", "5")
            page.click("#save-form")
            page.wait_for_url(f"{server}/scoring/models/*/backtest")

            page.click("#run-backtest")
            expect(page.locator("#backtest-table")).to_be_visible()
            expect(page.locator("#backtest-chart svg")).to_be_attached()

            page.click("#activate-open")
            page.click("#activate-confirm")
            page.wait_for_url(f"{server}/scoring")
            expect(page.locator("#toasts")).to_contain_text("mac-dinh v2")
            expect(page.locator("#versions [data-active]")).to_have_count(1)

            page.goto(f"{server}/leads/{pipeline.anh_id}")
            expect(page.locator("#lead-stage")).to_have_text("MQL – Ấm")
            # 25 fit points and the email open's 5 (now), faded since the morning it happened
            expect(page.locator("#why-total")).to_have_text(re.compile(r"^(2[5-9](,\d)?|30)$"))
            expect(page.locator("#timeline-body")).to_contain_text("mô hình chấm điểm")
        finally:
            browser.close()
