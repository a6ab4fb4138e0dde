"""Streaming rows out of a CSV or .xlsx file, one at a time, so an import of millions of rows runs in
constant memory and can report how far it has got and resume where a crashed run stopped.

Row numbers are the ones a person sees when opening the file in Excel: the first row is 1, a quoted value
spanning several lines is still one row, blank rows count, and a ``sep=;`` line (which Excel hides) does not.
A row that cannot be read is yielded anyway with ``error`` set, so it can be kept and shown as rejected.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import IO, Any, Literal, NamedTuple

from pheu.capture.files.sniff import SAMPLE_BYTES, detect_delimiter, detect_encoding, separator_line

Format = Literal["csv", "xlsx"]

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
_HEADER_SCAN_ROWS = 20
_SPACES = re.compile(r"\s+")
_DELIMITER_NAMES = {",": "a comma", ";": "a semicolon", "\t": "a tab", "|": "a pipe"}


class FileNotReadable(ValueError):
    """The file is not a table this reader understands; the message says what the person can do."""


class RawRow(NamedTuple):
    """One row: ``values`` maps every header to its text ("" when empty); ``error`` says why it is unusable.

    A named tuple rather than a dataclass because building it is most of the reader's per-row cost."""

    line: int
    values: dict[str, str]
    error: str | None = None


@dataclass(slots=True)
class Table:
    """An opened table. Reading happens in ``rows()``, which may be called again to start over or resume."""

    path: Path
    format: Format
    headers: list[str]
    header_line: int
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    size_bytes: int = 0
    _bom_length: int = 0
    _skip_sep_line: bool = False
    _source: IO[bytes] | None = field(default=None, repr=False)
    _bytes_read: int = 0

    def rows(self, start_after_line: int = 0) -> Iterator[RawRow]:
        """Yield the data rows below the header; with ``start_after_line=N`` only rows numbered above N.

        Blank rows (and rows of empty cells, which Excel writes for formatted cells) are skipped but
        counted. Skipped rows are parsed, not converted, so resuming deep into a file is quick.
        """
        skip = max(start_after_line, self.header_line)
        self._bytes_read = 0
        if not self.headers:
            return iter(())
        if self.format == "xlsx":
            return self._xlsx_rows(skip)
        return self._csv_rows(skip)

    def byte_progress(self) -> tuple[int, int]:
        """(bytes read, file size) of the current ``rows()`` pass, for a progress bar on a huge file.

        For .xlsx it measures the compressed sheet as it streams out of the archive, so it is approximate.
        """
        if self._source is not None and not self._source.closed:
            self._bytes_read = max(self._bytes_read, self._source.tell())
        return (min(self._bytes_read, self.size_bytes), self.size_bytes)

    def _finished(self) -> None:
        self._source = None
        self._bytes_read = self.size_bytes

    def _csv_rows(self, skip: int) -> Iterator[RawRow]:
        assert self.encoding is not None
        assert self.delimiter is not None
        headers, width, delimiter = self.headers, len(self.headers), self.delimiter
        with self.path.open("rb") as raw:
            self._source = raw
            raw.seek(self._bom_length)
            # Undecodable bytes become U+FFFD, flagging their row instead of stopping the whole import.
            text = io.TextIOWrapper(raw, encoding=self.encoding, errors="replace", newline="")
            if self._skip_sep_line:
                text.readline()
            reader = csv.reader(text, delimiter=delimiter)
            line = 0
            while True:
                try:
                    for values in reader:
                        line += 1
                        if line > skip and (row := _shape(line, values, headers, width, delimiter)):
                            yield row
                    break
                except csv.Error as exc:  # the reader starts afresh on the next line
                    line += 1
                    if line > skip:
                        yield RawRow(line, {}, _unreadable(exc))
        self._finished()

    def _xlsx_rows(self, skip: int) -> Iterator[RawRow]:
        headers, width = self.headers, len(self.headers)
        with self.path.open("rb") as raw:
            self._source = raw
            sheet_rows = _sheet_rows(raw, self.sheet)
            try:
                for line, cells in enumerate(sheet_rows, start=1):
                    if line > skip and (
                        row := _shape(line, [cell_text(c) for c in cells], headers, width, None)
                    ):
                        yield row
            finally:
                sheet_rows.close()  # closes the workbook even when the caller stops early
        self._finished()


def open_table(path: str | Path, *, sheet: str | None = None) -> Table:
    """Open a CSV (any of the encodings and delimiters Excel writes) or .xlsx file and read its header row.

    The format is decided by the file's first bytes, not its name. An .xlsx is read from ``sheet`` or its
    first worksheet. A title row or blank rows above the header are skipped. Raises ``FileNotReadable`` for
    legacy .xls and other binary files, and ``OSError`` when the file cannot be opened.
    """
    path = Path(path)
    size = path.stat().st_size
    with path.open("rb") as raw:
        sample = raw.read(SAMPLE_BYTES)
    if sample.startswith(_ZIP_MAGIC):
        return _open_xlsx(path, size, sheet)
    if sample.startswith(_OLE_MAGIC):
        raise FileNotReadable(
            "This is an old Excel 97-2003 (.xls) file. Open it in Excel and save it as .xlsx or CSV UTF-8."
        )
    return _open_csv(path, size, sample)


def _open_csv(path: Path, size: int, sample: bytes) -> Table:
    complete = len(sample) < SAMPLE_BYTES
    encoding = detect_encoding(sample, complete=complete)
    text = sample[encoding.bom_length :].decode(encoding.name, errors="replace")
    first_line = text.split("\n", 1)[0]
    if text.count("\x00") > 8 + len(text) // 100:  # decoded text has no NULs; a binary file has many
        raise FileNotReadable("This file is not text. Save it from Excel as .xlsx or CSV UTF-8.")
    sep = separator_line(first_line)
    if sep is not None:
        text = text[len(first_line) + 1 :]
    delimiter = sep or detect_delimiter(text, complete=complete)
    records = _first_records(text, delimiter)
    header_index = header_row_index(records)
    return Table(
        path=path,
        format="csv",
        headers=clean_headers(records[header_index]) if records else [],
        header_line=header_index + 1,
        encoding=encoding.name,
        delimiter=delimiter,
        size_bytes=size,
        _bom_length=encoding.bom_length,
        _skip_sep_line=sep is not None,
    )


def _open_xlsx(path: Path, size: int, sheet: str | None) -> Table:
    records: list[list[str]] = []
    with path.open("rb") as raw:
        rows = _sheet_rows(raw, sheet)
        try:
            for cells in rows:
                records.append([cell_text(c) for c in cells])
                if len(records) >= _HEADER_SCAN_ROWS:
                    break
        finally:
            rows.close()
    header_index = header_row_index(records)
    return Table(
        path=path,
        format="xlsx",
        headers=clean_headers(records[header_index]) if records else [],
        header_line=header_index + 1,
        sheet=sheet,
        size_bytes=size,
    )


def _first_records(text: str, delimiter: str) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[list[str]] = []
    try:
        for record in reader:
            records.append(record)
            if len(records) >= _HEADER_SCAN_ROWS:
                break
    except csv.Error:
        pass
    return records


def _sheet_rows(raw: IO[bytes], sheet: str | None) -> Generator[tuple[Any, ...], None, None]:
    """Rows of cell values from row 1, gaps filled, ignoring the sheet's stated size (often wrong)."""
    from openpyxl import load_workbook  # type: ignore[import-untyped]  # heavy import, only for .xlsx

    try:
        workbook = load_workbook(raw, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged or foreign zip
        raise FileNotReadable(
            f"This file looks like a zip archive but is not a readable .xlsx workbook ({exc})."
        ) from exc
    try:
        if sheet is not None and sheet not in workbook.sheetnames:
            raise FileNotReadable(
                f"No sheet named '{sheet}'; the sheets are: {', '.join(workbook.sheetnames)}."
            )
        worksheet = workbook[sheet] if sheet is not None else workbook.worksheets[0]
        worksheet.reset_dimensions()
        yield from worksheet.iter_rows(min_row=1, min_col=1, values_only=True)
    finally:
        workbook.close()


def _shape(
    line: int, values: list[str], headers: list[str], width: int, delimiter: str | None
) -> RawRow | None:
    """The row's values by header, or None for a blank row. ``delimiter`` is None for a spreadsheet."""
    if not any(values):
        return None
    error = None
    if len(values) != width:
        if len(values) < width:  # trailing empty cells are often left out
            values = values + [""] * (width - len(values))
        else:
            if any(v.strip() for v in values[width:]):
                error = _too_many_values(len(values), width, delimiter)
            values = values[:width]
    joined = "".join(values)
    if not joined.isascii():
        if "\ufffd" in joined and error is None:
            error = "The row contains bytes that are not valid text in the file's encoding."
        if not unicodedata.is_normalized("NFC", joined):  # Windows-1258 and macOS write decomposed text
            values = [unicodedata.normalize("NFC", v) for v in values]
    return RawRow(line, dict(zip(headers, values)), error)  # noqa: B905 - lengths were made equal above


def _unreadable(exc: csv.Error) -> str:
    if "field limit" in str(exc):
        return (
            "A value here runs on for more than 131,072 characters: a double quote is probably never "
            "closed, and the rows after it up to the next readable one were taken into it."
        )
    return f"The row could not be read as CSV ({exc})."


def _too_many_values(count: int, width: int, delimiter: str | None) -> str:
    if delimiter is None:
        return f"The row has values beyond the {width} named columns; name those columns or clear them."
    return (
        f"The row has {count} values but the header has {width} columns; a value containing "
        f"{_DELIMITER_NAMES.get(delimiter, repr(delimiter))} must be in double quotes."
    )


def header_row_index(records: list[list[str]]) -> int:
    """Index of the header among the first records: the first with at least two named cells, skipping a
    title row ("Danh sách khách hàng") or blank rows that office files often carry above the table."""
    counts = [sum(1 for v in record if v.strip()) for record in records]
    if not counts:
        return 0
    needed = min(2, max(counts))
    return next(i for i, count in enumerate(counts) if count >= needed)


def clean_headers(cells: list[str]) -> list[str]:
    """Trimmed, NFC, single-spaced, unique names; an unnamed column becomes "Column C" as Excel labels it.
    Unnamed columns at the end of the header are dropped: Excel leaves them after formatted cells."""
    names = [_SPACES.sub(" ", unicodedata.normalize("NFC", c.replace("\ufeff", ""))).strip() for c in cells]
    while names and not names[-1]:
        names.pop()
    taken: set[str] = set()
    out: list[str] = []
    for number, name in enumerate(names, start=1):
        base = name or f"Column {column_letter(number)}"
        unique, copy = base, 1
        while unique.casefold() in taken:
            copy += 1
            unique = f"{base} ({copy})"
        taken.add(unique.casefold())
        out.append(unique)
    return out


def column_letter(number: int) -> str:
    """1 -> "A", 27 -> "AA", as Excel names columns."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def cell_text(value: object) -> str:
    """An Excel cell's value as the text a person typed: whole numbers without ".0" (a phone typed as a
    number keeps its digits, minus the leading 0 Excel dropped), other numbers to Excel's 15 significant
    digits, dates and times in ISO 8601 (a date alone when the time is midnight)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else format(value, ".15g")
    if isinstance(value, datetime):
        if value.time() == time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)
