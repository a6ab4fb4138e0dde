"""What the import's reader process hands to the writer survives the trip between processes unchanged,
whatever the rows hold (the chunk crosses as marshal bytes of built-in types, not as its dataclasses)."""

from __future__ import annotations

import csv
from pathlib import Path
from tempfile import TemporaryDirectory

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pheu.capture import imports
from pheu.capture.files import open_table
from pheu.capture.import_pipeline import CleanChunk, ReadPlan, clean_chunks
from pheu.capture.prepare import Lookups

HEADER = [
    "Họ và tên",
    "Số điện thoại",
    "Email",
    "Tỉnh/Thành phố",
    "Công ty",
    "utm_campaign",
    "Ghi chú",
    "Mã KH",
    "Ngày tạo",
]
LOOKUPS = Lookups(channels={"seo": 1}, campaigns={"he-2026": (7, 1)}, limits={"full_name": 30, "company": 12})

names = st.sampled_from(["Nguyễn Văn Anh", "Trần Thị Bích", "", "-", "Lê  Văn\tCường", "x" * 40, "Đỗ Đức"])
phones = st.one_of(
    st.sampled_from(["0901 234 567", "+84 912.345.678", "", "12", "0000000000", "0162 345 6789"]),
    st.from_regex(r"0[35789][0-9]{8}", fullmatch=True),
)
emails = st.one_of(
    st.sampled_from(["anh@gmail.com", "anh@gmial.com", "info@congty.vn", "test@test.com", "a@@b", ""]),
    st.emails().map(str),
)
cells = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=15)
rows = st.lists(
    st.tuples(
        names,
        phones,
        emails,
        cells,
        cells,
        st.sampled_from(["", "he-2026", "khac"]),
        cells,
        st.sampled_from(["", "KH-1", "KH-2"]),
        st.sampled_from(["", "2026-11-02 08:30", "2026-11-02T08:30:00+07:00", "hôm qua"]),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows, st.integers(min_value=1, max_value=7))
def test_a_chunk_crosses_processes_unchanged(data: list[tuple[str, ...]], size: int) -> None:
    with TemporaryDirectory() as tmp:
        path = Path(tmp) / "khach.csv"
        with path.open("w", newline="", encoding="utf-8-sig") as handle:
            csv.writer(handle, delimiter=";").writerows([HEADER, *data])
        table = open_table(path)
        plan = ReadPlan(path, 0, imports.plan_mapping(table, None), "import:1", LOOKUPS, "seo", False, size)
        chunks = list(clean_chunks(plan))
    for chunk in chunks:
        back = CleanChunk.decode(chunk.encode())
        assert back == chunk
        for before, after in zip(chunk.cleaned, back.cleaned, strict=True):
            assert type(after) is type(before)
            if hasattr(after, "values"):
                assert after.keys == before.keys
                assert after.flags is after.values["flags"]  # still one list, as prepare made it


def test_consents_and_mixed_rows_cross_unchanged() -> None:
    """A CSV row never carries consents, but a chunk is any batch of submissions: those that do keep them."""
    from datetime import UTC, datetime

    from pheu.capture.prepare import prepare
    from pheu.capture.record import ConsentGiven, IncomingLead

    records = [
        IncomingLead({"email": "an@gmail.com"}, "form:a", "x-1", datetime(2026, 11, 2, 1, tzinfo=UTC)),
        IncomingLead({"email": "bad@"}, "form:a", consents=(ConsentGiven("zalo", True, "Đồng ý"),)),
        IncomingLead(
            {"phone": "0901234567"},
            "form:b",
            consents=(ConsentGiven("email_marketing", False),),
            answers={"Câu hỏi": "Có"},
        ),
    ]
    chunk = CleanChunk(3, 3, (10, 20), [(4, {"a": "b"}, "too many values")], records, [1, 2, 3])
    chunk.cleaned = [prepare(r, LOOKUPS, default_channel="seo", bought_list=False) for r in records]
    assert CleanChunk.decode(chunk.encode()) == chunk
