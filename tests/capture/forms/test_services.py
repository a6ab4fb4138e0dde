"""Building forms through the service, on SQLite and PostgreSQL: what is saved, what is refused, who may."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pheu.capture.forms import FieldSpec
from pheu.db import unit_of_work
from pheu.services import forms
from pheu.services.errors import Forbidden
from pheu.services.forms import FormInvalid
from pheu.store import AuditEntry, Form
from tests.capture.forms.conftest import Shop, add_form, draft
from tests.conftest import NOW


def problems_of(shop: Shop, **changes: object) -> set[tuple[str, str]]:
    with pytest.raises(FormInvalid) as caught, unit_of_work(shop.url) as session:
        forms.create_form(session, shop.marketer, draft(**changes), NOW)
    return {(p.field, p.code) for p in caught.value.problems}


def test_a_marketer_creates_a_form_and_the_audit_log_says_so(shop: Shop) -> None:
    form_id = add_form(shop, campaign_id=shop.campaign_id)
    with unit_of_work(shop.url) as session:
        form = session.get(Form, form_id)
        assert form is not None
        assert (form.slug, form.kind, form.lead_magnet, form.channel) == (
            "uu-dai-tet",
            "sales",
            "coupon",
            "landing_page",
        )
        assert [f["name"] for f in form.fields] == ["full_name", "email", "phone"]
        assert form.fields[1] == {"name": "email", "label": "Email", "type": "email", "required": True}
        assert (form.active, form.submissions, form.created_by) == (True, 0, shop.marketer.user_id)
        entry = session.scalars(select(AuditEntry).where(AuditEntry.entity == "form")).one()
        assert (entry.action, entry.entity_id, entry.actor_user_id) == (
            "create",
            str(form_id),
            shop.marketer.user_id,
        )


def test_an_empty_slug_is_made_from_the_name_without_tones() -> None:
    assert draft(slug="", name="Đăng ký Hội thảo Ưu đãi").normalized().slug == "dang-ky-hoi-thao-uu-dai"


def test_a_job_application_form_always_makes_recruitment_leads() -> None:
    assert draft(lead_magnet="job_application", kind="sales").normalized().kind == "recruitment"


def test_a_change_is_audited_with_before_and_after(shop: Shop) -> None:
    form_id = add_form(shop)
    with unit_of_work(shop.url) as session:
        forms.update_form(session, shop.admin, form_id, draft(title="Ưu đãi mới", active=False), NOW)
    with unit_of_work(shop.url) as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "update")).one()
        assert entry.changes == {
            "title": ["Nhận phiếu giảm giá 20% dịp Tết", "Ưu đãi mới"],
            "active": [True, False],
        }
        assert entry.actor_user_id == shop.admin.user_id


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"slug": "Ưu Đãi"}, ("slug", "pattern")),
        ({"slug": "-tet"}, ("slug", "pattern")),
        ({"slug": "a" * 81}, ("slug", "pattern")),
        ({"name": "  "}, ("name", "required")),
        ({"fields": (FieldSpec("full_name", "", True), FieldSpec("company"))}, ("fields", "no_contact")),
        ({"fields": (FieldSpec("email"), FieldSpec("password"))}, ("fields", "unknown")),
        ({"redirect_url": "javascript:alert(1)"}, ("redirect_url", "scheme")),
        ({"redirect_url": "ftp://congty.vn/x"}, ("redirect_url", "scheme")),
        ({"redirect_url": "https://"}, ("redirect_url", "scheme")),
        ({"consent_text": ""}, ("consent_text", "required")),
        ({"consent_purposes": ()}, ("consent_purposes", "required")),
        ({"consent_purposes": ("selling_data",)}, ("consent_purposes", "unknown")),
        ({"lead_magnet": "lottery"}, ("lead_magnet", "unknown")),
        ({"channel": "carrier_pigeon"}, ("channel", "unknown")),
        ({"campaign_id": 999}, ("campaign_id", "unknown")),
    ],
)
def test_a_bad_form_is_refused_naming_each_problem(
    shop: Shop, changes: dict[str, object], problem: tuple[str, str]
) -> None:
    assert problem in problems_of(shop, **changes)


def test_a_phone_only_form_and_an_https_redirect_are_fine(shop: Shop) -> None:
    add_form(shop, fields=(FieldSpec("phone", "", True),), redirect_url="https://congty.vn/cam-on")


def test_two_forms_cannot_share_an_address(shop: Shop) -> None:
    add_form(shop)
    assert ("slug", "taken") in problems_of(shop, name="Khác")


def test_a_form_keeps_its_own_address_when_saved_again(shop: Shop) -> None:
    form_id = add_form(shop)
    with unit_of_work(shop.url) as session:
        assert forms.validate_form(session, draft().normalized(), form_id) == []


def test_only_admin_and_marketing_build_forms(shop: Shop) -> None:
    form_id = add_form(shop)
    with unit_of_work(shop.url) as session:
        assert [f.id for f in forms.list_forms(session, shop.admin)] == [form_id]
        with pytest.raises(Forbidden):
            forms.list_forms(session, shop.rep)
        with pytest.raises(Forbidden):
            forms.get_form(session, shop.rep, form_id)
        with pytest.raises(Forbidden):
            forms.create_form(session, shop.rep, draft(slug="khac"), NOW)
