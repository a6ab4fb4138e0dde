"""Intake scores the leads it creates from the facts in hand (``scoring_bulk.score_new_leads``) instead of
reading them back. Whatever a rule reads (channel, consents, flags, the email's domain, interests, kind, an
event property), the stored score must be the one the per-lead engine gives, a rescore at the same moment
must find nothing to change, and a lead that qualifies is moved at once."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select

from pheu.capture.intake import CaptureContext, capture_many
from pheu.capture.record import ConsentGiven, IncomingLead
from pheu.db import unit_of_work
from pheu.lifecycle import ActorType
from pheu.score.defaults import default_model
from pheu.score.model import BehaviourRule, FitRule, PropertyCondition
from pheu.score.model_yaml import to_yaml
from pheu.services.scoring import import_model
from pheu.services.scoring_bulk import rescore_all
from pheu.services.scoring_lead import score_lead, whole_points
from pheu.store import StageChange
from tests.conftest import NOW
from tests.factories import add_channels
from tests.score_service.helpers import stored

AT = NOW - timedelta(hours=2)


def _activate_test_model(url: str) -> None:
    base = default_model()
    model = replace(
        base,
        name="kiem-tra",
        fit_rules=(
            *base.fit_rules,
            FitRule(
                "tu-facebook", "channel", "equals", 7, "Từ Facebook", "From Facebook", value="facebook_ads"
            ),
            FitRule("dong-y-zalo", "consents", "equals", 3, "Đồng ý Zalo", "Agreed to Zalo", value="zalo"),
        ),
        behaviour_rules=(
            *base.behaviour_rules,
            BehaviourRule(
                "form-facebook",
                "form_submit",
                25,
                "Form từ quảng cáo Facebook",
                "Form from a Facebook ad",
                when=(PropertyCondition("utm_source", "equals", "facebook"),),
                cap=25,
            ),
        ),
    )
    with unit_of_work(url) as s:
        import_model(s, None, to_yaml(model), AT - timedelta(days=1), activate=True)


def _record(i: int, **fields: str) -> IncomingLead:
    consents = (ConsentGiven("email_marketing", True), ConsentGiven("zalo", i % 2 == 0))
    base = {"full_name": f"Khách {i}", "phone": f"09123457{i:02d}", "email": f"khach{i}@gmail.com"}
    return IncomingLead({**base, **fields}, "form:test", occurred_at=AT, consents=consents)


def test_created_leads_are_scored_as_the_engine_scores_them_and_moved_at_once(db_url: str) -> None:
    add_channels(db_url)
    _activate_test_model(db_url)
    ctx = CaptureContext(event_type="form_submit", actor_type=ActorType.SYSTEM, actor_label="form")
    boss = {"job_title": "Giám đốc", "company": "Minh Phát", "company_size": "10-49", "industry": "Bán lẻ"}
    with unit_of_work(db_url) as s:  # a lead already known, which the next batch merges into
        (known,) = capture_many(s, [_record(0, job_title="Nhân viên")], ctx, AT - timedelta(days=3))
    records = [
        _record(1, channel="facebook_ads", utm_source="facebook", province="Hà Nội", **boss),
        _record(2, channel="seo", utm_source="google", interests="Bán hàng đa kênh, TikTok Shop", **boss),
        _record(3, email="an@doithu.vn", channel="facebook_ads", utm_source="facebook", **boss),
        _record(4, email="x@mailinator.com", job_title="Sinh viên"),
        _record(5, lead_magnet="job_application", **boss),
        _record(6, channel="khong-co", company_size="500+"),
        _record(7, email="khach1@gmail.com", job_title="Chủ cửa hàng"),  # merges into record 1's new lead
        _record(0, phone="0912345700", company="Cửa hàng Nhỏ"),  # merges into the known lead
    ]
    with unit_of_work(db_url) as s:
        outcomes = capture_many(s, records, ctx, AT)
    assert [o.status for o in outcomes] == ["created"] * 6 + ["merged", "merged"]
    assert outcomes[6].lead_id == outcomes[0].lead_id and outcomes[7].lead_id == known.lead_id
    ids = sorted({o.lead_id for o in outcomes if o.lead_id is not None})

    with unit_of_work(db_url) as s:
        for lead_id in ids:
            one = score_lead(s, lead_id, AT)
            assert one is not None
            expected = (
                whole_points(one.result.total),
                one.result.fit,
                one.result.behaviour,
                one.result.temperature,
            )
            got = stored(db_url, lead_id)
            assert (got["score"], got["score_fit"], got["score_behaviour"], got["temperature"]) == expected
            assert got["scored_at"] == AT
        s.rollback()

    by_record = {i: stored(db_url, o.lead_id) for i, o in enumerate(outcomes) if o.lead_id is not None}
    assert by_record[0]["score"] > by_record[1]["score"]  # the Facebook form's points and channel fit count
    assert by_record[1]["score_fit"] > 50  # interests read as a list

    def taken(i: int) -> float:
        return by_record[i]["score_fit"] + by_record[i]["score_behaviour"] - by_record[i]["score"]

    assert taken(2) >= 49.5 and taken(1) < 1  # the competitor's domain
    assert taken(3) >= 24.5  # a disposable address and a student
    assert taken(4) >= 99.5  # a job applicant
    assert by_record[0]["stage"] == "mql" and by_record[1]["stage"] == "mql"  # moved at capture
    assert by_record[3]["stage"] == "iql" and by_record[4]["stage"] != "mql"
    with unit_of_work(db_url) as s:
        move = s.scalars(
            select(StageChange).where(
                StageChange.lead_id == outcomes[1].lead_id, StageChange.to_stage == "mql"
            )
        ).one()
        assert (move.actor_type, move.actor_label, move.at) == ("model", "model kiem-tra v1", AT)

    summary = rescore_all(db_url, AT)
    assert (summary.leads, summary.written, summary.moved) == (7, 0, 0)
