"""CSV import end to end on both databases: every row is imported, merged or rejected, and a crash resumes."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from pheu.capture import imports
from pheu.cli import app
from pheu.db import unit_of_work
from pheu.services.errors import Invalid
from pheu.store import Event, Import, Lead, RejectedRecord
from tests.conftest import NOW
from tests.factories import add_channels

ROWS = [
    ["Họ và tên", "Số điện thoại", "Email", "Tỉnh/Thành phố", "Ghi chú"],
    ["Nguyễn Văn Anh", "0901 234 567", "anh.nguyen@gmail.com", "Hà Nội", "khách cũ"],
    ["Trần Thị Bích", "0912.345.678", "", "Đà Nẵng", ""],
    ["Nguyen Van Anh", "+84901234567", "", "Hà Nội", "gọi lại"],  # same phone: merged
    ["Không Liên Lạc", "12", "khong-co-email", "Huế", '=HYPERLINK("http://x")'],  # identifies no one
    ["Lê Văn Cường", "0987 112 233", "cuong.le@congty.vn", "TP. Hồ Chí Minh", "nhiều\ndòng"],
]


def write(path: Path, rows: list[list[str]], delimiter: str = ";", encoding: str = "utf-8-sig") -> Path:
    with path.open("w", newline="", encoding=encoding) as handle:
        csv.writer(handle, delimiter=delimiter).writerows(rows)
    return path


def test_summary_adds_up_and_rejected_rows_are_kept_safely(db_url: str, tmp_path: Path) -> None:
    add_channels(db_url)
    path = write(tmp_path / "khach.csv", ROWS)
    import_id = imports.start(db_url, path, imports.ImportOptions(channel="seo"), NOW)
    summary = imports.run(db_url, import_id, path, clock=lambda: NOW)
    assert (summary.rows_read, summary.imported, summary.merged, summary.rejected) == (5, 3, 1, 1)
    assert summary.imported + summary.merged + summary.rejected == summary.rows_read
    with unit_of_work(db_url) as s:
        assert s.scalar(select(func.count()).select_from(Lead)) == 3
        anh = s.scalars(select(Lead).where(Lead.phone == "+84901234567")).one()
        assert anh.email == "anh.nguyen@gmail.com" and anh.province == "Hà Nội"
        assert s.scalar(select(func.count()).select_from(Event).where(Event.lead_id == anh.id)) == 2
        rejected = s.scalars(select(RejectedRecord)).one()
        assert rejected.line == 5 and rejected.import_id == import_id
        assert s.get(Import, import_id).status == "done"
    out = tmp_path / "rejected.csv"
    assert imports.write_rejected(db_url, import_id, out) == 1
    text = out.read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text and "Không Liên Lạc" in text and "accepted" in text


def test_a_crashed_import_resumes_without_duplicates(db_url: str, tmp_path: Path) -> None:
    add_channels(db_url)
    path = write(tmp_path / "khach.csv", ROWS)
    import_id = imports.start(db_url, path, imports.ImportOptions(), NOW)
    calls = []

    def crash_after_first_chunk(done: int, total: int, summary: imports.ImportSummary) -> None:
        calls.append(summary.rows_read)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        imports.run(db_url, import_id, path, clock=lambda: NOW, progress=crash_after_first_chunk, chunk=2)
    assert calls == [2]
    with unit_of_work(db_url) as s:
        row = s.get(Import, import_id)
        assert (row.status, row.last_line, row.rows_read) == ("failed", 3, 2)
    assert imports.start(db_url, path, imports.ImportOptions(), NOW) == import_id  # same file → same import
    summary = imports.run(db_url, import_id, path, clock=lambda: NOW, chunk=2)
    assert (summary.rows_read, summary.imported, summary.merged, summary.rejected) == (5, 3, 1, 1)
    with unit_of_work(db_url) as s:
        assert s.scalar(select(func.count()).select_from(Lead)) == 3


def test_bought_lists_need_provenance_and_are_flagged(db_url: str, tmp_path: Path) -> None:
    add_channels(db_url)
    path = write(tmp_path / "mua.csv", ROWS[:3], delimiter=",")
    with pytest.raises(Invalid) as err:
        imports.start(db_url, path, imports.ImportOptions(bought_list=True), NOW)
    assert err.value.field == "provenance"
    options = imports.ImportOptions(bought_list=True, provenance="Mua từ công ty X ngày 01/11/2026")
    imports.run(db_url, imports.start(db_url, path, options, NOW), path, clock=lambda: NOW)
    with unit_of_work(db_url) as s:
        leads = list(s.scalars(select(Lead)))
        assert len(leads) == 2
        assert all(lead.channel.code == "import" and "bought_list" in lead.flags for lead in leads)


def test_cli_import_prints_the_json_summary(sqlite_url: str, tmp_path: Path) -> None:
    add_channels(sqlite_url)
    path = write(tmp_path / "utf16.txt", ROWS, delimiter="\t", encoding="utf-16")
    result = CliRunner().invoke(app, ["import", str(path), "--json", "--db-url", sqlite_url])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert {k: payload[k] for k in ("imported", "merged", "rejected")} == {
        "imported": 3,
        "merged": 1,
        "rejected": 1,
    }
    assert Path(payload["rejected_file"]).exists()
