"""Words for stage reasons and "what is missing", in Vietnamese and English, kept apart from the rules.

Each condition reads two ways: as met ("đã đồng ý nhận email") for the reason a move was made, and as missing
("cần đồng ý nhận email") for what would move the lead on. Unknown purposes and event types show as stored.
"""

from __future__ import annotations

from typing import Final

from pheu.score.model import Condition

Lang = str

PURPOSES: Final[dict[str, tuple[str, str]]] = {
    "email_marketing": ("nhận email", "marketing email"),
    "zalo": ("nhận tin Zalo", "Zalo messages"),
    "phone_call": ("nhận cuộc gọi tư vấn", "sales calls"),
    "sms": ("nhận tin nhắn SMS", "text messages"),
}

EVENTS: Final[dict[str, tuple[str, str]]] = {
    "page_view": ("xem trang", "a page view"),
    "pricing_page_view": ("xem bảng giá", "a pricing page view"),
    "form_submit": ("điền form", "a form"),
    "ad_lead_submit": ("điền form quảng cáo", "an ad form"),
    "email_open": ("mở email", "an email open"),
    "email_click": ("bấm link trong email", "an email click"),
    "download": ("tải tài liệu", "a download"),
    "coupon_redeem": ("dùng mã giảm giá", "a coupon"),
    "webinar_attend": ("dự webinar", "a webinar"),
    "event_attend": ("dự sự kiện", "an event"),
    "reply": ("trả lời", "a reply"),
    "call": ("cuộc gọi", "a call"),
    "meeting": ("gặp tư vấn", "a meeting"),
    "unsubscribe": ("hủy đăng ký", "an unsubscribe"),
    "bounce": ("email bị trả về", "a bounce"),
}


def number(value: float, lang: Lang) -> str:
    """A score as people write it: no '.0', a decimal comma in Vietnamese."""
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if lang == "vi" else text


def _either(words: list[str], lang: Lang) -> str:
    if len(words) <= 1:
        return "".join(words)
    joiner = " hoặc " if lang == "vi" else " or "
    return ", ".join(words[:-1]) + joiner + words[-1]


def _pick(table: dict[str, tuple[str, str]], key: str, lang: Lang) -> str:
    vi, en = table.get(key, (key, key))
    return en if lang == "en" else vi


def _days(days: float | None, lang: Lang) -> str:
    if days is None:
        return ""
    return (
        f" trong {number(days, 'vi')} ngày qua" if lang == "vi" else f" in the last {number(days, 'en')} days"
    )


def met(cond: Condition, fit: float, lang: Lang) -> str:
    """The condition as a reason: what the lead has."""
    vi = lang != "en"
    if cond.kind == "has_email_or_phone":
        return "có email hoặc số điện thoại" if vi else "email or phone known"
    if cond.kind in ("has_email", "has_phone"):
        what = "email" if cond.kind == "has_email" else ("số điện thoại" if vi else "phone")
        return f"có {what}" if vi else f"{what} known"
    if cond.kind == "has_consent":
        purposes = _either([_pick(PURPOSES, p, lang) for p in cond.purposes], lang)
        return f"đã đồng ý {purposes}" if vi else f"consented to {purposes}"
    if cond.kind == "has_event":
        events = _either([_pick(EVENTS, e, lang) for e in cond.event_types], lang)
        return (
            f"có {events}{_days(cond.within_days, lang)}"
            if vi
            else f"{events}{_days(cond.within_days, lang)}"
        )
    if cond.kind == "min_fit":
        value = number(cond.value or 0, lang)
        return f"điểm phù hợp {number(fit, lang)} ≥ {value}" if vi else f"fit {number(fit, lang)} ≥ {value}"
    return f"không bị gắn cờ {cond.flag}" if vi else f"not flagged {cond.flag}"


def missing(cond: Condition, fit: float, lang: Lang) -> str:
    """The condition as a gap: what the lead still needs."""
    vi = lang != "en"
    if cond.kind == "has_email_or_phone":
        return (
            "cần email hoặc số điện thoại dùng được" if vi else "needs a usable email address or phone number"
        )
    if cond.kind in ("has_email", "has_phone"):
        what = (
            ("email" if vi else "email address")
            if cond.kind == "has_email"
            else ("số điện thoại" if vi else "phone number")
        )
        return f"cần {what} dùng được" if vi else f"needs a usable {what}"
    if cond.kind == "has_consent":
        purposes = _either([_pick(PURPOSES, p, lang) for p in cond.purposes], lang)
        return f"cần đồng ý {purposes}" if vi else f"needs consent to {purposes}"
    if cond.kind == "has_event":
        events = _either([_pick(EVENTS, e, lang) for e in cond.event_types], lang)
        return (
            f"cần {events}{_days(cond.within_days, lang)}"
            if vi
            else f"needs {events}{_days(cond.within_days, lang)}"
        )
    if cond.kind == "min_fit":
        value = number(cond.value or 0, lang)
        now = number(fit, lang)
        return (
            f"cần điểm phù hợp từ {value} (đang có {now})"
            if vi
            else f"needs a fit of at least {value} (now {now})"
        )
    return f"cần gỡ cờ {cond.flag}" if vi else f"needs the {cond.flag} flag cleared"


def points_missing(total: float, needed: float, lang: Lang) -> str:
    gap = number(needed - total, lang)
    if lang == "en":
        return f"needs {gap} more points ({number(total, lang)} of {number(needed, lang)})"
    return f"cần thêm {gap} điểm (đang có {number(total, lang)}, cần {number(needed, lang)})"


def points_met(total: float, needed: float, lang: Lang) -> str:
    return (
        f"điểm {number(total, lang)} ≥ {number(needed, lang)}"
        if lang != "en"
        else f"score {number(total, lang)} ≥ {number(needed, lang)}"
    )
