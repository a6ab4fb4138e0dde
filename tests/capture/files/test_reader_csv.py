from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from pheu.capture.files import FileNotReadable, RawRow, open_table
from tests.capture.files.ugly import UTF8_BOM, UTF16_LE_BOM, write_rows

HEADER = ["Họ và tên", "Email", "Số điện thoại", "Ghi chú"]
PEOPLE = [
    ["Nguyễn Văn Anh", "anh@congty.vn", "0901234567", "Quan tâm gói Pro"],
    ["Trần Thị Bích Phượng", "phuong@gmail.com", "0912345678", ""],
    ["Đặng Hữu Quỳnh", "quynh@x.vn", "0987654321", "Gọi lại sau 5h"],
]


def values(row: RawRow) -> list[str]:
    return list(row.values.values())


def test_utf8_with_bom_and_commas(tmp_path: Path) -> None:
    path = write_rows(tmp_path / "a.csv", [HEADER, *PEOPLE], delimiter=",", encoding="utf-8", bom=UTF8_BOM)
    table = open_table(path)
    assert (table.format, table.encoding, table.delimiter) == ("csv", "utf-8", ",")
    assert table.headers == HEADER
    rows = list(table.rows())
    assert [r.line for r in rows] == [2, 3, 4]
    assert [values(r) for r in rows] == PEOPLE
    assert all(r.error is None for r in rows)


def test_utf16_le_with_bom_and_tabs_as_excel_unicode_text(tmp_path: Path) -> None:
    path = write_rows(
        tmp_path / "a.txt", [HEADER, *PEOPLE], delimiter="\t", encoding="utf-16-le", bom=UTF16_LE_BOM
    )
    table = open_table(path)
    assert (table.encoding, table.delimiter) == ("utf-16-le", "\t")
    assert table.headers == HEADER
    assert [values(r) for r in table.rows()] == PEOPLE


def test_windows_1258_with_semicolons_decodes_to_the_nfc_names(tmp_path: Path) -> None:
    path = write_rows(tmp_path / "a.csv", [HEADER, *PEOPLE], delimiter=";", encoding="cp1258")
    assert "Nguyễn".encode() not in path.read_bytes()
    table = open_table(path)
    assert (table.encoding, table.delimiter) == ("cp1258", ";")
    assert table.headers == HEADER
    rows = list(table.rows())
    assert [values(r) for r in rows] == PEOPLE
    assert all(unicodedata.is_normalized("NFC", r.values["Họ và tên"]) for r in rows)


def test_quoted_values_keep_their_newlines_and_delimiters_and_count_as_one_row(tmp_path: Path) -> None:
    rows = [
        HEADER,
        ["Lê Văn Tám", "tam@x.vn", "0903", 'Địa chỉ:\r\n12 Lê Lợi, Q.1\r\nnói "gấp"'],
        ["Phạm Minh", "minh@x.vn", "0904", "a,b,c"],
    ]
    path = write_rows(tmp_path / "a.csv", rows, delimiter=",", encoding="utf-8")
    read = list(open_table(path).rows())
    assert [r.line for r in read] == [2, 3]
    assert read[0].values["Ghi chú"] == 'Địa chỉ:\r\n12 Lê Lợi, Q.1\r\nnói "gấp"'
    assert read[1].values["Ghi chú"] == "a,b,c"


def test_a_row_with_too_many_values_is_yielded_with_an_error_and_reading_goes_on(tmp_path: Path) -> None:
    rows = [HEADER, PEOPLE[0], ["Lê, Văn", "le@x.vn", "0905", "ghi chú", "thừa"], PEOPLE[1]]
    path = write_rows(tmp_path / "a.csv", rows, delimiter=",", encoding="utf-8")
    path.write_text(path.read_text(encoding="utf-8").replace('"Lê, Văn"', "Lê, Văn"), encoding="utf-8")
    read = list(open_table(path).rows())
    assert [r.line for r in read] == [2, 3, 4]
    assert read[1].error is not None
    assert "6 values" in read[1].error
    assert "4 columns" in read[1].error
    assert read[0].error is None
    assert read[2].error is None
    assert values(read[2]) == PEOPLE[1]


def test_missing_trailing_values_and_trailing_empty_cells_are_not_errors(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("name,email,phone\r\nAn,an@x.vn\r\nBình,b@x.vn,0902,,\r\n", encoding="utf-8")
    read = list(open_table(path).rows())
    assert read[0] == RawRow(2, {"name": "An", "email": "an@x.vn", "phone": ""}, None)
    assert read[1] == RawRow(3, {"name": "Bình", "email": "b@x.vn", "phone": "0902"}, None)


def test_undecodable_bytes_flag_only_their_row(tmp_path: Path) -> None:
    good = "".join(f"Người {i},n{i}@x.vn\r\n" for i in range(4000)).encode()  # beyond the sniffed sample
    path = tmp_path / "a.csv"
    path.write_bytes(b"name,email\r\n" + good + b"Bad \xff\xfe name,bad@x.vn\r\nLast,last@x.vn\r\n")
    table = open_table(path)
    assert table.encoding == "utf-8"
    rows = list(table.rows())
    bad, last = rows[-2], rows[-1]
    assert bad.error is not None
    assert "not valid text" in bad.error
    assert bad.line == 4002
    assert last == RawRow(4003, {"name": "Last", "email": "last@x.vn"}, None)
    assert sum(1 for r in rows if r.error) == 1


def test_blank_rows_and_rows_of_empty_cells_are_skipped_but_counted(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("name,email\r\nAn,an@x.vn\r\n\r\n,\r\nBình,b@x.vn\r\n", encoding="utf-8")
    assert [r.line for r in open_table(path).rows()] == [2, 5]


def test_a_title_row_above_the_header_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(
        "DANH SÁCH KHÁCH HÀNG THÁNG 3,,\r\n,,\r\nHọ tên,SĐT,Email\r\nAn,0901,an@x.vn\r\n", encoding="utf-8"
    )
    table = open_table(path)
    assert table.header_line == 3
    assert table.headers == ["Họ tên", "SĐT", "Email"]
    assert list(table.rows()) == [RawRow(4, {"Họ tên": "An", "SĐT": "0901", "Email": "an@x.vn"}, None)]


def test_excel_sep_line_sets_the_delimiter_and_is_not_a_row(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("sep=;\r\nname;note\r\nAn;a,b\r\n", encoding="utf-8")
    table = open_table(path)
    assert (table.delimiter, table.headers) == (";", ["name", "note"])
    assert list(table.rows()) == [RawRow(2, {"name": "An", "note": "a,b"}, None)]


def test_headers_are_tidied_named_and_made_unique(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(" Email ,,email,Số  điện\nthoại,,\r\na,b,c,d\r\n", encoding="utf-8")
    path.write_text('\ufeff Email ,,email,"Số  điện\nthoại",,\r\na,b,c,d\r\n', encoding="utf-8")
    assert open_table(path).headers == ["Email", "Column B", "email (2)", "Số điện thoại"]


def test_resume_after_a_line_continues_with_the_next_row(tmp_path: Path) -> None:
    rows = [["name", "n"], *([f"P{i}", str(i)] for i in range(2, 102))]
    path = write_rows(tmp_path / "a.csv", rows, delimiter=",", encoding="utf-8")
    resumed = list(open_table(path).rows(start_after_line=57))
    assert resumed[0] == RawRow(58, {"name": "P58", "n": "58"}, None)
    assert resumed[-1].line == 101
    assert len(resumed) == 44


def test_byte_progress_moves_with_the_rows_and_ends_at_the_file_size(tmp_path: Path) -> None:
    rows = [["name", "email"], *([f"Người {i}", f"p{i}@x.vn"] for i in range(20000))]
    path = write_rows(tmp_path / "a.csv", rows, delimiter=",", encoding="utf-8")
    table = open_table(path)
    size = path.stat().st_size
    assert table.byte_progress() == (0, size)
    seen = []
    for row in table.rows():
        if row.line % 2000 == 0:
            seen.append(table.byte_progress()[0])
    assert seen == sorted(seen)
    assert 0 < seen[0] < seen[-1] <= size
    assert table.byte_progress() == (size, size)


def test_legacy_xls_is_refused_with_advice(tmp_path: Path) -> None:
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    with pytest.raises(FileNotReadable, match=r"\.xlsx"):
        open_table(path)


def test_an_empty_file_has_no_headers_and_no_rows(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    table = open_table(path)
    assert table.headers == []
    assert list(table.rows()) == []


def test_an_unclosed_quote_yields_an_error_row_and_reading_recovers(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    lines = "".join(f"P{i},x\r\n" for i in range(30000))
    path.write_text(f'name,note\r\nAn,"never closed\r\n{lines}', encoding="utf-8")
    rows = list(open_table(path).rows())
    assert rows[0].line == 2
    assert rows[0].error is not None
    assert "double quote" in rows[0].error
    assert rows[-1].values == {"name": "P29999", "note": "x"}
    assert all(r.error is None for r in rows[1:])
