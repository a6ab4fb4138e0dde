"""A huge file is read in constant memory and fast enough that the database, not the reader, sets the pace."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest

from pheu.capture.files import open_table, suggest_mapping, to_incoming
from tests.capture.files.ugly import UTF8_BOM, UTF16_LE_BOM, write_rows

ROWS = 200_000
NAMES = ("Nguyễn Văn Anh", "Trần Thị Bích Phượng", "Lê Hoàng Cường", "Phạm Minh Đức", "Đặng Thu Hà")
NOTE = '"Gọi lại, sau 5h"'  # quoted: it holds the delimiter
HEADER = ["Họ và tên", "Email", "SĐT", "Công ty", "Chức vụ", "Tỉnh/Thành phố", "Ghi chú", "Nguồn"]


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "leads.csv"
    with path.open("wb") as out:
        out.write(UTF8_BOM + (",".join(HEADER) + "\r\n").encode())
        for start in range(0, ROWS, 10_000):
            chunk = "".join(
                f"{NAMES[i % 5]},user{i}@example.vn,09{i:08d},Công ty TNHH Minh Phát,Giám đốc,Hà Nội,"
                f"{NOTE if i % 7 == 0 else ''},facebook\r\n"
                for i in range(start, start + 10_000)
            )
            out.write(chunk.encode())
    return path


def test_a_200k_row_csv_streams_fast(big_csv: Path) -> None:
    table = open_table(big_csv)
    started = time.perf_counter()
    count = sum(1 for _ in table.rows())
    elapsed = time.perf_counter() - started
    rate = count / elapsed
    print(f"\nreader: {count} rows in {elapsed:.2f}s = {rate:,.0f} rows/s")
    assert count == ROWS
    assert rate > 50_000  # ~190k rows/s on a developer laptop; the bound leaves room for slow CI machines


def test_a_200k_row_csv_streams_in_constant_memory(big_csv: Path) -> None:
    table = open_table(big_csv)
    tracemalloc.start()
    try:
        last = None
        for row in table.rows():
            last = row
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    print(f"\nreader: peak {peak / 2**20:.2f} MiB for a {big_csv.stat().st_size / 2**20:.0f} MiB file")
    assert last is not None
    assert last.line == ROWS + 1
    assert peak < 50 * 2**20


def test_mapping_a_200k_row_csv_keeps_up(big_csv: Path) -> None:
    table = open_table(big_csv)
    mapping = suggest_mapping(table.headers)
    started = time.perf_counter()
    count = sum(1 for row in table.rows() if to_incoming(row, mapping, "import").fields)
    rate = count / (time.perf_counter() - started)
    print(f"\nreader + mapping: {rate:,.0f} rows/s")
    assert count == ROWS


def test_a_facebook_download_in_utf16_with_tabs_reads_end_to_end(tmp_path: Path) -> None:
    header = ["id", "created_time", "ad_id", "ad_name", "adset_name", "campaign_name", "form_name",
              "is_organic", "platform", "full_name", "phone_number", "email", "bạn_muốn_học_lúc_nào?"]  # fmt: skip
    row = ["l:987654321", "2024-11-20T21:05:00+07:00", "ag:1", "Video 1", "HN 25-34", "IELTS T11",
           "Form tư vấn", "false", "ig", "Vũ Thị Hồng", "p:+84987654321", "hong@gmail.com",
           "buổi_tối"]  # fmt: skip
    path = write_rows(
        tmp_path / "leads.csv", [header, row], delimiter="\t", encoding="utf-16-le", bom=UTF16_LE_BOM
    )
    table = open_table(path)
    mapping = suggest_mapping(table.headers)
    (raw,) = table.rows()
    lead = to_incoming(raw, mapping, "facebook_csv")
    assert mapping.detected_source == "facebook"
    assert lead.external_id == "987654321"
    assert lead.fields["full_name"] == "Vũ Thị Hồng"
    assert lead.fields["phone"] == "+84987654321"
    assert lead.fields["lead_magnet"] == "Form tư vấn"
    assert lead.answers["bạn_muốn_học_lúc_nào?"] == "buổi_tối"
