"""An import read and cleaned in a worker process lands exactly what the in-process reader lands, resumes
after a crash without duplicates, and reports a failure of the worker instead of hanging."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from pheu.capture import imports
from pheu.capture.files import open_table
from pheu.capture.import_pipeline import ReadPlan, clean_chunks, clean_chunks_in_worker
from pheu.capture.prepare import Lookups
from pheu.db import unit_of_work
from pheu.store import Event, Import, Lead, RejectedRecord
from tests.capture.imports.test_imports import ROWS, write
from tests.conftest import NOW
from tests.factories import add_channels

LOOKUPS = Lookups(channels={"seo": 1, "import": 2}, campaigns={"he-2026": (7, 1)}, limits={"full_name": 200})


def plan_for(path: Path, chunk: int = 2, start_after: int = 0) -> ReadPlan:
    table = open_table(path)
    mapping = imports.plan_mapping(table, None)
    return ReadPlan(path, start_after, mapping, "import:1", LOOKUPS, "seo", False, chunk)


def test_the_worker_hands_over_the_same_cleaned_chunks(tmp_path: Path) -> None:
    rows = [*ROWS, ["Phạm Thu", "0903 000 111", "thu@@gmail", "Huế", ""], ["", "", "", "", ""]]
    rows.append(['"broken', "0903", "x", "y", "z", "too many"])
    path = write(tmp_path / "khach.csv", rows)
    here = list(clean_chunks(plan_for(path)))
    there = list(clean_chunks_in_worker(plan_for(path)))
    assert there == here
    assert sum(c.rows_read for c in here) == len(rows) - 2  # header and the blank row are not data
    assert [c.last_line for c in here] == [3, 5, 7, 9]
    resumed = list(clean_chunks_in_worker(plan_for(path, start_after=5)))
    assert resumed == here[2:]


def test_a_worker_failure_is_raised_in_the_importer(tmp_path: Path) -> None:
    path = write(tmp_path / "khach.csv", ROWS)
    plan = plan_for(path)
    path.unlink()
    with pytest.raises(FileNotFoundError):
        list(clean_chunks_in_worker(plan))


def test_a_crashed_worker_import_resumes_without_duplicates(db_url: str, tmp_path: Path) -> None:
    add_channels(db_url)
    path = write(tmp_path / "khach.csv", ROWS)
    import_id = imports.start(db_url, path, imports.ImportOptions(), NOW)

    def crash(done: int, total: int, summary: imports.ImportSummary) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        imports.run(db_url, import_id, path, clock=lambda: NOW, progress=crash, chunk=2, worker=True)
    with unit_of_work(db_url) as s:
        row = s.get(Import, import_id)
        assert row is not None
        assert (row.status, row.last_line, row.rows_read) == ("failed", 3, 2)
    summary = imports.run(db_url, import_id, path, clock=lambda: NOW, chunk=2, worker=True)
    assert (summary.rows_read, summary.imported, summary.merged, summary.rejected) == (5, 3, 1, 1)
    with unit_of_work(db_url) as s:
        assert s.scalar(select(func.count()).select_from(Lead)) == 3
        assert s.scalar(select(func.count()).select_from(Event)) == 4
        assert s.scalar(select(func.count()).select_from(RejectedRecord)) == 1
        done = s.get(Import, import_id)
        assert done is not None and done.status == "done"
