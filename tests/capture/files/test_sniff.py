from __future__ import annotations

import codecs

import pytest

from pheu.capture.files.sniff import Encoding, detect_delimiter, detect_encoding, separator_line
from tests.capture.files.ugly import cp1258_bytes

VIETNAMESE = "Họ và tên,SĐT\r\nNguyễn Văn Anh,0901234567\r\nTrần Thị Bích Phượng,0912345678\r\n"


def test_utf8_with_bom_is_recognised_by_its_mark() -> None:
    assert detect_encoding(codecs.BOM_UTF8 + VIETNAMESE.encode()) == Encoding("utf-8", bom=True)


def test_utf8_without_bom_is_recognised_by_a_strict_decode() -> None:
    assert detect_encoding(VIETNAMESE.encode(), complete=True) == Encoding("utf-8")


def test_a_sample_cut_inside_a_utf8_character_is_still_utf8() -> None:
    data = VIETNAMESE.encode()
    cut = data.index("ễ".encode()) + 1
    assert detect_encoding(data[:cut]) == Encoding("utf-8")


@pytest.mark.parametrize(
    ("bom", "codec"), [(codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")]
)
def test_utf16_with_bom(bom: bytes, codec: str) -> None:
    found = detect_encoding(bom + VIETNAMESE.encode(codec))
    assert found == Encoding(codec, bom=True)
    assert found.bom_length == 2


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_recognised_by_its_nul_bytes(codec: str) -> None:
    assert detect_encoding(VIETNAMESE.encode(codec)) == Encoding(codec)


def test_vietnamese_windows_1258_is_recognised_by_tone_marks_after_vowels() -> None:
    assert detect_encoding(cp1258_bytes(VIETNAMESE), complete=True) == Encoding("cp1258")


def test_western_ansi_text_falls_back_to_windows_1252() -> None:
    text = "Name;City\r\nFrançois Müller;Köln\r\nJosé Peña;São Paulo\r\nNiccolò Rossi;Forlì\r\n"
    assert detect_encoding(text.encode("cp1252"), complete=True) == Encoding("cp1252")


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_each_delimiter_excel_writes_is_detected(delimiter: str) -> None:
    rows = [["Họ tên", "Email", "SĐT"], ["Nguyễn An", "an@x.vn", "0901"], ["Lê Bình", "b@x.vn", "0902"]]
    sample = "\r\n".join(delimiter.join(r) for r in rows) + "\r\n"
    assert detect_delimiter(sample) == delimiter


def test_commas_inside_values_do_not_outvote_the_semicolon() -> None:
    sample = (
        "Họ tên;Ghi chú;SĐT\r\n"
        "An;Gọi lại, sau 5h, thứ 2;0901\r\n"
        "Bình;Đã gửi báo giá, chờ;0902\r\n"
        "Cường;;0903\r\n"
    )
    assert detect_delimiter(sample) == ";"


def test_quoted_delimiters_and_newlines_do_not_confuse_detection() -> None:
    sample = 'name,notes,phone\r\n"Lê, An","line one\r\nline two; three",0901\r\nBình,ok,0902\r\n'
    assert detect_delimiter(sample) == ","


def test_a_single_column_file_defaults_to_comma() -> None:
    assert detect_delimiter("email\r\na@x.vn\r\nb@x.vn\r\n") == ","


def test_excel_sep_line_names_the_delimiter() -> None:
    assert separator_line("sep=;") == ";"
    assert separator_line("SEP=|\r") == "|"
    assert separator_line("separator") is None
