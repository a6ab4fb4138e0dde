"""The model Phễu ships with: a Vietnamese SME selling sales-and-marketing training and a sales app to shop
owners and small businesses (the demo's company). A starting point to tune with the backtest, not a truth.

Fit rewards people who decide (directors, owners, heads of department), companies of 10–199 people, the
retail-like industries the product serves and the big cities. Behaviour rewards what the source articles
call buying signals: replies, calls, meetings, pricing-page visits and events above opens and page views,
with caps so a hundred page views do not make a buyer and half-lives so last quarter's interest fades.
"""

from __future__ import annotations

from pheu.lifecycle import Stage
from pheu.score.model import (
    BehaviourRule,
    Condition,
    FitRule,
    PropertyCondition,
    Rule,
    ScoringModel,
    StageRule,
    TemperatureBands,
)

# Placeholders: a team lists its real competitors' domains here.
COMPETITOR_DOMAINS = ("doithu.vn", "competitor.example")
ENGAGED_EVENTS = (
    "email_open",
    "email_click",
    "pricing_page_view",
    "reply",
    "call",
    "meeting",
    "webinar_attend",
)


def _fit_rules() -> tuple[FitRule, ...]:
    return (
        FitRule("nguoi-quyet-dinh", "job_title", "pattern", 15, "Người quyết định (giám đốc, chủ doanh nghiệp)",
                "Decision maker (director, owner)",
                value=r"^(pho )?giam doc|^chu |\b(ceo|founder|owner|director)\b"),
        FitRule("quan-ly", "job_title", "pattern", 10, "Quản lý (trưởng phòng, trưởng nhóm, quản lý)",
                "Manager (head of department, team lead)",
                value=r"^truong (phong|nhom)|^quan ly|ke toan truong|\b(manager|head of)\b"),
        FitRule("quy-mo-phu-hop", "company_size", "one_of", 10, "Công ty 10–199 người", "Company of 10–199 people",
                values=("10-49", "50-199")),
        FitRule("quy-mo-khac", "company_size", "one_of", 5, "Hộ kinh doanh hoặc công ty lớn",
                "Small shop or large company", values=("1-9", "200-499", "500+")),
        FitRule("nganh-muc-tieu", "industry", "one_of", 8, "Ngành mục tiêu (bán lẻ, F&B, làm đẹp, giáo dục)",
                "Target industry (retail, F&B, beauty, education)",
                values=("Bán lẻ", "F&B", "Spa & Làm đẹp", "Giáo dục")),
        FitRule("thanh-pho-lon", "province", "one_of", 5, "Ở thành phố lớn", "In a major city",
                values=("TP. Hồ Chí Minh", "Hà Nội", "Đà Nẵng", "Hải Phòng", "Cần Thơ")),
        FitRule("co-cong-ty", "company", "present", 5, "Có tên công ty", "Company name given"),
        FitRule("co-so-dien-thoai", "phone", "present", 5, "Có số điện thoại", "Phone number given"),
        FitRule("quan-tam-ban-hang", "interests", "one_of", 5, "Quan tâm bán hàng, quản lý khách hàng",
                "Interested in selling or customer management",
                values=("Bán hàng đa kênh", "Quản lý khách hàng", "Livestream bán hàng", "TikTok Shop",
                        "Marketing online")),
    )  # fmt: skip


def _behaviour(rule_id: str, event_type: str, points: float, cap: float, period: float, half_life: float,
               vi: str, en: str, *when: PropertyCondition) -> BehaviourRule:  # fmt: skip
    return BehaviourRule(rule_id, event_type, points, vi, en, when=when, cap=cap, period_days=period,
                         half_life_days=half_life)  # fmt: skip


def _behaviour_rules() -> tuple[BehaviourRule, ...]:
    return (
        _behaviour("dien-form", "form_submit", 10, 20, 30, 60, "Điền form", "Filled in a form"),
        _behaviour("form-quang-cao", "ad_lead_submit", 10, 20, 30, 60, "Điền form quảng cáo", "Filled in an ad form"),
        _behaviour("xem-trang", "page_view", 1, 10, 30, 14, "Xem trang", "Viewed a page"),
        _behaviour("xem-bang-gia", "pricing_page_view", 8, 24, 30, 21, "Xem bảng giá", "Viewed the pricing page"),
        _behaviour("mo-email", "email_open", 2, 10, 30, 30, "Mở email", "Opened an email"),
        _behaviour("bam-email", "email_click", 4, 16, 30, 30, "Bấm link trong email", "Clicked a link in an email"),
        _behaviour("tai-tai-lieu", "download", 6, 18, 30, 45, "Tải tài liệu", "Downloaded a resource"),
        _behaviour("dung-ma-giam-gia", "coupon_redeem", 10, 10, 30, 45, "Dùng mã giảm giá", "Redeemed a coupon"),
        _behaviour("du-webinar", "webinar_attend", 8, 16, 90, 60, "Tham dự webinar", "Attended a webinar"),
        _behaviour("du-webinar-lau", "webinar_attend", 4, 8, 90, 60, "Ở lại webinar từ 30 phút",
                   "Stayed 30 minutes or more in a webinar", PropertyCondition("minutes", "at_least", "30")),
        _behaviour("du-su-kien", "event_attend", 12, 24, 90, 60, "Tham dự sự kiện", "Attended an event"),
        _behaviour("tra-loi", "reply", 10, 30, 30, 30, "Trả lời (email, Zalo)", "Replied (email, Zalo)"),
        _behaviour("nghe-may", "call", 6, 18, 30, 30, "Nghe máy khi được gọi", "Answered a call",
                   PropertyCondition("outcome", "equals", "reached")),
        _behaviour("gap-mat", "meeting", 15, 30, 30, 45, "Gặp tư vấn", "Met with sales"),
    )  # fmt: skip


def _negative_rules() -> tuple[Rule, ...]:
    return (
        BehaviourRule("huy-dang-ky", "unsubscribe", -20, "Hủy đăng ký nhận email", "Unsubscribed from email",
                      cap=20),
        BehaviourRule("email-bi-tra-ve", "bounce", -15, "Email bị trả về", "Email bounced", cap=15),
        FitRule("email-dung-mot-lan", "flags", "equals", -20, "Email dùng một lần", "Disposable email address",
                value="email_disposable"),
        FitRule("email-sai", "flags", "one_of", -10, "Email sai hoặc giả", "Invalid or fake email address",
                values=("email_invalid", "email_fake")),
        FitRule("danh-sach-mua", "flags", "equals", -10, "Từ danh sách mua, chưa từng đồng ý",
                "From a bought list, never opted in", value="bought_list"),
        FitRule("doi-thu", "email_domain", "one_of", -50, "Email tên miền đối thủ", "Competitor's email domain",
                values=COMPETITOR_DOMAINS),
        FitRule("ung-vien", "kind", "equals", -100, "Ứng viên tuyển dụng, không phải khách hàng",
                "Job applicant, not a buyer", value="recruitment"),
        FitRule("sinh-vien", "job_title", "pattern", -5, "Sinh viên (chưa có nhu cầu mua)",
                "Student (no buying need yet)", value=r"sinh vien|\bstudent\b"),
    )  # fmt: skip


def default_model() -> ScoringModel:
    """MQL: reachable, opted in to some contact, 40 points. SQL: 70 points, fits the profile (fit ≥ 10) and
    engaged with email, pricing or sales in the last 30 days. Warm from 40, hot from 70."""
    mql = StageRule(
        Stage.MQL,
        40,
        (
            Condition("has_email_or_phone"),
            Condition("has_consent", purposes=("email_marketing", "zalo", "phone_call")),
        ),
    )
    sql = StageRule(
        Stage.SQL,
        70,
        (
            Condition("has_email_or_phone"),
            Condition("min_fit", value=10),
            Condition("has_event", event_types=ENGAGED_EVENTS, within_days=30),
        ),
    )
    return ScoringModel(
        name="mac-dinh",
        version=1,
        description_vi="Mô hình mặc định cho SME Việt Nam: hồ sơ phù hợp cộng hành vi gần đây, trừ điểm tín hiệu xấu.",
        description_en="Default model for a Vietnamese SME: profile fit plus recent behaviour, minus bad signals.",
        fit_rules=_fit_rules(),
        behaviour_rules=_behaviour_rules(),
        negative_rules=_negative_rules(),
        stages=(mql, sql),
        temperature=TemperatureBands(warm_at=40, hot_at=70),
    )
