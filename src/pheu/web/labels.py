"""What a person reads for each code the store keeps: stages, channels, roles, event types, purposes.

Each value is an English msgid marked with ``N_``; templates translate it for the request's language. A code
missing here (a new event type from an integration, say) is shown as it is rather than hidden.
"""

from __future__ import annotations

from typing import Final

from pheu.i18n import N_

STAGES: Final[dict[str, str]] = {
    "iql": N_("IQL – Cold"),
    "mql": N_("MQL – Warm"),
    "sql": N_("SQL – Hot"),
    "opportunity": N_("Opportunity"),
    "customer": N_("Customer"),
    "lost": N_("Lost"),
    "disqualified": N_("Disqualified"),
    "applicant": N_("Applicant"),
    "interview": N_("Interview"),
    "hired": N_("Hired"),
    "rejected": N_("Rejected"),
}

KINDS: Final[dict[str, str]] = {
    "sales": N_("Sales"),
    "recruitment": N_("Recruitment"),
}

CHANNELS: Final[dict[str, str]] = {
    "facebook_ads": N_("Facebook Ads"),
    "tiktok_ads": N_("TikTok Ads"),
    "zalo": N_("Zalo"),
    "google_ads": N_("Google Ads (SEM)"),
    "seo": N_("SEO / organic"),
    "organic": N_("SEO / organic"),
    "landing_page": N_("Landing page"),
    "email": N_("Email"),
    "affiliate": N_("Affiliate"),
    "pr_event": N_("PR / event"),
    "event": N_("PR / event"),
    "referral": N_("Referral"),
    "import": N_("Import (bought or third-party list)"),
    "direct": N_("Direct"),
    "other": N_("Other"),
}

ROLES: Final[dict[str, str]] = {
    "admin": N_("Administrator"),
    "marketing": N_("Marketing"),
    "sales_manager": N_("Sales manager"),
    "sales_rep": N_("Sales rep"),
}

# (label, Bootstrap Icons name) per event type.
EVENT_TYPES: Final[dict[str, tuple[str, str]]] = {
    "page_view": (N_("Visited a page"), "eye"),
    "pricing_view": (N_("Viewed the pricing page"), "tag"),
    "pricing_page_view": (N_("Viewed the pricing page"), "tag"),
    "product_view": (N_("Viewed a product page"), "box-seam"),
    "form_submit": (N_("Submitted a form"), "ui-checks"),
    "email_sent": (N_("Was sent an email"), "send"),
    "email_open": (N_("Opened an email"), "envelope-open"),
    "email_click": (N_("Clicked a link in an email"), "cursor"),
    "email_reply": (N_("Replied to an email"), "reply"),
    "email_bounce": (N_("Email bounced"), "envelope-x"),
    "bounce": (N_("Email bounced"), "envelope-x"),
    "reply": (N_("Replied"), "reply"),
    "unsubscribe": (N_("Unsubscribed"), "bell-slash"),
    "download": (N_("Downloaded content"), "download"),
    "webinar_attended": (N_("Attended a webinar"), "camera-video"),
    "webinar_attend": (N_("Attended a webinar"), "camera-video"),
    "event_attended": (N_("Attended an event"), "calendar-event"),
    "event_attend": (N_("Attended an event"), "calendar-event"),
    "coupon_redeemed": (N_("Used a coupon"), "ticket-perforated"),
    "coupon_redeem": (N_("Used a coupon"), "ticket-perforated"),
    "social_interaction": (N_("Interacted on social media"), "hand-thumbs-up"),
    "chat_message": (N_("Sent a chat message"), "chat-dots"),
    "zalo_message": (N_("Sent a Zalo message"), "chat-dots"),
    "call": (N_("Phone call"), "telephone"),
    "meeting": (N_("Meeting"), "people"),
    "demo_request": (N_("Requested a demo"), "easel"),
    "trial_started": (N_("Started a trial"), "rocket-takeoff"),
    "purchase": (N_("Made a purchase"), "bag-check"),
    "note": (N_("Note"), "journal-text"),
}

# Event properties worth showing on the timeline, by key; other keys are shown as they are, ids never.
EVENT_PROPERTIES: Final[dict[str, str]] = {
    "url": N_("Page"),
    "subject": N_("Subject"),
    "asset": N_("Content"),
    "code": N_("Code"),
    "discount_pct": N_("Discount (%)"),
    "webinar": N_("Webinar"),
    "minutes": N_("Minutes"),
    "event": N_("Event"),
    "channel": N_("Channel"),
    "text": N_("Message"),
    "outcome": N_("Outcome"),
    "duration_s": N_("Duration (seconds)"),
    "list": N_("List"),
    "kind": N_("Type"),
    "smtp": N_("Mail server reply"),
    "form": N_("Form"),
    "title": N_("Title"),
}

ACTOR_TYPES: Final[dict[str, str]] = {
    "user": N_("a person"),
    "api": N_("the API"),
    "system": N_("the system"),
    "model": N_("the scoring model"),
    "import": N_("an import"),
}

LEAD_MAGNETS: Final[dict[str, str]] = {
    "coupon": N_("Coupon"),
    "ebook": N_("E-book"),
    "webinar": N_("Webinar"),
    "trial": N_("Free trial"),
    "newsletter": N_("Newsletter"),
    "event": N_("Event"),
    "consultation": N_("Free consultation"),
    "job_application": N_("Job application"),
    "other": N_("Other"),
}

CONSENT_PURPOSES: Final[dict[str, str]] = {
    "email_marketing": N_("Marketing emails"),
    "sms": N_("SMS"),
    "phone_call": N_("Phone calls"),
    "zalo": N_("Zalo messages"),
    "data_processing": N_("Processing of personal data"),
}

GENDERS: Final[dict[str, str]] = {
    "female": N_("Female"),
    "male": N_("Male"),
    "other": N_("Other"),
}

SORTS: Final[dict[str, str]] = {
    "-created_at": N_("Newest first"),
    "created_at": N_("Oldest first"),
    "-updated_at": N_("Recently updated"),
    "updated_at": N_("Least recently updated"),
    "-score": N_("Highest score"),
    "score": N_("Lowest score"),
    "name": N_("Name A–Z"),
    "-name": N_("Name Z–A"),
}
