"""The public side of a form, on SQLite and PostgreSQL: the hosted page, form-encoded and JSON submissions,
what lands (lead, capture event, consents), and what spam screening keeps out."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from pheu.capture.forms import FieldSpec
from pheu.capture.spam import HONEYPOT_FIELD, TOKEN_FIELD
from pheu.db import unit_of_work
from pheu.store import Consent, Event, Form, Lead, RejectedRecord
from tests.capture.forms.conftest import CONSENT, Shop, add_form, token
from tests.conftest import NOW

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def hidden_inputs(page: str) -> dict[str, str]:
    return {name: html.unescape(value) for name, value in HIDDEN.findall(page)}


def person(**extra: Any) -> dict[str, Any]:
    return {"full_name": "Nguyễn Thị Mai", "email": "Mai.Nguyen@Gmail.com", **extra}


def post(client: TestClient, shop: Shop, data: dict[str, Any], *, slug: str = "uu-dai-tet", json: bool = False,
         **kwargs: Any) -> Any:  # fmt: skip
    """Post as a person who opened the page 10 seconds ago."""
    body = {TOKEN_FIELD: token(slug, shop.clock.now - timedelta(seconds=10)), **data}
    if json:
        return client.post(f"/f/{slug}", json=body, **kwargs)
    return client.post(f"/f/{slug}", data=body, **kwargs)


def count(shop: Shop, model: Any) -> int:
    with unit_of_work(shop.url) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_the_hosted_page_shows_the_form_in_vietnamese_with_consent_unticked(
    client: TestClient, shop: Shop
) -> None:
    add_form(shop)
    page = client.get("/f/uu-dai-tet?utm_source=facebook&utm_campaign=tet-2027")
    assert page.status_code == 200
    assert '<html lang="vi">' in page.text
    assert "Nhận phiếu giảm giá 20% dịp Tết" in page.text
    assert "Họ và tên" in page.text
    assert html.escape(CONSENT, quote=False) in page.text
    consent_box = re.search(
        r'<input class="form-check-input" type="checkbox" name="consent"[^>]*>', page.text
    )
    assert consent_box is not None and "checked" not in consent_box.group(0)
    assert f'name="{HONEYPOT_FIELD}"' in page.text
    hidden = hidden_inputs(page.text)
    assert hidden["utm_source"] == "facebook"
    assert hidden["landing_page"].startswith("http://testserver/f/uu-dai-tet?")
    assert "X-Frame-Options" not in page.headers
    assert "pheu_session" not in page.headers.get("set-cookie", "")


def test_a_form_posted_from_the_page_lands_with_its_utm_referrer_and_landing_page(
    client: TestClient, shop: Shop
) -> None:
    add_form(shop, campaign_id=shop.campaign_id)
    page = client.get(
        "/f/uu-dai-tet?utm_source=facebook&utm_medium=cpc&utm_campaign=spring&utm_term=giam+gia&utm_content=v2",
        headers={"Referer": "https://m.facebook.com/"},
    )
    shop.clock.advance(8)
    answer = client.post("/f/uu-dai-tet", data={**hidden_inputs(page.text), **person(phone="0901 234 567")})
    assert answer.status_code == 200
    assert "Mã giảm giá đã được gửi qua email" in answer.text
    with unit_of_work(shop.url) as session:
        lead = session.scalars(select(Lead)).one()
        assert (lead.email, lead.phone, lead.kind, lead.stage) == (
            "mai.nguyen@gmail.com",
            "+84901234567",
            "sales",
            "iql",
        )
        assert (lead.utm_source, lead.utm_medium, lead.utm_term, lead.utm_content) == (
            "facebook",
            "cpc",
            "giam gia",
            "v2",
        )
        assert lead.referrer == "https://m.facebook.com/"
        assert lead.landing_page is not None and lead.landing_page.startswith(
            "http://testserver/f/uu-dai-tet?utm_source"
        )
        assert (lead.lead_magnet, lead.channel.code, lead.campaign_id) == (
            "coupon",
            "landing_page",
            shop.campaign_id,
        )
        event = session.scalars(select(Event)).one()
        assert (event.type, event.source) == ("form_submit", "form:uu-dai-tet")
        assert event.properties["utm_campaign"] == "spring"
        assert event.properties["referrer"] == "https://m.facebook.com/"
        assert event.properties["landing_page"] == lead.landing_page
        assert session.scalars(select(Form)).one().submissions == 1


def test_a_json_post_from_another_site_lands_and_answers_without_a_lead_id(
    client: TestClient, shop: Shop
) -> None:
    add_form(shop, redirect_url="https://hoasen.vn/cam-on")
    body = person(
        utm_source="zalo", landing_page="https://hoasen.vn/tet", referrer="https://zalo.me/", consent=True
    )
    answer = post(client, shop, body, json=True, headers={"Origin": "https://hoasen.vn"})
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == "*"
    assert answer.json() == {
        "status": "ok",
        "message": "Cảm ơn bạn! Mã giảm giá đã được gửi qua email.",
        "redirect_url": "https://hoasen.vn/cam-on",
    }
    with unit_of_work(shop.url) as session:
        lead = session.scalars(select(Lead)).one()
        assert (lead.utm_source, lead.landing_page, lead.referrer) == (
            "zalo",
            "https://hoasen.vn/tet",
            "https://zalo.me/",
        )
        consent = session.scalars(select(Consent)).one()
        assert (consent.purpose, consent.granted, consent.text) == ("email_marketing", True, CONSENT)


def test_without_a_landing_page_field_the_referer_header_is_the_landing_page(
    client: TestClient, shop: Shop
) -> None:
    add_form(shop)
    post(client, shop, person(), headers={"Referer": "https://hoasen.vn/khuyen-mai"})
    with unit_of_work(shop.url) as session:
        lead = session.scalars(select(Lead)).one()
        assert (lead.landing_page, lead.referrer) == ("https://hoasen.vn/khuyen-mai", None)


def test_the_preflight_lets_any_site_post_json(client: TestClient, shop: Shop) -> None:
    add_form(shop)
    answer = client.options(
        "/f/uu-dai-tet",
        headers={"Origin": "https://hoasen.vn", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type"},
    )  # fmt: skip
    assert answer.status_code == 204
    assert answer.headers["access-control-allow-origin"] == "*"
    assert "POST" in answer.headers["access-control-allow-methods"]
    assert "Content-Type" in answer.headers["access-control-allow-headers"]


def test_the_embed_script_gets_the_definition_and_a_token(client: TestClient, shop: Shop) -> None:
    add_form(shop)
    schema = client.get("/f/uu-dai-tet/schema").json()
    assert [f["name"] for f in schema["fields"]] == ["full_name", "email", "phone"]
    assert schema["consent"]["purposes"] == [{"code": "email_marketing", "label": "Email tiếp thị"}]
    shop.clock.advance(5)
    answer = client.post("/f/uu-dai-tet", json={**person(), schema["token_field"]: schema["token"]})
    assert answer.status_code == 200
    assert count(shop, Lead) == 1


def test_an_unticked_consent_is_stored_as_not_granted(client: TestClient, shop: Shop) -> None:
    add_form(shop)
    post(client, shop, person())
    with unit_of_work(shop.url) as session:
        consent = session.scalars(select(Consent)).one()
        assert (consent.purpose, consent.granted, consent.source) == (
            "email_marketing",
            False,
            "form:uu-dai-tet",
        )


def test_a_job_application_makes_a_recruitment_lead_never_a_sales_one(client: TestClient, shop: Shop) -> None:
    add_form(shop, slug="ung-tuyen", name="Ứng tuyển", lead_magnet="job_application", kind="sales")
    post(client, shop, person(kind="sales", channel="seo"), slug="ung-tuyen")
    with unit_of_work(shop.url) as session:
        lead = session.scalars(select(Lead)).one()
        assert (lead.kind, lead.stage, lead.lead_magnet) == ("recruitment", "applicant", "job_application")
        assert lead.channel.code == "landing_page"


def test_the_same_email_twice_is_one_lead_with_two_form_submissions(client: TestClient, shop: Shop) -> None:
    add_form(shop)
    post(client, shop, person())
    shop.clock.advance(3600)
    post(client, shop, person(email="mai.nguyen@gmail.com", phone="0901234567"))
    with unit_of_work(shop.url) as session:
        lead = session.scalars(select(Lead)).one()
        assert lead.phone == "+84901234567"
        events = session.scalars(select(Event).where(Event.lead_id == lead.id)).all()
        assert [e.type for e in events] == ["form_submit", "form_submit"]
        assert session.scalars(select(Form)).one().submissions == 2


def test_a_double_click_with_the_same_page_lands_once(client: TestClient, shop: Shop) -> None:
    add_form(shop)
    body = {TOKEN_FIELD: token("uu-dai-tet", NOW - timedelta(seconds=10)), **person()}
    assert client.post("/f/uu-dai-tet", data=body).status_code == 200
    assert client.post("/f/uu-dai-tet", data=body).status_code == 200
    assert count(shop, Event) == 1


def test_a_filled_honeypot_answers_thank_you_but_nothing_lands(client: TestClient, shop: Shop) -> None:
    add_form(shop)
    answer = post(client, shop, person(website="http://cheap-pills.example"))
    assert answer.status_code == 200
    assert "Mã giảm giá đã được gửi qua email" in answer.text
    assert (count(shop, Lead), count(shop, RejectedRecord)) == (0, 0)
    json_answer = post(client, shop, person(website="x"), json=True)
    assert json_answer.json()["status"] == "ok"
    assert count(shop, Lead) == 0


def test_a_submit_faster_than_a_person_can_type_lands_nothing(client: TestClient, shop: Shop) -> None:
    add_form(shop)
    page = client.get("/f/uu-dai-tet")
    shop.clock.advance(1)
    answer = client.post("/f/uu-dai-tet", data={**hidden_inputs(page.text), **person()})
    assert answer.status_code == 200
    assert count(shop, Lead) == 0


def test_a_post_without_a_token_lands_nothing(client: TestClient, shop: Shop) -> None:
    add_form(shop)
    assert client.post("/f/uu-dai-tet", json=person()).json()["status"] == "ok"
    assert count(shop, Lead) == 0


def test_a_page_left_open_for_days_asks_to_send_again(client: TestClient, shop: Shop) -> None:
    add_form(shop)
    stale = {TOKEN_FIELD: token("uu-dai-tet", NOW - timedelta(days=2)), **person()}
    answer = client.post("/f/uu-dai-tet", data=stale)
    assert answer.status_code == 422
    assert "gửi lại" in answer.text
    assert hidden_inputs(answer.text)[TOKEN_FIELD] != stale[TOKEN_FIELD]
    assert count(shop, Lead) == 0


def test_the_eleventh_submission_in_a_minute_from_one_address_is_refused(
    client: TestClient, shop: Shop
) -> None:
    add_form(shop)
    for i in range(10):
        shop.clock.advance(3)
        assert post(client, shop, person(email=f"khach{i}@gmail.com")).status_code == 200
    shop.clock.advance(3)
    refused = post(client, shop, person(email="khach10@gmail.com"), json=True)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "60"
    assert count(shop, Lead) == 10
    shop.clock.advance(60)
    assert post(client, shop, person(email="khach10@gmail.com")).status_code == 200
    assert count(shop, Lead) == 11


def test_a_missing_required_field_shows_the_form_again_with_the_error(client: TestClient, shop: Shop) -> None:
    add_form(shop)
    answer = post(client, shop, {"full_name": "", "email": "mai@gmail.com", "consent": "email_marketing"})
    assert answer.status_code == 422
    assert "Vui lòng điền trường này." in answer.text
    assert 'value="mai@gmail.com"' in answer.text
    assert re.search(r'name="consent" value="email_marketing"[^>]*checked', answer.text)
    assert count(shop, Lead) == 0
    english = post(client, shop, {"email": "mai@gmail.com"}, json=True, params={"lang": "en"})
    assert english.status_code == 422
    assert english.json()["errors"] == [
        {
            "location": "body",
            "field": "full_name",
            "code": "required",
            "message": "Please fill in this field.",
        }
    ]


def test_a_bad_email_and_no_phone_is_refused_and_kept_for_review(client: TestClient, shop: Shop) -> None:
    add_form(
        shop, fields=(FieldSpec("full_name", "", False), FieldSpec("email", "", True), FieldSpec("phone"))
    )
    answer = post(client, shop, {"full_name": "Mai", "email": "mai@@gmail"}, json=True)
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["code"] == "form_rejected"
    assert {e["field"]: e["code"] for e in problem["errors"]} == {"email": "invalid", "phone": "no_contact"}
    with unit_of_work(shop.url) as session:
        rejected = session.scalars(select(RejectedRecord)).one()
        assert (rejected.source, rejected.raw["email"]) == ("form:uu-dai-tet", "mai@@gmail")
        assert session.scalars(select(Form)).one().submissions == 0
    assert count(shop, Lead) == 0
    page = post(client, shop, {"full_name": "Mai", "email": "mai@@gmail"})
    assert page.status_code == 422
    assert "Nhập địa chỉ email hợp lệ" in page.text


def test_a_paused_or_unknown_form_is_not_available(client: TestClient, shop: Shop) -> None:
    add_form(shop, active=False)
    assert client.get("/f/uu-dai-tet").status_code == 404
    assert client.get("/f/khong-co").status_code == 404
    assert post(client, shop, person(), json=True).status_code == 404
    assert count(shop, Lead) == 0


def test_a_redirect_form_sends_the_person_on_with_303(client: TestClient, shop: Shop) -> None:
    add_form(shop, redirect_url="https://hoasen.vn/cam-on")
    answer = post(client, shop, person())
    assert answer.status_code == 303
    assert answer.headers["location"] == "https://hoasen.vn/cam-on"
