"""The revenue chart in a real browser (Debian's Chromium against uvicorn): it draws from the vendored
ECharts without a script error, and a click on a bar opens the channel's customers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.browser import CHROMIUM, CHROMIUM_ARGS, log_in, serve
from tests.measure_web.conftest import DEMO_PASSWORD
from tests.measure_web.test_revenue import QUERY, add_valued_channel

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(demo_url: str) -> Iterator[str]:
    add_valued_channel(demo_url)
    with serve(demo_url) as base:
        yield base


def test_the_revenue_chart_draws_and_a_bar_opens_the_customers(server: str) -> None:
    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium is missing at /usr/bin/chromium (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(8000)
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            log_in(page, server, "marketing@pheu.local", DEMO_PASSWORD)
            page.goto(f"{server}/reports?{QUERY}")
            bars = page.locator('#chart-returns svg path[fill="#1c9a62"]')
            expect(bars.first).to_be_visible()
            assert errors == []
            bars.first.click()  # the revenue bar of the one channel shown
            page.wait_for_url("**/leads?**")
            assert "reached=customer" in page.url and "channel=rev_test" in page.url
            expect(page.locator("#lead-count")).to_contain_text("3")
        finally:
            browser.close()
