"""Zalo: contact details people share with an Official Account, and Zalo Ads lead forms.

Documented - Zalo OA webhook conventions (developers.zalo.me "Webhook"; the same rules are implemented by
Chatwoot's Zalo OA channel and described in Vietnamese developer write-ups):

- Every event is a JSON POST with ``app_id``, ``oa_id`` (some events), ``event_name``, ``timestamp``
  (milliseconds, usually as a string), ``user_id_by_app``, ``sender: {id}`` and ``recipient: {id}``.
- ``X-ZEvent-Signature: mac=<hex SHA-256 of app_id + raw body + timestamp + OA secret key>``: a plain hash,
  not an HMAC; ``timestamp`` is the one inside the body, and the key is the *OA* secret key, not the app's.
  Large ids must stay exact (Python's ``json`` keeps them; PHP needs ``JSON_BIGINT_AS_STRING``).
- ``user_submit_info`` fires when a person presses "share information" on a ``request_user_info`` message:
  ``info: {name, phone, address, ward, district, city}``. The phone is written with its country code and no
  plus sign ("84912345678"); ``city`` is the province-level unit ("Hồ Chí Minh", "Hà Nội").

Assumed - Zalo Ads lead forms ("Zalo Form"): we found no public webhook for them; Zalo documents only the
Lead Center, where advertisers view and download form leads (ads.zalo.me, "Lead Center - Quản lý data từ
quảng cáo Zalo Form"). So that event is modelled on the OA conventions above and is OUR assumption, names
included: ``event_name: "user_submit_lead_form"`` with ``lead: {lead_id, form_id, form_name, campaign_id,
campaign_name, ad_id, ad_name, fields: [{name, label, value}]}``, signed like any OA event. Change
``LEAD_FORM_EVENT`` and ``_form_lead`` when Zalo publishes the real shape; the fixture
``zalo_lead_form_assumed.json`` marks the guess.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Final

from pheu.capture.ads.answers import add_provenance, sort_answers
from pheu.capture.ads.payload import (
    as_object,
    index_path,
    key_path,
    list_at,
    object_at,
    optional_id,
    optional_text,
    optional_unix_time,
    required,
    required_id,
    text,
)
from pheu.capture.ads.signing import require_secret, same_text
from pheu.capture.record import IncomingLead

PROVIDER: Final = "zalo"
CHANNEL: Final = "zalo"
SIGNATURE_HEADER: Final = "X-ZEvent-Signature"
SUBMIT_INFO_EVENT: Final = "user_submit_info"
LEAD_FORM_EVENT: Final = "user_submit_lead_form"  # assumed, see the module docstring
# user_submit_info keys -> lead fields; the rest of ``info`` (address, ward, district) stays in answers.
_INFO_FIELDS: Final = {"name": "full_name", "phone": "phone", "city": "province"}


def verify_signature(raw_body: bytes, header: str | None, *, app_id: str, oa_secret_key: str) -> bool:
    """Whether ``X-ZEvent-Signature`` is ``mac=`` + SHA-256 of our app id, the body as received, the body's
    ``timestamp`` and the OA secret key. A missing header, another prefix, a body without a timestamp or a
    tampered body is ``False``. The app id is ours, not the one the body claims."""
    require_secret(app_id, "app_id")
    require_secret(oa_secret_key, "oa_secret_key")
    if not header or not header.startswith("mac="):
        return False
    timestamp = _body_timestamp(raw_body)
    if timestamp is None:
        return False
    signed = app_id.encode("utf-8") + raw_body + timestamp.encode("utf-8") + oa_secret_key.encode("utf-8")
    return same_text(hashlib.sha256(signed).hexdigest(), header.removeprefix("mac=").strip().lower())


def _body_timestamp(raw_body: bytes) -> str | None:
    try:
        body = json.loads(raw_body)
    except ValueError:
        return None
    value = body.get("timestamp") if isinstance(body, dict) else None
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def parse_webhook(payload: object, *, family_name_first: bool = True) -> list[IncomingLead]:
    """The lead a verified OA event carries: one for ``user_submit_info`` and for a lead-form submission,
    none for every other event (messages, follows, reads). A lead event of the wrong shape raises
    ``PayloadError`` naming the JSON path, e.g. ``info.phone must be text, got a number``."""
    root = as_object(payload, "")
    event = text(required(root, "event_name", ""), "event_name")
    if event == SUBMIT_INFO_EVENT:
        return [_submitted_info(root)]
    if event == LEAD_FORM_EVENT:
        return [_form_lead(root, family_name_first)]
    return []


def _submitted_info(root: Mapping[str, object]) -> IncomingLead:
    """Zalo sends no id for a shared-info event, so the person's OA user id and the event time make the
    natural key: a retried delivery carries both unchanged."""
    sender_id = required_id(object_at(root, "sender", ""), "id", "sender")
    timestamp = required_id(root, "timestamp", "")
    info = object_at(root, "info", "")
    fields: dict[str, str] = {}
    answers: dict[str, str] = {}
    for key, raw_value in info.items():
        if raw_value is None:
            continue
        value = text(raw_value, key_path("info", key)).strip()
        target = _INFO_FIELDS.get(key)
        if not value:
            continue
        if target:
            fields[target] = value
        else:
            answers[key] = value
    fields.update({"channel": CHANNEL, "utm_source": "zalo"})
    add_provenance(answers, _oa_ids(root) | {"zalo_user_id": sender_id})
    return IncomingLead(
        fields=fields,
        source=PROVIDER,
        external_id=f"{SUBMIT_INFO_EVENT}:{sender_id}:{timestamp}",
        occurred_at=optional_unix_time(root, "timestamp", "", milliseconds=True),
        answers=answers,
    )


def _form_lead(root: Mapping[str, object], family_name_first: bool) -> IncomingLead:
    """A Zalo Ads form submission in the assumed shape; the lead id is the natural key."""
    lead = object_at(root, "lead", "")
    lead_id = required_id(lead, "lead_id", "lead")
    pairs: list[tuple[str, str]] = []
    for i, raw_item in enumerate(list_at(lead, "fields", "lead")):
        where = index_path("lead.fields", i)
        item = as_object(raw_item, where)
        question = optional_text(item, "label", where) or text(
            required(item, "name", where), key_path(where, "name")
        )
        value = item.get("value")
        pairs.append((question, "" if value is None else text(value, key_path(where, "value"))))
    sorted_answers = sort_answers(pairs, family_name_first=family_name_first)
    fields = sorted_answers.fields
    fields.update({"channel": CHANNEL, "utm_source": "zalo", "utm_medium": "paid_social"})
    for field, key in (("utm_campaign", "campaign_name"), ("utm_content", "ad_name")):
        value = optional_text(lead, key, "lead")
        if value:
            fields[field] = value
    sender = root.get("sender")
    ids = _oa_ids(root) | {
        "form_id": optional_id(lead, "form_id", "lead"),
        "form_name": optional_text(lead, "form_name", "lead"),
        "campaign_id": optional_id(lead, "campaign_id", "lead"),
        "ad_id": optional_id(lead, "ad_id", "lead"),
        "zalo_user_id": optional_id(as_object(sender, "sender"), "id", "sender")
        if sender is not None
        else None,
    }
    add_provenance(sorted_answers.answers, ids)
    return IncomingLead(
        fields=fields,
        source=PROVIDER,
        external_id=lead_id,
        occurred_at=optional_unix_time(root, "timestamp", "", milliseconds=True),
        answers=sorted_answers.answers,
    )


def _oa_ids(root: Mapping[str, object]) -> dict[str, str | None]:
    recipient = root.get("recipient")
    oa_id = optional_id(root, "oa_id", "")
    if oa_id is None and isinstance(recipient, dict):
        oa_id = optional_id(recipient, "id", "recipient")
    return {"app_id": optional_id(root, "app_id", ""), "oa_id": oa_id}
