"""The form builder pages: who may open them, creating and editing a form through the page, the snippets."""

from __future__ import annotations

import html
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from pheu.db import unit_of_work
from pheu.store import AuditEntry, Form
from pheu.web.app import create_app
from tests.capture.forms.conftest import Shop, add_form, build_shop
from tests.web.conftest import log_in


@pytest.fixture
def shop(sqlite_url: str) -> Shop:
    return build_shop(sqlite_url)


@pytest.fixture
def client(shop: Shop) -> Iterator[TestClient]:
    with TestClient(create_app(shop.url), follow_redirects=False) as test_client:
        yield test_client


def builder_post(csrf: str, **overrides: str) -> dict[str, object]:
    data: dict[str, object] = {
        "csrf_token": csrf,
        "name": "Tải ebook Bán hàng B2B",
        "slug": "",
        "lead_magnet": "ebook",
        "kind": "sales",
        "active": "1",
        "f_email_on": "1", "f_email_label": "Email công việc", "f_email_required": "1", "f_email_order": "1",
        "f_full_name_on": "1", "f_full_name_label": "", "f_full_name_order": "0",
        "f_company_on": "1", "f_company_label": "Công ty", "f_company_order": "2",
        "f_phone_label": "ignored, not ticked", "f_phone_order": "3",
        "title": "Cẩm nang bán hàng B2B 2027",
        "consent_text": "Tôi đồng ý nhận email.",
        "consent_purposes": ["email_marketing", "zalo"],
        "thank_you_message": "Ebook đã được gửi tới hộp thư của bạn.",
        "redirect_url": "",
        "channel": "landing_page",
        "campaign_id": "",
    }  # fmt: skip
    data.update(overrides)
    return data


@pytest.mark.parametrize("email", ["admin@pheu.test", "marketing@pheu.test"])
def test_admin_and_marketing_see_the_forms_and_the_nav_link(
    client: TestClient, shop: Shop, email: str
) -> None:
    add_form(shop)
    log_in(client, email)
    page = client.get("/forms")
    assert page.status_code == 200
    assert 'href="/forms"' in page.text
    assert "Phiếu giảm giá Tết" in page.text
    assert "/f/uu-dai-tet" in page.text


def test_a_sales_rep_cannot_open_the_builder_nor_see_its_link(client: TestClient, shop: Shop) -> None:
    form_id = add_form(shop)
    log_in(client, "rep@pheu.test")
    assert 'href="/forms"' not in client.get("/leads").text
    for path in ("/forms", "/forms/new", f"/forms/{form_id}"):
        assert client.get(path).status_code == 403, path


def test_the_builder_requires_login(client: TestClient) -> None:
    answer = client.get("/forms")
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login")


def test_a_marketer_builds_a_form_on_the_page(client: TestClient, shop: Shop) -> None:
    csrf = log_in(client, "marketing@pheu.test")
    new = client.get("/forms/new")
    assert new.status_code == 200
    assert 'name="f_email_on" value="1" id="f-email-on" checked' in new.text
    answer = client.post("/forms/new", data=builder_post(csrf))
    assert answer.status_code == 303
    with unit_of_work(shop.url) as session:
        form = session.scalars(select(Form)).one()
        assert form.slug == "tai-ebook-ban-hang-b2b"
        assert [(f["name"], f["label"], f["required"]) for f in form.fields] == [
            ("full_name", "", False),
            ("email", "Email công việc", True),
            ("company", "Công ty", False),
        ]
        assert form.consent_purposes == ["email_marketing", "zalo"]
        assert form.created_by == shop.marketer.user_id
    editor = client.get(answer.headers["location"])
    assert "Đã tạo biểu mẫu" in editor.text
    snippet = html.unescape(editor.text)
    assert '<iframe src="http://testserver/f/tai-ebook-ban-hang-b2b?embed=1"' in snippet
    assert (
        '<script src="http://testserver/static/embed.js" data-form="tai-ebook-ban-hang-b2b" async></script>'
        in snippet
    )
    assert "data-copy=" in editor.text


def test_a_bad_form_is_shown_again_with_its_problems_and_nothing_saved(
    client: TestClient, shop: Shop
) -> None:
    csrf = log_in(client, "marketing@pheu.test")
    data = builder_post(csrf, redirect_url="javascript:alert(1)", f_email_on="", slug="Sai Địa Chỉ")
    answer = client.post("/forms/new", data=data)
    assert answer.status_code == 422
    assert "Hãy thêm trường email hoặc số điện thoại" in answer.text
    assert "Dùng địa chỉ web bắt đầu bằng http:// hoặc https://." in answer.text
    assert "Dùng 1–80 chữ thường không dấu" in answer.text
    assert 'value="Tải ebook Bán hàng B2B"' in answer.text
    with unit_of_work(shop.url) as session:
        assert session.scalars(select(Form)).all() == []


def test_editing_a_form_saves_and_audits_the_change(client: TestClient, shop: Shop) -> None:
    form_id = add_form(shop)
    csrf = log_in(client, "admin@pheu.test")
    data = builder_post(csrf, slug="uu-dai-tet", name="Ưu đãi Tết (đã sửa)")
    data.pop("active")
    answer = client.post(f"/forms/{form_id}", data=data)
    assert answer.status_code == 303
    with unit_of_work(shop.url) as session:
        form = session.get(Form, form_id)
        assert form is not None and (form.name, form.active) == ("Ưu đãi Tết (đã sửa)", False)
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "update")).one()
        assert entry.changes["active"] == [True, False]
    assert client.get("/f/uu-dai-tet").status_code == 404


def test_the_builder_posts_need_the_csrf_token(client: TestClient, shop: Shop) -> None:
    log_in(client, "marketing@pheu.test")
    assert client.post("/forms/new", data=builder_post("wrong")).status_code == 403
