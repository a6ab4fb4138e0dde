"""Facebook (Meta) Lead Ads: the subscription handshake, the signed webhook, and the lead read from Graph.

All of this follows Meta's documentation (Graph API "Webhooks: Getting Started" and "Webhooks for Leadgen",
Marketing API "Retrieving Leads"):

- Handshake: a GET with ``hub.mode=subscribe``, ``hub.verify_token`` and ``hub.challenge``; we echo the
  challenge only when the token is the one we configured.
- Delivery: a POST with ``{"object": "page", "entry": [{"id", "time", "changes": [{"field": "leadgen",
  "value": {"leadgen_id", "page_id", "form_id", "ad_id", "adgroup_id", "created_time"}}]}]}``, signed in
  ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body keyed with the app secret>``. It carries ids
  only; ``created_time`` is Unix seconds. Delivery is at-least-once, so the lead id is the natural key.
- The lead: ``GET /{leadgen_id}`` answers ``{"id", "created_time": "2026-11-20T03:12:45+0000", "ad_id",
  "form_id", "field_data": [{"name", "values": [...]}], "custom_disclaimer_responses": [{"checkbox_key",
  "is_checked": "1"}], ...}`` or, when refused, ``{"error": {"message", "type", "code", ...}}``.
"""

from __future__ import annotations

import hmac
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from typing import Any, Final

from pheu.capture.ads.answers import add_provenance, fold_question, sort_answers
from pheu.capture.ads.fetching import FetchError, LeadRef, Opener
from pheu.capture.ads.payload import (
    PayloadError,
    as_list,
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
)
from pheu.capture.ads.signing import body_hmac_matches, hmac_sha256_hex, require_secret
from pheu.capture.record import ConsentGiven, IncomingLead

PROVIDER: Final = "facebook"
CHANNEL: Final = "facebook_ads"
SIGNATURE_HEADER: Final = "X-Hub-Signature-256"
DEFAULT_API_VERSION: Final = "v21.0"
GRAPH_HOST: Final = "https://graph.facebook.com"
# What we ask Graph for. Ad and campaign names need the ads_read/ads_management permission; a token without it
# gets a Graph error, so pass a shorter ``fields`` to ``GraphApiFetcher`` for such pages.
LEAD_FIELDS_REQUESTED: Final = (
    "id", "created_time", "ad_id", "ad_name", "adset_id", "adset_name", "campaign_id", "campaign_name",
    "form_id", "field_data", "custom_disclaimer_responses", "is_organic", "platform",
)  # fmt: skip
GRAPH_TIME: Final = "%Y-%m-%dT%H:%M:%S%z"
# Graph error codes that mean "later": unknown/service errors and the rate limits (80005 is the leadgen one).
_RETRYABLE_CODES: Final = frozenset({1, 2, 4, 17, 32, 341, 613, 80005})
_TIMEOUT_SECONDS: Final = 15.0


def verify_subscription(params: Mapping[str, str], verify_token: str) -> str | None:
    """The ``hub.challenge`` to echo back (as the plain-text body of a 200) when Meta's subscription check is
    genuine, else ``None`` (answer 403). ``params`` is the query string of the GET, keys as sent."""
    require_secret(verify_token, "verify_token")
    if params.get("hub.mode") != "subscribe":
        return None
    given = params.get("hub.verify_token", "")
    if not hmac.compare_digest(given.encode("utf-8"), verify_token.encode("utf-8")):
        return None
    return params.get("hub.challenge") or None


def verify_signature(raw_body: bytes, header: str | None, app_secret: str) -> bool:
    """Whether ``X-Hub-Signature-256`` signs ``raw_body`` (the bytes as received, before any JSON parsing)
    with ``app_secret``. A missing header, another algorithm (``sha1=``) or a tampered body is ``False``."""
    require_secret(app_secret, "app_secret")
    if not header or not header.startswith("sha256="):
        return False
    return body_hmac_matches(raw_body, header.removeprefix("sha256="), app_secret)


def parse_webhook(payload: object) -> list[LeadRef]:
    """The leads a verified delivery announces, in order, each once. Changes to other Page fields (a Page
    may be subscribed to more than ``leadgen``) are skipped; a leadgen change without a lead id is a
    ``PayloadError`` naming its path."""
    root = as_object(payload, "")
    kind = required(root, "object", "")
    if kind != "page":
        raise PayloadError("object", f"is {kind!r}; lead webhooks come from the 'page' object")
    refs: dict[str, LeadRef] = {}
    for i, raw_entry in enumerate(list_at(root, "entry", "")):
        where = index_path("entry", i)
        entry = as_object(raw_entry, where)
        if entry.get("changes") is None:
            continue
        for j, raw_change in enumerate(list_at(entry, "changes", where)):
            ref = _lead_ref(raw_change, entry, index_path(key_path(where, "changes"), j), where)
            if ref is not None:
                refs.setdefault(ref.lead_id, ref)
    return list(refs.values())


def _lead_ref(
    raw_change: object, entry: Mapping[str, object], where: str, entry_where: str
) -> LeadRef | None:
    change = as_object(raw_change, where)
    if change.get("field") != "leadgen":
        return None
    value = object_at(change, "value", where)
    at = key_path(where, "value")
    return LeadRef(
        provider=PROVIDER,
        lead_id=required_id(value, "leadgen_id", at),
        form_id=optional_id(value, "form_id", at),
        ad_id=optional_id(value, "ad_id", at) or optional_id(value, "adgroup_id", at),
        page_id=optional_id(value, "page_id", at) or optional_id(entry, "id", entry_where),
        created_at=optional_unix_time(value, "created_time", at),
    )


def parse_lead(
    graph_response: object, *, ref: LeadRef | None = None, family_name_first: bool = True
) -> IncomingLead:
    """One lead as Graph returned it, as an ``IncomingLead`` for intake.

    Standard questions (``full_name``, ``email``, ``phone_number``, ...) and Vietnamese-labelled custom ones
    ("số_điện_thoại") become lead fields; other questions stay in ``answers`` under Meta's name for them.
    Ticked or unticked disclaimer checkboxes become consents. ``ref`` (from the webhook) supplies the page
    id and, if Graph omits it, the time. A Graph error body raises ``FetchError``; a body of the wrong
    shape raises ``PayloadError``.
    """
    root = as_object(graph_response, "")
    error = graph_error(root)
    if error is not None:
        raise error
    lead_id = required_id(root, "id", "")
    if ref is not None and ref.lead_id != lead_id:
        raise PayloadError("id", f"is {lead_id}, but the webhook announced lead {ref.lead_id}")
    sorted_answers = sort_answers(_field_data(root), family_name_first=family_name_first)
    fields = sorted_answers.fields
    fields.update(_attribution(root))
    add_provenance(
        sorted_answers.answers,
        {
            "form_id": optional_id(root, "form_id", ""),
            "ad_id": optional_id(root, "ad_id", ""),
            "adset_id": optional_id(root, "adset_id", ""),
            "campaign_id": optional_id(root, "campaign_id", ""),
            "page_id": ref.page_id if ref else None,
            "platform": optional_text(root, "platform", ""),
        },
    )
    created = root.get("created_time")
    return IncomingLead(
        fields=fields,
        source=PROVIDER,
        external_id=lead_id,
        occurred_at=(
            formatted_time(created, "created_time", GRAPH_TIME, "2026-11-20T03:12:45+0000")
            if created is not None
            else (ref.created_at if ref else None)
        ),
        consents=_consents(root),
        answers=sorted_answers.answers,
    )


def _field_data(root: Mapping[str, object]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for i, raw_item in enumerate(list_at(root, "field_data", "")):
        where = index_path("field_data", i)
        item = as_object(raw_item, where)
        name = text(required(item, "name", where), key_path(where, "name"))
        values_where = key_path(where, "values")
        values = as_list(required(item, "values", where), values_where)
        answer = ", ".join(text(v, index_path(values_where, k)).strip() for k, v in enumerate(values))
        pairs.append((name, answer))
    return pairs


def _attribution(root: Mapping[str, object]) -> dict[str, str]:
    organic = root.get("is_organic")
    out = {
        "channel": CHANNEL,
        "utm_source": "facebook",
        "utm_medium": "organic_social" if organic is True else "paid_social",
    }
    for field, key in (("utm_campaign", "campaign_name"), ("utm_content", "ad_name")):
        value = optional_text(root, key, "")
        if value:
            out[field] = value
    return out


def _consents(root: Mapping[str, object]) -> tuple[ConsentGiven, ...]:
    raw = root.get("custom_disclaimer_responses")
    if raw is None:
        return ()
    consents: list[ConsentGiven] = []
    for i, raw_item in enumerate(as_list(raw, "custom_disclaimer_responses")):
        where = index_path("custom_disclaimer_responses", i)
        item = as_object(raw_item, where)
        key = text(required(item, "checkbox_key", where), key_path(where, "checkbox_key")).strip()
        consents.append(
            ConsentGiven(
                purpose=consent_purpose(key),
                granted=_checked(item.get("is_checked"), key_path(where, "is_checked")),
                text=f"Facebook lead form checkbox '{key}'",
            )
        )
    return tuple(consents)


def consent_purpose(checkbox_key: str) -> str:
    """The consent purpose a disclaimer checkbox is about, judged from the key the advertiser gave it.

    A key that names no purpose we know is kept as it is, so the record says exactly what was ticked
    instead of guessing a purpose the person never agreed to.
    """
    folded = fold_question(checkbox_key)
    for purpose, hints in _PURPOSE_HINTS:
        if any(hint in folded for hint in hints):
            return purpose
    return checkbox_key[:40]


_PURPOSE_HINTS: Final = (
    ("zalo", ("zalo",)),
    ("sms", ("sms", "tin_nhan")),
    ("email_marketing", ("email", "newsletter", "ban_tin")),
    ("phone_call", ("call", "phone", "goi_dien", "dien_thoai")),
    ("data_processing", ("data", "privacy", "du_lieu", "ca_nhan", "xu_ly")),
)


def _checked(value: object, where: str) -> bool:
    """Meta writes a ticked box as ``"1"`` and an unticked one as ``""``; absent means not ticked (consent
    is never presumed)."""
    if value is None or value in ("", "0", 0, False):
        return False
    if value in ("1", 1, True) or (isinstance(value, str) and value.lower() == "true"):
        return True
    raise PayloadError(where, f'must be "1" or "", got {kind_of(value)} {value!r}')


def graph_error(body: Mapping[str, object]) -> FetchError | None:
    """The ``FetchError`` a Graph error body describes, or ``None`` if ``body`` is not an error."""
    raw = body.get("error")
    if raw is None:
        return None
    error = raw if isinstance(raw, dict) else {"message": raw}
    code = error.get("code")
    number = code if isinstance(code, int) and not isinstance(code, bool) else None
    message = error.get("message")
    kind = error.get("type")
    return FetchError(
        PROVIDER,
        message if isinstance(message, str) and message else "the Graph API refused without a message",
        code=number,
        kind=kind if isinstance(kind, str) else None,
        retryable=error.get("is_transient") is True or number in _RETRYABLE_CODES,
    )


class GraphApiFetcher:
    """Reads leads from the Graph API with a Page access token that has ``leads_retrieval``.

    ``opener`` makes the HTTP call (default: ``urllib_opener``); tests pass one that returns recorded
    bytes. With ``app_secret`` every call carries ``appsecret_proof``, which Meta can be set to require.
    The token travels in the URL as Meta documents, so never log a lead URL.
    """

    def __init__(
        self,
        access_token: str,
        api_version: str = DEFAULT_API_VERSION,
        opener: Opener | None = None,
        *,
        app_secret: str | None = None,
        fields: Sequence[str] = LEAD_FIELDS_REQUESTED,
    ) -> None:
        require_secret(access_token, "access_token")
        self._token = access_token
        self._version = api_version
        self._open = opener or urllib_opener
        self._proof = hmac_sha256_hex(app_secret, access_token.encode("utf-8")) if app_secret else None
        self._fields = ",".join(fields)

    def lead_url(self, lead_id: str) -> str:
        if not lead_id.isdigit():
            raise ValueError(f"{lead_id!r} is not a Graph lead id (digits only)")
        query = {"access_token": self._token, "fields": self._fields}
        if self._proof:
            query["appsecret_proof"] = self._proof
        return f"{GRAPH_HOST}/{self._version}/{lead_id}?{urllib.parse.urlencode(query)}"

    def fetch(self, lead_id: str) -> dict[str, Any]:
        """The lead's Graph object, ready for ``parse_lead``; ``FetchError`` carries Graph's own message."""
        body = self._open(self.lead_url(lead_id))
        try:
            decoded = json.loads(body)
        except ValueError:
            snippet = body[:120].decode("utf-8", "replace")
            raise FetchError(
                PROVIDER, f"the Graph API answered with non-JSON: {snippet!r}", retryable=True
            ) from None
        if not isinstance(decoded, dict):
            raise FetchError(PROVIDER, f"the Graph API answered with {kind_of(decoded)}, not an object")
        error = graph_error(decoded)
        if error is not None:
            raise error
        return decoded


def urllib_opener(url: str) -> bytes:
    """GET ``url`` and return the body, including the body of a 4xx/5xx (Graph explains refusals there)."""
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310 (URL is ours)
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT_SECONDS) as response:  # noqa: S310
            body: bytes = response.read()
            return body
    except urllib.error.HTTPError as exc:
        with exc:
            error_body: bytes = exc.read()
            return error_body
    except OSError as exc:  # URLError, timeouts, resets: the network, not Graph
        reason = getattr(exc, "reason", exc)
        raise FetchError(PROVIDER, f"could not reach the Graph API: {reason}", retryable=True) from exc
