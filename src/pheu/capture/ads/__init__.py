"""Leads from ad platforms' lead forms: Facebook Lead Ads, TikTok Lead Generation and Zalo.

Each platform module is pure (no clock, no logging, no database) and offers the same steps, so the web shell
that receives a webhook stays a few lines:

1. ``verify_signature(raw_body, header, secret...)`` on the bytes exactly as received - before parsing;
   Facebook also has ``verify_subscription`` for its GET handshake.
2. ``parse_webhook(json.loads(raw_body))``: TikTok and Zalo send the answers, giving ``IncomingLead``
   values; Facebook sends ids only, giving ``LeadRef`` values to fetch later with a ``LeadFetcher``
   (``facebook.GraphApiFetcher``) and turn into ``IncomingLead`` with ``facebook.parse_lead``.
3. Intake (``pheu.capture.intake``) cleans, dedupes and stores. ``external_id`` is the platform's lead id,
   the natural key that makes the platforms' at-least-once redeliveries harmless.

A body of the wrong shape raises ``PayloadError`` naming the JSON path (``entry[0].changes[0].value.leadgen_id
is missing``); a platform refusing a fetch raises ``FetchError`` with its own message. Questions are mapped to
lead fields by ``answers`` (English and Vietnamese labels); the rest stay in ``IncomingLead.answers``, and the
form/ad/campaign ids under ``ads.<name>`` keys there. Each module's docstring says which parts of its
format are documented by the platform and which are assumed (Zalo Ads lead forms are).
"""
