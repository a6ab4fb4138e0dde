"""One journey through a real browser: Debian's Chromium against a real uvicorn server."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.browser import CHROMIUM, CHROMIUM_ARGS, log_in, serve
from tests.web.conftest import PASSWORD, Pipeline

pytestmark = pytest.mark.browser


@pytest.fixture
def server(pipeline: Pipeline) -> Iterator[str]:
    """The app served by uvicorn in a background thread on a free local port."""
    with serve(pipeline.url) as base:
        yield base


def test_a_rep_finds_a_lead_without_tones_and_moves_it_to_mql(server: str) -> None:
    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium is missing at /usr/bin/chromium (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(5000)
            expect.set_options(timeout=5000)

            log_in(page, server, "rep1@pheu.test", PASSWORD, start="/leads")

            page.fill("#q", "nguyen van anh")
            expect(page.locator("#lead-count")).to_have_text("1 khách hàng tiềm năng")
            expect(page).to_have_url(re.compile(r"q=nguyen\+van\+anh"))
            page.get_by_role("link", name="Nguyễn Văn Anh").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Nguyễn Văn Anh")

            page.select_option("#move-to", "mql")
            page.fill("#move-reason", "Đã mở email ưu đãi Tết")
            page.get_by_role("button", name="Chuyển giai đoạn").click()

            expect(page.locator("#lead-stage")).to_have_text("MQL – Ấm")
            move = page.locator("#timeline-body .timeline-item", has_text="Đã mở email ưu đãi Tết")
            expect(move).to_contain_text("MQL – Ấm")
            expect(move).to_contain_text("Rep1")
            expect(page.locator("#toasts")).to_contain_text("Đã chuyển giai đoạn.")
        finally:
            browser.close()
