"""Rejected records on SQLite and PostgreSQL: listed with their reasons, fixed through intake, discarded,
and exported as CSV that a spreadsheet cannot run."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from pheu.auth.roles import Principal, Role
from pheu.capture.intake import CaptureContext, capture_many
from pheu.capture.record import IncomingLead
from pheu.db import unit_of_work
from pheu.lifecycle import ActorType
from pheu.services import rejected
from pheu.services.errors import Conflict, Forbidden
from pheu.services.rejected import RejectedFilter
from pheu.store import Event, Import, Lead, RejectedRecord
from tests.conftest import NOW
from tests.factories import add_channels, add_user


@dataclass(frozen=True)
class Setup:
    admin: Principal
    rep: Principal
    from_import: int  # line 7 of import "hoi-cho.csv": a name and a mistyped email
    from_form: int  # a form submission with a formula where a name should be


@pytest.fixture
def setup(db_url: str) -> Setup:
    add_channels(db_url)
    admin = add_user(db_url, "admin@x.vn", Role.ADMIN, NOW)
    rep = add_user(db_url, "rep@x.vn", Role.SALES_REP, NOW)
    with unit_of_work(db_url) as s:
        upload = Import(filename="hoi-cho.csv", channel="seo", provenance="hội chợ", started_at=NOW)
        s.add(upload)
        s.flush()
        ctx = CaptureContext(event_type="import_row", actor_type=ActorType.IMPORT, actor_label="import",
                             import_id=upload.id)  # fmt: skip
        row = IncomingLead(fields={"full_name": "Phạm Thị Lan", "email": "lan@@gmail"}, source="import")
        first = capture_many(s, [row], ctx, NOW, lines=[7])[0]
        form = CaptureContext(event_type="form_submit", actor_type=ActorType.SYSTEM, actor_label="form")
        bad = IncomingLead(
            fields={"full_name": '=HYPERLINK("http://evil")', "company": "@SUM(1)"}, source="form"
        )
        second = capture_many(s, [bad], form, NOW)[0]
    assert first.rejected_id and second.rejected_id
    return Setup(admin, rep, first.rejected_id, second.rejected_id)


def test_rejected_records_are_listed_with_source_import_line_and_reasons(setup: Setup, db_url: str) -> None:
    with unit_of_work(db_url) as s:
        page = rejected.list_rejected(s, setup.admin, RejectedFilter())
        assert page.total == 2
        only_import = rejected.list_rejected(s, setup.admin, RejectedFilter(source="import"))
        assert [r.record.id for r in only_import.items] == [setup.from_import]
        row = only_import.items[0]
        assert (row.import_name, row.record.line, row.record.raw["email"]) == ("hoi-cho.csv", 7, "lan@@gmail")
        reason = row.record.reasons[0]
        assert reason["field"] == "email" and reason["message"] and reason["accepted"]
        assert rejected.sources(s, setup.admin) == ["form", "import"]
        assert [name for _, name in rejected.imports(s, setup.admin)] == ["hoi-cho.csv"]


def test_a_fixed_record_goes_through_intake_and_becomes_a_lead(setup: Setup, db_url: str) -> None:
    with unit_of_work(db_url) as s:
        still = rejected.fix(s, setup.admin, setup.from_import, {"email": "lan@gmai"}, NOW)
    assert still.status == "open" and still.reasons
    with unit_of_work(db_url) as s:
        assert s.scalar(select(func.count()).select_from(RejectedRecord)) == 2  # no copy left behind
        assert s.get(RejectedRecord, setup.from_import).raw["email"] == "lan@gmai"  # type: ignore[union-attr]
        done = rejected.fix(s, setup.admin, setup.from_import, {"email": "lan.pham@gmail.com"}, NOW)
    assert done.status == "fixed" and done.lead_id
    with unit_of_work(db_url) as s:
        record = s.get(RejectedRecord, setup.from_import)
        assert record is not None and (record.status, record.lead_id) == ("fixed", done.lead_id)
        lead = s.get(Lead, done.lead_id)
        assert lead is not None and (lead.full_name, lead.email) == ("Phạm Thị Lan", "lan.pham@gmail.com")
        assert lead.channel is not None and lead.channel.code == "seo"  # the import's channel
        event = s.scalars(select(Event).where(Event.lead_id == done.lead_id)).one()
        assert (event.type, event.properties["line"]) == ("record_fixed", 7)
        with pytest.raises(Conflict):
            rejected.fix(s, setup.admin, setup.from_import, {}, NOW)


def test_a_discarded_record_leaves_the_open_list_but_is_kept(setup: Setup, db_url: str) -> None:
    with unit_of_work(db_url) as s:
        rejected.discard(s, setup.admin, setup.from_form, NOW)
    with unit_of_work(db_url) as s:
        assert rejected.list_rejected(s, setup.admin, RejectedFilter()).total == 1
        every = rejected.list_rejected(s, setup.admin, RejectedFilter(status=None))
        assert {r.record.status for r in every.items} == {"open", "discarded"}


def test_the_csv_download_cannot_run_formulas(setup: Setup, db_url: str) -> None:
    with unit_of_work(db_url) as s:
        text = rejected.export_csv(s, setup.admin, RejectedFilter())
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    by_source = {r["source"]: r for r in rows}
    assert by_source["form"]["full_name"] == '\'=HYPERLINK("http://evil")'
    assert by_source["form"]["company"] == "'@SUM(1)"
    assert by_source["import"]["email"] == "lan@@gmail"
    assert by_source["import"]["line"] == "7" and by_source["import"]["import"] == "hoi-cho.csv"
    assert "email:" in by_source["import"]["reasons"]


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@x", "\tx", "\rx"])
def test_every_formula_start_is_neutralised(cell: str) -> None:
    assert rejected.safe_cell(cell) == "'" + cell
    assert rejected.safe_cell("Nguyễn " + cell) == "Nguyễn " + cell


def test_sales_reps_cannot_see_rejected_records(setup: Setup, db_url: str) -> None:
    with unit_of_work(db_url) as s:
        for call in (
            lambda: rejected.list_rejected(s, setup.rep, RejectedFilter()),
            lambda: rejected.export_csv(s, setup.rep, RejectedFilter()),
            lambda: rejected.fix(s, setup.rep, setup.from_form, {"email": "a@b.vn"}, NOW),
        ):
            with pytest.raises(Forbidden):
                call()
