"""A shop that imports: channels, an admin, a marketer and a sales rep, and the files they bring: a hand-made
Vietnamese CSV (UTF-8 with BOM, semicolons, as Excel writes it on a Vietnamese machine) and an .xlsx."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

import httpx2
import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook  # type: ignore[import-untyped]
from sqlalchemy import func, select

from pheu.auth.roles import Principal, Role
from pheu.db import unit_of_work
from pheu.services import import_jobs
from pheu.store import Import, Lead, RejectedRecord
from pheu.web.app import create_app
from tests.conftest import NOW
from tests.factories import add_channels, add_user
from tests.web.conftest import log_in

ROWS = [
    ["Họ và tên", "SĐT", "Email", "Tỉnh/Thành phố", "Ghi chú"],
    ["Nguyễn Văn Anh", "0901 234 567", "anh.nguyen@gmail.com", "Hà Nội", "khách cũ"],
    ["Trần Thị Bích", "0912.345.678", "", "Đà Nẵng", ""],
    ["Nguyen Van Anh", "+84901234567", "", "Hà Nội", "gọi lại"],  # the same phone as line 2: merged
    ["Không Liên Lạc", "12", "khong-co-email", "Huế", '=HYPERLINK("http://x")'],  # reaches no one
    ["Lê Văn Cường", "0987 112 233", "cuong.le@congty.vn", "TP. Hồ Chí Minh", ""],
]
_SELECT = re.compile(r'<select[^>]*name="(target_\d+)"[^>]*>(.*?)</select>', re.S)
_SELECTED = re.compile(r'<option value="([^"]*)" selected>')


@dataclass(frozen=True)
class Shop:
    url: str
    admin: Principal
    marketer: Principal
    rep: Principal


def build_shop(url: str) -> Shop:
    add_channels(url)
    return Shop(
        url=url,
        admin=add_user(url, "admin@pheu.test", Role.ADMIN, NOW),
        marketer=add_user(url, "marketing@pheu.test", Role.MARKETING, NOW),
        rep=add_user(url, "rep@pheu.test", Role.SALES_REP, NOW),
    )


def vietnamese_csv(rows: list[list[str]] = ROWS) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def workbook(rows: list[list[str]] = ROWS) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def selected_targets(html: str) -> dict[str, str]:
    """``target_<n>`` → the option the mapping page pre-selects ("" for an ignored column)."""
    found: dict[str, str] = {}
    for name, options in _SELECT.findall(html):
        chosen = _SELECTED.search(options)
        found[name] = chosen.group(1) if chosen else ""
    return found


def counts(url: str) -> tuple[int, int, int]:
    """(leads, imports, rejected records) in the database."""
    with unit_of_work(url) as s:
        return (
            s.scalar(select(func.count()).select_from(Lead)) or 0,
            s.scalar(select(func.count()).select_from(Import)) or 0,
            s.scalar(select(func.count()).select_from(RejectedRecord)) or 0,
        )


@dataclass
class Wizard:
    """A logged-in browser on the wizard, with the CSRF token every post carries."""

    client: TestClient
    token: str
    url: str

    def upload(self, name: str, content: bytes, *, csrf: bool = True) -> str:
        """Upload a file; returns the wizard page it leads to (asserting it got there)."""
        response = self.post_file(name, content, csrf=csrf)
        assert response.status_code == 303, response.text
        return str(response.headers["location"])

    def post_file(self, name: str, content: bytes, *, csrf: bool = True) -> httpx2.Response:
        data = {"csrf_token": self.token} if csrf else {}
        return self.client.post("/imports/upload", data=data, files={"file": (name, content, "text/csv")})

    def form(self, path: str, **fields: str) -> dict[str, str]:
        """The mapping form as the page pre-fills it, with ``fields`` changed."""
        html = self.client.get(path).text
        return {"csrf_token": self.token, **selected_targets(html), **fields}


@pytest.fixture
def shop(sqlite_url: str) -> Shop:
    return build_shop(sqlite_url)


@pytest.fixture
def client(shop: Shop) -> Iterator[TestClient]:
    with TestClient(create_app(shop.url), follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def wizard(client: TestClient, shop: Shop) -> Wizard:
    return Wizard(client, log_in(client, "marketing@pheu.test"), shop.url)


@pytest.fixture(autouse=True)
def _no_runs_left_behind() -> Iterator[None]:
    """An import thread must not outlive its test (and its database)."""
    yield
    for import_id in list(import_jobs._threads):
        import_jobs.wait(import_id, timeout=30)
