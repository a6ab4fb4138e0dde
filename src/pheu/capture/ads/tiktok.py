"""TikTok Lead Generation: the signed lead webhook, and the lead read back from the Business API.

Documented by TikTok API for Business (v1.3), "Subscribe to ad account Webhook events via Subscription API"
(portal doc id 1810521739537409) and "Obtain leads as advertisers" (id 1806817494948930):

- A subscription made with ``/subscription/subscribe/`` and ``subscribe_entity: "LEAD"`` POSTs
  ``{"request_id"?, "object": 1, "entry": [{"id": <lead id>, "lead_source": "INSTANT_FORM" |
  "DIRECT_MESSAGE", "page_id", "page_name", "advertiser_id", "advertiser_name", "library_id",
  "campaign_id", "campaign_name", "adgroup_id", "adgroup_name", "ad_id", "ad_name", "create_time": <Unix
  seconds>, "changes": [{"field": "name", "value": "Jane Doe"}, ...]}], "time": <Unix seconds>}``.
  ``object: 1`` means "lead"; other values are other event families on the same URL. Up to 1000 leads are
  batched per request; delivery is at-least-once, so the lead id is the natural key. The webhook carries
  the answers, so no fetch is needed (and ``/lead/get/`` has no lead-id parameter to fetch one by).
- Signature: ``X-Open-Signature`` = lowercase hex HMAC-SHA256 of the payload keyed with the app secret,
  computed over an escaped-unicode rendering of the payload (see ``signing``). There is no handshake.
- ``/lead/get/`` (and, we assume, ``/page/lead/mock/get/``) answers the usual envelope ``{"code": 0, "message": "OK",
  "request_id", "data": {"lead_data": {<question>: <answer>}, "meta_data": {"lead_id", "page_id", ...,
  "create_time": "YYYY-MM-DD HH:MM:SS" (UTC+0)}}}``; a non-zero ``code`` is a refusal even under HTTP 200.

Those pages were read through verbatim quotes in public integration notes, not on the portal itself. Where
they are loose we are lenient: the field table types ids as numbers while REST answers use strings, so both
are accepted (Python keeps 19-digit ids exact). Not documented: how custom questions are named in
``changes`` (the mock-lead sample uses the question's label), hence matching by folded label; and whether the
bytes on the wire are already escaped, hence trying both renderings. ``TikTok-Signature: t=..,s=..`` belongs to
TikTok's *other* webhooks (accounts, messaging) and does not apply to leads.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Final

from pheu.capture.ads.answers import add_provenance, sort_answers
from pheu.capture.ads.fetching import FetchError
from pheu.capture.ads.payload import (
    PayloadError,
    as_object,
    formatted_time,
    index_path,
    key_path,
    kind_of,
    list_at,
    object_at,
    optional_id,
    optional_text,
    optional_unix_time,
    required,
    required_id,
    text,
    unix_time,
)
from pheu.capture.ads.signing import body_hmac_matches, require_secret
from pheu.capture.record import IncomingLead

PROVIDER: Final = "tiktok"
CHANNEL: Final = "tiktok_ads"
SIGNATURE_HEADER: Final = "X-Open-Signature"
LEAD_OBJECT: Final = 1
REST_TIME: Final = "%Y-%m-%d %H:%M:%S"
# Business API codes that mean "later": the QPS limits. 0 is success, 20001 is partial success.
_RETRYABLE_CODES: Final = frozenset({40016, 40100, 40132, 40133})
_SUCCESS_CODES: Final = frozenset({0, 20001})


def verify_signature(raw_body: bytes, header: str | None, app_secret: str) -> bool:
    """Whether ``X-Open-Signature`` (bare lowercase hex, no ``sha256=`` prefix) signs ``raw_body`` with the
    developer app's secret. A missing header, a prefixed value or a tampered body is ``False``."""
    require_secret(app_secret, "app_secret")
    if not header or "=" in header:
        return False
    return body_hmac_matches(raw_body, header, app_secret)


def parse_webhook(payload: object, *, family_name_first: bool = True) -> list[IncomingLead]:
    """The leads in a verified lead webhook, in order, each once. A body for another event family
    (``object`` other than 1) holds no leads and gives ``[]``; a lead entry of the wrong shape raises a
    ``PayloadError`` naming its path, e.g. ``entry[0].id is missing``."""
    root = as_object(payload, "")
    kind = required(root, "object", "")
    if kind != LEAD_OBJECT:
        return []
    leads: dict[str, IncomingLead] = {}
    for i, raw_entry in enumerate(list_at(root, "entry", "")):
        lead = _entry_lead(raw_entry, index_path("entry", i), family_name_first)
        leads.setdefault(lead.external_id or "", lead)
    return list(leads.values())


def _entry_lead(raw_entry: object, where: str, family_name_first: bool) -> IncomingLead:
    entry = as_object(raw_entry, where)
    lead_id = required_id(entry, "id", where)
    pairs: list[tuple[str, str]] = []
    for j, raw_change in enumerate(list_at(entry, "changes", where)):
        at = index_path(key_path(where, "changes"), j)
        change = as_object(raw_change, at)
        question = text(required(change, "field", at), key_path(at, "field"))
        value = change.get("value")
        pairs.append((question, "" if value is None else _answer(value, key_path(at, "value"))))
    occurred_at = optional_unix_time(entry, "create_time", where)
    return _lead(lead_id, pairs, entry, where, occurred_at, family_name_first)


def _answer(value: object, where: str) -> str:
    """TikTok types ``value`` as an object but every documented example is text; a list (a multi-choice
    question) is joined, anything else structured is refused rather than guessed at."""
    if isinstance(value, list):
        return ", ".join(text(v, index_path(where, k)).strip() for k, v in enumerate(value))
    return text(value, where)


def parse_lead_response(response: object, *, family_name_first: bool = True) -> IncomingLead:
    """A lead read with ``/lead/get/`` (or a test lead from ``/page/lead/mock/get/``), as an ``IncomingLead``.

    A non-zero ``code`` raises ``FetchError`` with TikTok's message; a wrong shape raises ``PayloadError``.
    """
    root = as_object(response, "")
    _raise_for_code(root)
    data = object_at(root, "data", "")
    meta = object_at(data, "meta_data", "data")
    answers = object_at(data, "lead_data", "data")
    pairs = [(q, "" if v is None else _answer(v, key_path("data.lead_data", q))) for q, v in answers.items()]
    lead_id = required_id(meta, "lead_id", "data.meta_data")
    occurred_at = _rest_time(meta.get("create_time"), "data.meta_data.create_time")
    return _lead(lead_id, pairs, meta, "data.meta_data", occurred_at, family_name_first)


def _rest_time(value: object, where: str) -> datetime | None:
    """The REST API writes "YYYY-MM-DD HH:MM:SS" in UTC+0; a Unix number is accepted too."""
    if value is None:
        return None
    if isinstance(value, str) and not value.strip().isdigit():
        return formatted_time(value, where, REST_TIME, "2026-11-20 03:12:45", assume_utc=True)
    return unix_time(value, where)


def _raise_for_code(root: Mapping[str, object]) -> None:
    code = root.get("code")
    if code is None:
        return
    if not isinstance(code, int) or isinstance(code, bool):
        raise PayloadError("code", f"must be a number, got {kind_of(code)}")
    if code in _SUCCESS_CODES:
        return
    message = optional_text(root, "message", "") or "the Business API refused without a message"
    raise FetchError(PROVIDER, message, code=code, retryable=code in _RETRYABLE_CODES)


def _lead(
    lead_id: str,
    pairs: list[tuple[str, str]],
    context: Mapping[str, object],
    where: str,
    occurred_at: datetime | None,
    family_name_first: bool,
) -> IncomingLead:
    """What both shapes share: the answers sorted into fields, and the form, ad and campaign it came from."""
    sorted_answers = sort_answers(pairs, family_name_first=family_name_first)
    fields = sorted_answers.fields
    fields.update({"channel": CHANNEL, "utm_source": "tiktok", "utm_medium": "paid_social"})
    for field, key in (("utm_campaign", "campaign_name"), ("utm_content", "ad_name")):
        value = optional_text(context, key, where)
        if value:
            fields[field] = value
    add_provenance(
        sorted_answers.answers,
        {
            "form_id": optional_id(context, "page_id", where),
            "form_name": optional_text(context, "page_name", where),
            "advertiser_id": optional_id(context, "advertiser_id", where),
            "library_id": optional_id(context, "library_id", where),
            "campaign_id": optional_id(context, "campaign_id", where),
            "adgroup_id": optional_id(context, "adgroup_id", where),
            "ad_id": optional_id(context, "ad_id", where),
            "lead_source": optional_text(context, "lead_source", where),
        },
    )
    return IncomingLead(
        fields=fields,
        source=PROVIDER,
        external_id=lead_id,
        occurred_at=occurred_at,
        answers=sorted_answers.answers,
    )
