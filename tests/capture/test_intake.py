"""Intake on SQLite and PostgreSQL: every captured record is created, merged or rejected — never lost."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from pheu.capture.intake import CaptureContext, capture_many
from pheu.capture.record import ConsentGiven, IncomingLead
from pheu.db import unit_of_work
from pheu.lifecycle import ActorType
from pheu.store import Consent, Event, Lead, LeadMerge, RejectedRecord, StageChange
from tests.conftest import NOW
from tests.factories import add_channels

CTX = CaptureContext(
    event_type="form_submit", actor_type=ActorType.SYSTEM, actor_label="form: ebook", default_channel="seo"
)


def rec(source: str = "form:ebook", external_id: str | None = None, **fields: str) -> IncomingLead:
    return IncomingLead(fields=fields, source=source, external_id=external_id)


def land(url: str, records: list[IncomingLead], ctx: CaptureContext = CTX, now=NOW) -> list[str]:  # type: ignore[no-untyped-def]
    with unit_of_work(url) as s:
        return [o.status for o in capture_many(s, records, ctx, now)]


def test_a_new_person_becomes_a_lead_with_history_and_a_capture_event(db_url: str) -> None:
    add_channels(db_url)
    assert land(
        db_url,
        [rec(full_name="Nguyễn Văn Anh", email="ANH@Gmail.com", phone="0901 234 567", utm_source="google")],
    ) == ["created"]
    with unit_of_work(db_url) as s:
        lead = s.scalars(select(Lead)).one()
        assert (lead.email, lead.phone, lead.stage, lead.channel.code) == (
            "anh@gmail.com",
            "+84901234567",
            "iql",
            "seo",
        )
        assert lead.search_key.startswith("nguyen van anh")
        change = s.scalars(select(StageChange)).one()
        assert (change.from_stage, change.to_stage, change.actor_label) == (None, "iql", "form: ebook")
        event = s.scalars(select(Event)).one()
        assert event.type == "form_submit" and event.properties["utm_source"] == "google"


def test_the_same_person_typed_differently_is_merged_not_duplicated(db_url: str) -> None:
    add_channels(db_url)
    land(db_url, [rec(full_name="Trần Thị Bích", phone="0912345678", company="Cty A")])
    later = NOW + timedelta(days=2)
    statuses = land(
        db_url,
        [
            rec(
                full_name="Tran Thi Bich",
                phone="+84 91 234 5678",
                email="bich@congty.vn",
                job_title="Kế toán",
            ),
            rec(email="BICH@congty.vn", city="Huế"),
        ],
        now=later,
    )
    assert statuses == ["merged", "merged"]
    with unit_of_work(db_url) as s:
        lead = s.scalars(select(Lead)).one()
        assert lead.email == "bich@congty.vn" and lead.job_title == "Kế toán" and lead.city == "Huế"
        assert lead.company == "Cty A"  # never blanked
        assert lead.full_name == "Tran Thi Bich"  # newest non-empty wins
        merges = list(s.scalars(select(LeadMerge).order_by(LeadMerge.id)))
        assert [m.matched_on for m in merges] == ["phone", "email"]
        assert merges[0].snapshot["full_name"] == "Trần Thị Bích"
        assert s.scalar(select(func.count()).select_from(Event)) == 3


def test_duplicates_inside_one_batch_become_one_lead(db_url: str) -> None:
    add_channels(db_url)
    statuses = land(
        db_url,
        [
            rec(email="hoa.le@congty.vn", full_name="Lê Hoa"),
            rec(email="hoa.le@congty.vn", phone="0987 112 233"),
            rec(phone="0987112233"),
        ],
    )
    assert statuses == ["created", "merged", "merged"]
    with unit_of_work(db_url) as s:
        assert s.scalar(select(func.count()).select_from(Lead)) == 1
        assert s.scalars(select(Lead)).one().phone == "+84987112233"


def test_a_record_that_identifies_no_one_is_kept_with_its_reasons(db_url: str) -> None:
    add_channels(db_url)
    statuses = land(
        db_url,
        [rec(full_name="Ẩn danh", email="not-an-email", phone="12"), rec(email="ok@congty.vn", phone="12")],
    )
    assert statuses == ["rejected", "created"]
    with unit_of_work(db_url) as s:
        rejected = s.scalars(select(RejectedRecord)).one()
        assert rejected.raw["full_name"] == "Ẩn danh" and rejected.status == "open"
        assert {r["field"] for r in rejected.reasons} >= {"email", "phone"}
        assert all(r["message"] and r["accepted"] for r in rejected.reasons)
        lead = s.scalars(select(Lead)).one()
        assert lead.phone is None and "phone_invalid" in lead.flags


def test_a_redelivered_provider_lead_never_makes_a_second_lead(db_url: str) -> None:
    add_channels(db_url)
    first = rec(source="facebook", external_id="fb-123", email="minh@congty.vn")
    assert land(db_url, [first, first]) == ["created", "duplicate_delivery"]
    assert land(db_url, [rec(source="facebook", external_id="fb-123", email="khac@congty.vn")]) == [
        "duplicate_delivery"
    ]
    with unit_of_work(db_url) as s:
        assert s.scalar(select(func.count()).select_from(Lead)) == 1


def test_job_applicants_go_to_recruitment_and_are_not_merged_into_sales_leads(db_url: str) -> None:
    add_channels(db_url)
    land(db_url, [rec(email="cv@congty.vn")])
    assert land(db_url, [rec(email="cv@congty.vn", lead_magnet="job_application")]) == ["created"]
    with unit_of_work(db_url) as s:
        kinds = sorted((lead.kind, lead.stage) for lead in s.scalars(select(Lead)))
        assert kinds == [("recruitment", "applicant"), ("sales", "iql")]


def test_consent_is_recorded_and_a_later_withdrawal_wins(db_url: str) -> None:
    add_channels(db_url)
    yes = IncomingLead(
        {"email": "c@congty.vn"}, "form:a", consents=(ConsentGiven("email_marketing", True, "Tôi đồng ý"),)
    )
    no = IncomingLead({"email": "c@congty.vn"}, "form:b", consents=(ConsentGiven("email_marketing", False),))
    land(db_url, [yes])
    land(db_url, [no], now=NOW + timedelta(hours=1))
    with unit_of_work(db_url) as s:
        consent = s.scalars(select(Consent)).one()
        assert consent.granted is False and consent.source == "form:b"


def test_bought_lists_are_flagged_low_quality(db_url: str) -> None:
    add_channels(db_url)
    ctx = CaptureContext(
        event_type="import",
        actor_type=ActorType.IMPORT,
        actor_label="import #1",
        default_channel="import",
        bought_list=True,
    )
    land(db_url, [rec(email="list@congty.vn")], ctx=ctx)
    with unit_of_work(db_url) as s:
        lead = s.scalars(select(Lead)).one()
        assert lead.channel.code == "import" and "bought_list" in lead.flags


def test_a_large_batch_takes_the_bulk_path_and_keeps_times_and_properties(db_url: str) -> None:
    """Past COPY_FROM rows PostgreSQL writes with COPY, which bypasses SQLAlchemy's type handling."""
    from datetime import datetime, timezone

    add_channels(db_url)
    hanoi = timezone(timedelta(hours=7))
    submitted = datetime(2026, 11, 20, 9, 30, tzinfo=hanoi)
    records = [
        IncomingLead(
            {
                "full_name": f"Khách {i}",
                "email": f"khach{i}@congty.vn",
                "utm_source": "zalo",
                "interests": "spa, du lịch",
            },
            "form:big",
            occurred_at=submitted,
            answers={"câu hỏi": "có"},
        )
        for i in range(450)
    ]
    assert set(land(db_url, records)) == {"created"}
    with unit_of_work(db_url) as s:
        assert s.scalar(select(func.count()).select_from(Lead)) == 450
        assert s.scalar(select(func.count()).select_from(StageChange)) == 450
        lead = s.scalars(select(Lead).where(Lead.email == "khach7@congty.vn")).one()
        assert lead.created_at == submitted
        assert lead.interests == ["spa", "du lịch"]
        event = s.scalars(select(Event).where(Event.lead_id == lead.id)).one()
        assert event.occurred_at == submitted
        assert event.properties["answers"] == {"câu hỏi": "có"}
        assert "khach 7" in lead.search_key
