"""The wizard's service on SQLite and PostgreSQL: previews that write nothing, runs that resume, uploads that
only their owner can reach."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import select

from pheu.capture import imports
from pheu.capture.files.mapping import TARGETS
from pheu.db import unit_of_work
from pheu.services import import_jobs, import_preview, uploads
from pheu.services.errors import Forbidden, Invalid, NotFound
from pheu.services.import_preview import Choices, ChoicesInvalid, Problem
from pheu.store import Import, Lead
from pheu.web.pages_import import TARGET_GROUPS, TARGET_LABELS
from tests.capture.wizard.conftest import ROWS, Shop, build_shop, counts, vietnamese_csv
from tests.conftest import NOW
from tests.factories import add_lead


@pytest.fixture
def shop(db_url: str) -> Shop:
    return build_shop(db_url)


def upload(shop: Shop, tmp_path: Path, content: bytes, name: str = "khach.csv") -> uploads.Upload:
    return uploads.save_upload(shop.marketer, io.BytesIO(content), name, tmp_path / "uploads", NOW)


def suggested(saved: uploads.Upload, **changes: object) -> Choices:
    base = Choices.suggested(import_preview.describe(saved))
    return Choices(**{**{f: getattr(base, f) for f in base.__dataclass_fields__}, **changes})  # type: ignore[arg-type]


def test_the_preview_knows_who_is_already_here_and_writes_nothing(shop: Shop, tmp_path: Path) -> None:
    add_lead(shop.url, shop.admin, NOW, full_name="Nguyễn Văn Anh", phone="0901234567")
    saved = upload(shop, tmp_path, vietnamese_csv())
    result = import_preview.preview(shop.url, shop.marketer, saved, suggested(saved, channel="seo"))
    by_line = {row.line: row for row in result.rows}
    assert (by_line[2].status, by_line[2].merges_with) == ("merge", None)  # a lead already in Phễu
    assert by_line[3].status == "new" and by_line[3].phone == "+84912345678"
    assert by_line[5].status == "rejected" and {r["field"] for r in by_line[5].reasons} == {"email", "phone"}
    assert (result.count("new"), result.count("merge"), result.count("rejected")) == (2, 2, 1)
    assert counts(shop.url) == (1, 0, 0)


def test_a_run_lands_every_row_with_the_persons_name_order(shop: Shop, tmp_path: Path) -> None:
    rows = [
        ["Họ", "Tên", "Email"],
        ["Nguyễn", "Văn Anh", "anh@congty.vn"],
        ["Trần", "Bình", "binh@congty.vn"],
    ]
    saved = upload(shop, tmp_path, vietnamese_csv(rows))
    assert Choices.suggested(import_preview.describe(saved)).family_name_first  # the Vietnamese guess
    import_id = import_jobs.start(
        shop.url, shop.marketer, saved, suggested(saved, family_name_first=False), NOW
    )
    assert import_jobs.wait(import_id, timeout=30)
    with unit_of_work(shop.url) as s:
        record = s.get(Import, import_id)
        assert record is not None
        assert (record.status, record.rows_read, record.imported, record.created_by) == (
            "done", 2, 2, shop.marketer.user_id,
        )  # fmt: skip
        assert set(s.scalars(select(Lead.full_name))) == {"Văn Anh Nguyễn", "Bình Trần"}
    assert not saved.folder.exists()


def test_a_failed_import_resumes_when_the_same_file_is_uploaded_again(shop: Shop, tmp_path: Path) -> None:
    content = vietnamese_csv()
    path = tmp_path / "khach.csv"
    path.write_bytes(content)
    import_id = imports.start(shop.url, path, imports.ImportOptions(channel="seo"), NOW)

    def crash(done: int, total: int, summary: imports.ImportSummary) -> None:
        raise RuntimeError("the disk went away")

    with pytest.raises(RuntimeError):
        imports.run(shop.url, import_id, path, progress=crash, chunk=2)
    again = upload(shop, tmp_path, content)
    assert (
        import_jobs.start(shop.url, shop.marketer, again, suggested(again, channel="seo"), NOW) == import_id
    )
    assert import_jobs.wait(import_id, timeout=30)
    with unit_of_work(shop.url) as s:
        record = s.get(Import, import_id)
        assert record is not None
        assert (record.status, record.error, record.imported, record.merged, record.rejected) == (
            "done", None, 3, 1, 1,
        )  # fmt: skip
    assert counts(shop.url) == (3, 1, 1)


def test_choices_that_cannot_run_say_what_to_fix(shop: Shop, tmp_path: Path) -> None:
    saved = upload(shop, tmp_path, vietnamese_csv())
    cases = {
        Problem("provenance", "required"): suggested(saved, bought_list=True),
        Problem("channel", "unknown"): suggested(saved, channel="carrier_pigeon"),
        Problem("mapping", "no_contact"): suggested(saved, targets=dict.fromkeys(ROWS[0])),
        Problem("mapping", "unknown"): suggested(saved, targets={"Họ và tên": "shoe_size"}),
    }
    for problem, choices in cases.items():
        with pytest.raises(ChoicesInvalid) as refused:
            import_preview.preview(shop.url, shop.marketer, saved, choices)
        assert problem in refused.value.problems
    assert counts(shop.url) == (0, 0, 0)


def test_uploads_belong_to_whoever_sent_them(shop: Shop, tmp_path: Path) -> None:
    saved = upload(shop, tmp_path, vietnamese_csv())
    root = tmp_path / "uploads"
    assert uploads.find_upload(shop.marketer, root, saved.token).path.read_bytes() == vietnamese_csv()
    with pytest.raises(NotFound):
        uploads.find_upload(shop.admin, root, saved.token)
    with pytest.raises(NotFound):
        uploads.find_upload(shop.marketer, root, "../" + saved.token)
    with pytest.raises(Forbidden):
        uploads.save_upload(shop.rep, io.BytesIO(b"a;b\n1;2\n"), "x.csv", root, NOW)


def test_a_large_upload_is_refused_without_keeping_anything(shop: Shop, tmp_path: Path) -> None:
    root = tmp_path / "uploads"
    with pytest.raises(Invalid) as refused:
        uploads.save_upload(shop.marketer, io.BytesIO(vietnamese_csv() * 50), "to.csv", root, NOW, limit=1000)
    assert refused.value.code == "upload_too_large"
    assert list(root.iterdir()) == []


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("khách hàng.csv", "khách hàng.csv"),
        ("C:\\Users\\An\\Desktop\\Danh sách.XLSX", "Danh sách.xlsx"),
        ("../../etc/passwd.csv", "passwd.csv"),
        ('bad<>:"|?*name.csv', "badname.csv"),
        (".csv", "upload.csv"),
        ("upload.json", "file.json"),
    ],
)
def test_uploaded_file_names_are_made_safe(sent: str, kept: str) -> None:
    assert uploads.safe_filename(sent) == kept


def test_every_target_can_be_chosen_and_has_a_label() -> None:
    offered = {name for _, names in TARGET_GROUPS for name in names}
    assert offered == TARGETS
    assert all(name in TARGET_LABELS for name in offered)
