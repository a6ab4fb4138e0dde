"""The import wizard through its pages, as a marketer uses it: upload, map, preview, run, download."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pheu.services import import_jobs, uploads
from tests.capture.wizard.conftest import (
    ROWS,
    Shop,
    Wizard,
    counts,
    selected_targets,
    vietnamese_csv,
    workbook,
)
from tests.web.conftest import log_in


def test_a_vietnamese_csv_is_mapped_from_its_headers(wizard: Wizard) -> None:
    page = wizard.upload("khách hàng.csv", vietnamese_csv())
    html = wizard.client.get(page).text
    assert selected_targets(html) == {
        "target_0": "full_name",
        "target_1": "phone",
        "target_2": "email",
        "target_3": "province",
        "target_4": "notes",
    }
    assert "Bảng tính tiếng Việt" in html  # the detected source
    assert "Dấu chấm phẩy" in html and "UTF-8" in html
    assert "anh.nguyen@gmail.com" in html  # a first value of the Email column
    assert "khách hàng.csv" in html


def test_an_excel_workbook_is_read_like_a_csv(wizard: Wizard) -> None:
    page = wizard.upload("danh-sach.xlsx", workbook())
    html = wizard.client.get(page).text
    assert selected_targets(html)["target_1"] == "phone"
    assert "Excel (.xlsx)" in html and "0912.345.678" in html
    preview = wizard.client.post(f"{page}/preview", data=wizard.form(page))
    assert preview.status_code == 200
    assert "+84912345678" in preview.text


def test_the_preview_shows_each_row_as_it_would_land_and_writes_nothing(wizard: Wizard) -> None:
    page = wizard.upload("khach.csv", vietnamese_csv())
    preview = wizard.client.post(f"{page}/preview", data=wizard.form(page, channel="seo"))
    html = preview.text
    assert preview.status_code == 200
    assert 'data-line="5" data-status="rejected"' in html
    assert "thiếu chữ số so với một số điện thoại" in html  # the reason, in words and in the page's language
    assert "không phải là địa chỉ email hợp lệ" in html
    assert 'data-line="4" data-status="merge"' in html and "với dòng 2" in html
    assert "+84901234567" in html  # phones shown in E.164
    assert '<div class="fs-4 fw-bold" data-count="new">3</div>' in html
    assert counts(wizard.url) == (0, 0, 0)


def test_a_run_imports_every_row_and_its_rejected_rows_download_safely(wizard: Wizard) -> None:
    page = wizard.upload("khach.csv", vietnamese_csv())
    upload_folder = uploads.uploads_folder(wizard.url) / page.rsplit("/", 1)[-1]
    started = wizard.client.post(f"{page}/run", data=wizard.form(page, channel="seo"))
    assert started.status_code == 303
    progress_page = str(started.headers["location"])
    import_id = int(progress_page.rsplit("/", 1)[-1])
    assert import_jobs.wait(import_id, timeout=30)

    fragment = wizard.client.get(f"{progress_page}/progress").text
    assert 'data-status="done"' in fragment and "hx-trigger" not in fragment  # polling stops
    for key, value in {"rows_read": 5, "imported": 3, "merged": 1, "rejected": 1}.items():
        assert f'data-count="{key}">{value}<' in fragment
    assert counts(wizard.url) == (3, 1, 1)
    assert not upload_folder.exists()  # the personal-data file is gone once imported

    download = wizard.client.get(f"/imports/{import_id}/rejected.csv")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    text = download.content.decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "Không Liên Lạc" in text
    assert "\n=" not in text and ",=" not in text

    listing = wizard.client.get("/imports").text
    assert "khach.csv" in listing and f"/rejected?import_id={import_id}" in listing


def test_the_progress_page_polls_every_second_while_the_import_runs(wizard: Wizard, shop: Shop) -> None:
    from pheu.capture import imports
    from tests.conftest import NOW

    path = Path(wizard.url.removeprefix("sqlite:///")).parent / "laden.csv"
    path.write_bytes(vietnamese_csv())
    import_id = imports.start(shop.url, path, imports.ImportOptions(created_by=shop.marketer.user_id), NOW)
    html = wizard.client.get(f"/imports/{import_id}").text
    assert f'hx-get="/imports/{import_id}/progress" hx-trigger="every 1s"' in html
    assert "Marketing" in html  # who started it


def test_a_bought_list_without_provenance_is_refused(wizard: Wizard) -> None:
    page = wizard.upload("mua.csv", vietnamese_csv())
    form = wizard.form(page, bought_list="1", provenance="  ")
    for step in ("preview", "run"):
        response = wizard.client.post(f"{page}/{step}", data=form)
        assert response.status_code == 422
        assert "phải ghi rõ nguồn gốc dữ liệu (Luật 91/2025)" in response.text
        assert 'id="provenance-error"' in response.text
    assert counts(wizard.url) == (0, 0, 0)
    fine = wizard.client.post(f"{page}/preview", data={**form, "provenance": "Hội chợ Vietbuild 2026"})
    assert fine.status_code == 200 and "Danh sách mua" in fine.text


def test_back_from_the_preview_keeps_the_choices(wizard: Wizard) -> None:
    page = wizard.upload("khach.csv", vietnamese_csv())
    form = wizard.form(page, target_4="", channel="seo")
    html = wizard.client.post(page, data=form).text
    assert selected_targets(html)["target_4"] == ""
    assert '<option value="seo" selected>' in html


def test_files_that_are_not_tables_are_refused_with_a_reason(wizard: Wizard) -> None:
    old_excel = wizard.post_file("cu.csv", b"\xd0\xcf\x11\xe0" + b"\x00" * 600)
    assert old_excel.status_code == 422 and ".xls" in old_excel.text
    wrong_type = wizard.post_file("anh.png", b"\x89PNG")
    assert wrong_type.status_code == 422 and ".tsv" in wrong_type.text
    assert not any(uploads.uploads_folder(wizard.url).glob("*/*.csv"))


def test_an_upload_larger_than_the_limit_is_refused_before_it_is_read(
    wizard: Wizard, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pheu.web import pages_import

    monkeypatch.setattr(uploads, "MAX_UPLOAD_BYTES", 1000)
    monkeypatch.setattr(pages_import, "MULTIPART_SLACK", 100)
    response = wizard.post_file("to.csv", vietnamese_csv(ROWS * 20))
    assert response.status_code == 413 and "200 MB" in response.text


def test_only_admins_and_marketers_import(client: TestClient) -> None:
    log_in(client, "rep@pheu.test")
    assert client.get("/imports").status_code == 403
    assert client.get("/imports/new").status_code == 403
    assert "/imports" not in client.get("/leads").text.split("</nav>")[0]


def test_an_upload_without_the_csrf_token_is_refused(wizard: Wizard) -> None:
    assert wizard.post_file("khach.csv", vietnamese_csv(), csrf=False).status_code == 403
    assert not any(uploads.uploads_folder(wizard.url).glob("*"))


def test_another_persons_upload_is_not_found(wizard: Wizard, shop: Shop) -> None:
    page = wizard.upload("khach.csv", vietnamese_csv())
    other = TestClient(wizard.client.app, follow_redirects=False)
    log_in(other, "admin@pheu.test")
    assert other.get(page).status_code == 404
    assert other.get("/imports/new/..%2F..%2Fetc").status_code == 404
