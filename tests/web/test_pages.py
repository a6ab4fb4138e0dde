"""The pages over HTTP: login, CSRF, who sees which lead, search, moving stages, language."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient

from pheu.web import pages_leads
from tests.conftest import NOW
from tests.factories import add_lead
from tests.web.conftest import Pipeline, csrf_from, log_in


def test_pages_require_login_and_come_back_after_it(client: TestClient) -> None:
    response = client.get("/leads?stage=mql")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/leads%3Fstage%3Dmql"
    token = csrf_from(client.get(response.headers["location"]).text)
    login = client.post(
        "/login",
        data={
            "email": "rep1@pheu.test",
            "password": "correct-horse",
            "csrf_token": token,
            "next": "/leads?stage=mql",
        },
    )
    assert login.status_code == 303
    assert login.headers["location"] == "/leads?stage=mql"


def test_login_with_the_right_password_opens_the_leads(client: TestClient) -> None:
    log_in(client, "admin@pheu.test")
    page = client.get("/leads")
    assert page.status_code == 200
    assert "Nguyễn Văn Anh" in page.text


def test_login_with_a_wrong_password_fails_without_saying_which_half(client: TestClient) -> None:
    token = csrf_from(client.get("/login").text)
    response = client.post(
        "/login", data={"email": "admin@pheu.test", "password": "nope-nope", "csrf_token": token}
    )
    assert response.status_code == 400
    assert "Email hoặc mật khẩu không đúng." in response.text
    assert client.get("/leads").status_code == 303


def test_login_never_redirects_to_another_site(client: TestClient) -> None:
    token = csrf_from(client.get("/login").text)
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        client.cookies.clear()
        token = csrf_from(client.get("/login").text)
        response = client.post(
            "/login",
            data={
                "email": "admin@pheu.test",
                "password": "correct-horse",
                "csrf_token": token,
                "next": target,
            },
        )
        assert response.headers["location"] == "/leads", target


def test_a_post_without_the_csrf_token_is_refused(client: TestClient, pipeline: Pipeline) -> None:
    token = log_in(client, "admin@pheu.test")
    no_token = client.post(f"/leads/{pipeline.anh_id}/stage", data={"stage": "mql"})
    wrong = client.post(
        f"/leads/{pipeline.anh_id}/stage", data={"stage": "mql", "csrf_token": token[:-2] + "xx"}
    )
    assert no_token.status_code == 403
    assert wrong.status_code == 403
    assert "Biểu mẫu đã hết hạn" in no_token.text
    assert "IQL – Lạnh" in client.get(f"/leads/{pipeline.anh_id}").text


def test_the_login_form_itself_needs_the_csrf_token(client: TestClient) -> None:
    response = client.post("/login", data={"email": "admin@pheu.test", "password": "correct-horse"})
    assert response.status_code == 403


def test_a_sales_rep_cannot_open_or_list_another_reps_lead(client: TestClient, pipeline: Pipeline) -> None:
    log_in(client, "rep1@pheu.test")
    other = client.get(f"/leads/{pipeline.binh_id}")
    listing = client.get("/leads").text
    assert other.status_code == 404
    assert "Không tìm thấy trang" in other.text
    assert "Trần Thị Bình" not in other.text
    assert "Trần Thị Bình" not in listing
    assert "Nguyễn Văn Anh" in listing
    assert client.get(f"/leads/{pipeline.anh_id}").status_code == 200


def test_a_sales_rep_sees_no_owner_filter(client: TestClient) -> None:
    log_in(client, "rep1@pheu.test")
    assert 'name="owner"' not in client.get("/leads").text
    client.cookies.clear()
    log_in(client, "manager@pheu.test")
    assert 'name="owner"' in client.get("/leads").text


def test_search_ignores_vietnamese_tones(client: TestClient) -> None:
    log_in(client, "admin@pheu.test")
    page = client.get("/leads", params={"q": "nguyen van anh"})
    assert "Nguyễn Văn Anh" in page.text
    assert "Trần Thị Bình" not in page.text
    assert "1 khách hàng tiềm năng" in page.text


def test_live_search_answers_only_the_results_table(client: TestClient) -> None:
    log_in(client, "admin@pheu.test")
    headers = {"HX-Request": "true", "HX-Target": "lead-results"}
    fragment = client.get("/leads", params={"q": "binh"}, headers=headers)
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert "Trần Thị Bình" in fragment.text


def test_filters_narrow_the_list_and_stay_in_links(client: TestClient) -> None:
    log_in(client, "admin@pheu.test")
    recruitment = client.get("/leads", params={"kind": "recruitment"}).text
    assert "Phạm Thu Hà" in recruitment
    assert "Nguyễn Văn Anh" not in recruitment
    by_channel = client.get("/leads", params={"channel": "seo", "sort": "name"}).text
    assert "Trần Thị Bình" in by_channel
    assert "Nguyễn Văn Anh" not in by_channel
    assert "/leads?channel=seo&amp;sort=-name" in by_channel


def test_the_count_uses_the_vietnamese_thousands_style(client: TestClient) -> None:
    log_in(client, "admin@pheu.test")
    assert "4 khách hàng tiềm năng" in client.get("/leads").text


def test_moving_a_lead_updates_its_stage_and_timeline(client: TestClient, pipeline: Pipeline) -> None:
    token = log_in(client, "rep1@pheu.test")
    response = client.post(
        f"/leads/{pipeline.anh_id}/stage",
        data={"stage": "mql", "reason": "Đã mở email ưu đãi"},
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )
    assert response.status_code == 200
    assert 'id="timeline-body" hx-swap-oob="true"' in response.text
    assert "Đã mở email ưu đãi" in response.text
    assert "Đã chuyển giai đoạn." in response.headers["HX-Trigger"].encode().decode("unicode_escape")
    page = client.get(f"/leads/{pipeline.anh_id}").text
    assert "MQL – Ấm" in page
    assert "Đã mở email ưu đãi" in page


def test_an_illegal_move_is_explained_in_the_persons_language(client: TestClient, pipeline: Pipeline) -> None:
    token = log_in(client, "admin@pheu.test")
    headers = {"HX-Request": "true", "X-CSRF-Token": token}
    skip = client.post(f"/leads/{pipeline.anh_id}/stage", data={"stage": "customer"}, headers=headers)
    no_reason = client.post(f"/leads/{pipeline.anh_id}/stage", data={"stage": "lost"}, headers=headers)
    assert "không thể chuyển sang Khách hàng" in skip.text
    assert "Cần ghi lý do khi chuyển khách hàng tiềm năng sang Thất bại." in no_reason.text
    assert "IQL – Lạnh" in client.get(f"/leads/{pipeline.anh_id}").text


def test_a_move_without_htmx_redirects_back_with_a_flash(client: TestClient, pipeline: Pipeline) -> None:
    token = log_in(client, "admin@pheu.test")
    response = client.post(f"/leads/{pipeline.anh_id}/stage", data={"stage": "sql", "csrf_token": token})
    assert response.status_code == 303
    page = client.get(response.headers["location"]).text
    assert "Đã chuyển giai đoạn." in page
    assert "SQL – Nóng" in page


def test_the_board_shows_each_stage_with_counts_and_moves_cards(
    client: TestClient, pipeline: Pipeline
) -> None:
    token = log_in(client, "admin@pheu.test")
    board = client.get("/board").text
    for stage in ("IQL – Lạnh", "MQL – Ấm", "SQL – Nóng", "Cơ hội", "Khách hàng", "Thất bại", "Loại bỏ"):
        assert stage in board
    assert "Nguyễn Văn Anh" in board
    moved = client.post(
        f"/leads/{pipeline.anh_id}/stage",
        data={"stage": "mql", "board": "sales"},
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )
    assert moved.status_code == 200
    assert moved.text.lstrip().startswith('<div class="board" id="board">')
    recruitment = client.get("/board", params={"kind": "recruitment"}).text
    assert "Ứng viên" in recruitment
    assert "Phạm Thu Hà" in recruitment


def test_switching_to_english_shows_english_labels_and_is_remembered(client: TestClient) -> None:
    token = log_in(client, "admin@pheu.test")
    response = client.post("/locale", data={"lang": "en", "next": "/leads", "csrf_token": token})
    assert response.status_code == 303
    page = client.get("/leads").text
    assert '<html lang="en">' in page
    assert "Leads" in page
    assert "4 leads" in page
    assert "IQL – Cold" in page
    client.cookies.clear()
    log_in(client, "admin@pheu.test")
    assert "4 leads" in client.get("/leads").text


def test_lang_in_the_address_switches_the_login_page(client: TestClient) -> None:
    assert "Log in" in client.get("/login", params={"lang": "en"}).text
    assert "Đăng nhập" in client.get("/login", params={"lang": "vi"}).text


def test_unknown_pages_and_bad_ids_answer_the_translated_404_page(client: TestClient) -> None:
    log_in(client, "admin@pheu.test")
    for path in ("/nowhere", "/leads/999999", "/leads/abc"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Không tìm thấy trang" in response.text


def test_logout_ends_the_session(client: TestClient) -> None:
    token = log_in(client, "admin@pheu.test")
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 303
    assert client.get("/leads").status_code == 303


def test_root_goes_to_the_leads(client: TestClient) -> None:
    assert client.get("/").headers["location"] == "/leads"


def test_output_is_escaped(client: TestClient, pipeline: Pipeline) -> None:
    add_lead(pipeline.url, None, NOW, full_name="<script>alert(1)</script>", email="x@example.vn")
    log_in(client, "admin@pheu.test")
    page = client.get("/leads").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_an_htmx_request_after_the_session_ends_redirects_the_whole_page(client: TestClient) -> None:
    response = client.get(
        "/leads",
        params={"q": "anh"},
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/leads?stage=sql"},
    )
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/login?next=/leads%3Fstage%3Dsql"


def test_pages_go_page_by_page_with_a_cursor(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pages_leads, "PAGE_SIZE", 3)
    log_in(client, "admin@pheu.test")
    first = client.get("/leads", params={"sort": "name"}).text
    assert "4 khách hàng tiềm năng" in first
    assert "Về trang đầu" not in first
    next_url = re.search(r'rel="next" href="([^"]+)"', first)
    assert next_url
    second = client.get(html.unescape(next_url.group(1))).text
    assert "Trần Thị Bình" in second
    assert "Lê Hoàng Nam" not in second
    assert "Về trang đầu" in second
    assert 'rel="next"' not in second


def test_column_headers_sort_both_ways(client: TestClient) -> None:
    log_in(client, "admin@pheu.test")
    by_name = client.get("/leads", params={"sort": "name"}).text
    names = re.findall(r'class="lead-name" href="/leads/\d+">([^<]+)<', by_name)
    assert names == ["Lê Hoàng Nam", "Nguyễn Văn Anh", "Phạm Thu Hà", "Trần Thị Bình"]
    assert 'aria-sort="ascending"' in by_name
    assert 'href="/leads?sort=-name"' in by_name


def test_pages_are_never_cached_or_framed(client: TestClient) -> None:
    log_in(client, "admin@pheu.test")
    response = client.get("/leads")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"
