from __future__ import annotations

import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook  # type: ignore[import-untyped]

from pheu.capture.files import FileNotReadable, RawRow, open_table
from pheu.capture.files.reader import cell_text


def write_xlsx(path: Path, rows: list[list[Any]], *, sheets: tuple[str, ...] = ("Khách hàng",)) -> Path:
    workbook = Workbook(write_only=True)
    for title in sheets:
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


def test_xlsx_cells_become_the_text_a_person_typed(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "leads.xlsx",
        [
            ["Họ tên", "SĐT", "Ngày đăng ký", "Ngày sinh", "Điểm", "Đồng ý"],
            ["Nguyễn Văn Anh", 901234567, datetime(2024, 3, 5, 10, 21, 33), date(1990, 1, 2), 7.5, True],
            ["Lê Thị Bình", "0912345678", None, None, 8.0, False],
        ],
    )
    table = open_table(path)
    assert (table.format, table.encoding, table.delimiter) == ("xlsx", None, None)
    assert table.headers == ["Họ tên", "SĐT", "Ngày đăng ký", "Ngày sinh", "Điểm", "Đồng ý"]
    first, second = table.rows()
    assert first == RawRow(
        2,
        {
            "Họ tên": "Nguyễn Văn Anh",
            "SĐT": "901234567",
            "Ngày đăng ký": "2024-03-05 10:21:33",
            "Ngày sinh": "1990-01-02",
            "Điểm": "7.5",
            "Đồng ý": "TRUE",
        },
        None,
    )
    assert second.values["SĐT"] == "0912345678"
    assert second.values["Ngày đăng ký"] == ""
    assert second.values["Điểm"] == "8"


def test_xlsx_title_row_blank_rows_and_values_beyond_the_header(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "leads.xlsx",
        [
            ["Danh sách khách hàng"],
            [],
            ["Họ tên", "Email"],
            ["An", "an@x.vn"],
            [],
            ["Bình", "b@x.vn", "lạc cột"],
            ["Cường"],
        ],
    )
    table = open_table(path)
    assert table.header_line == 3
    rows = list(table.rows())
    assert [r.line for r in rows] == [4, 6, 7]
    assert rows[1].error is not None
    assert "named columns" in rows[1].error
    assert rows[2] == RawRow(7, {"Họ tên": "Cường", "Email": ""}, None)


def test_xlsx_resume_and_progress(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "big.xlsx", [["name", "phone"], *([f"P{i}", 900000000 + i] for i in range(3000))]
    )
    table = open_table(path)
    resumed = table.rows(start_after_line=2500)
    first = next(resumed)
    assert first == RawRow(2501, {"name": "P2499", "phone": "900002499"}, None)
    assert 0 < table.byte_progress()[0] <= path.stat().st_size
    assert sum(1 for _ in resumed) == 500
    assert table.byte_progress() == (path.stat().st_size, path.stat().st_size)


def test_xlsx_reads_the_named_sheet_or_refuses_with_the_names(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "two.xlsx", [["email"], ["a@x.vn"]], sheets=("Tháng 1", "Tháng 2"))
    assert open_table(path, sheet="Tháng 2").sheet == "Tháng 2"
    with pytest.raises(FileNotReadable, match="Tháng 1, Tháng 2"):
        open_table(path, sheet="Tháng 3")


def test_a_zip_that_is_not_a_workbook_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "fake.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    with pytest.raises(FileNotReadable, match=r"not a readable \.xlsx"):
        open_table(path)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (901234567.0, "901234567"),
        (84901234567, "84901234567"),
        (0.1 + 0.2, "0.3"),
        (datetime(2024, 3, 5), "2024-03-05"),
        (datetime(2024, 3, 5, 8, 0, 0, 123), "2024-03-05 08:00:00"),
        (False, "FALSE"),
    ],
)
def test_cell_text(value: object, text: str) -> None:
    assert cell_text(value) == text
