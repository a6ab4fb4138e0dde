"""The business side of the demo: who the leads work for, what the SME markets to them, and what sales says.

The demo company sells sales-and-marketing training and a sales management app to shop owners and small
businesses, so its leads are a mix of businesses (B2B) and individuals, and its campaigns follow the
Vietnamese shopping calendar (double-day sales, Black Friday, Tết).
"""

from __future__ import annotations

from typing import Final

INDUSTRIES: Final[tuple[tuple[str, float], ...]] = (
    ("Bán lẻ", 20),
    ("F&B", 14),
    ("Giáo dục", 10),
    ("Spa & Làm đẹp", 10),
    ("Bất động sản", 8),
    ("Sản xuất", 10),
    ("Logistics", 6),
    ("Công nghệ", 9),
    ("Du lịch", 6),
    ("Tài chính", 7),
)

# Words a company in each industry puts between its legal form and its proper name.
INDUSTRY_WORDS: Final[dict[str, tuple[str, ...]]] = {
    "Bán lẻ": ("Thương mại", "Thương mại Dịch vụ", "Siêu thị", "Phân phối"),
    "F&B": ("Thực phẩm", "Ẩm thực", "Cà phê", "Nhà hàng"),
    "Giáo dục": ("Giáo dục", "Đào tạo", "Anh ngữ", "Giáo dục và Đào tạo"),
    "Spa & Làm đẹp": ("Thẩm mỹ", "Mỹ phẩm", "Chăm sóc sắc đẹp"),
    "Bất động sản": ("Địa ốc", "Đầu tư Bất động sản", "Bất động sản"),
    "Sản xuất": ("Sản xuất", "Bao bì", "Cơ khí", "Nhựa", "Dệt may", "Nội thất"),
    "Logistics": ("Vận tải", "Giao nhận", "Logistics", "Chuyển phát"),
    "Công nghệ": ("Công nghệ", "Giải pháp Phần mềm", "Công nghệ Số", "Tin học"),
    "Du lịch": ("Du lịch", "Lữ hành", "Du lịch và Sự kiện"),
    "Tài chính": ("Tư vấn Tài chính", "Bảo hiểm", "Kế toán Thuế", "Đầu tư"),
}

# Short English-ish tags that Vietnamese SMEs like to put in their domain names.
INDUSTRY_DOMAIN_TAGS: Final[dict[str, tuple[str, ...]]] = {
    "Bán lẻ": ("shop", "mart", "store"),
    "F&B": ("food", "coffee", "kitchen"),
    "Giáo dục": ("edu", "academy", "english"),
    "Spa & Làm đẹp": ("spa", "beauty", "cosmetics"),
    "Bất động sản": ("land", "homes", "realty"),
    "Sản xuất": ("pack", "steel", "plastic", "factory"),
    "Logistics": ("express", "logistics", "trans"),
    "Công nghệ": ("tech", "soft", "digital"),
    "Du lịch": ("travel", "tour", "trip"),
    "Tài chính": ("finance", "invest", "consult"),
}

COMPANY_PROPER_NAMES: Final[tuple[str, ...]] = (
    "Minh Phát", "An Khang", "Thành Đạt", "Hoàng Gia", "Phú Quý", "Việt Tiến", "Sao Mai", "Tân Phú",
    "Đại Nam", "Hưng Thịnh", "Kim Long", "Phương Đông", "Bình Minh", "Ánh Dương", "Thiên Phúc", "Hải Âu",
    "Trường Sơn", "Sen Vàng", "Lộc Phát", "Nam Việt", "Đông Á", "Bảo Tín", "Gia Huy", "An Phú", "Vạn Xuân",
    "Hòa Bình", "Thịnh Vượng", "Quang Minh", "Tâm Đức", "Hồng Hà", "Cửu Long", "Mekong", "Sài Gòn Xanh",
    "Thăng Long", "Hạnh Phúc", "Ngọc Lan", "Tín Nghĩa", "Phúc An", "Đất Việt", "Toàn Cầu", "Kiến Vàng",
    "Mặt Trời", "Hoa Sen", "Trúc Xanh", "Biển Xanh", "Tài Lộc", "Vĩnh Hưng", "Khải Hoàn", "Á Châu", "Nhật Minh",
)  # fmt: skip

LEGAL_FORMS: Final[tuple[tuple[str, float], ...]] = (
    ("Công ty TNHH", 55),
    ("Công ty Cổ phần", 25),
    ("Hộ kinh doanh", 12),
    ("Công ty TNHH MTV", 8),
)

COMPANY_SIZES: Final[tuple[tuple[str, float], ...]] = (
    ("1-9", 35),
    ("10-49", 35),
    ("50-199", 20),
    ("200-499", 7),
    ("500+", 3),
)

B2B_JOB_TITLES: Final[tuple[tuple[str, float], ...]] = (
    ("Giám đốc", 12),
    ("Phó Giám đốc", 4),
    ("Chủ doanh nghiệp", 8),
    ("Chủ cửa hàng", 9),
    ("Trưởng phòng Marketing", 10),
    ("Trưởng phòng Kinh doanh", 9),
    ("Kế toán trưởng", 4),
    ("Trưởng phòng Nhân sự", 3),
    ("Nhân viên kinh doanh", 10),
    ("Nhân viên Marketing", 9),
    ("Chuyên viên Digital Marketing", 6),
    ("Quản lý cửa hàng", 6),
    ("Trợ lý Giám đốc", 3),
    ("Trưởng nhóm bán hàng", 4),
)

B2C_JOB_TITLES: Final[tuple[tuple[str | None, float], ...]] = (
    ("Chủ shop online", 20),
    ("Kinh doanh tự do", 14),
    ("Nhân viên văn phòng", 18),
    ("Sinh viên", 8),
    ("Giáo viên", 5),
    ("Freelancer", 6),
    ("Nội trợ", 3),
    ("Cộng tác viên bán hàng", 8),
    (None, 18),
)

INTERESTS: Final[tuple[str, ...]] = (
    "Marketing online", "Bán hàng đa kênh", "Quản lý khách hàng", "Chăm sóc khách hàng",
    "Livestream bán hàng", "Quảng cáo Facebook", "TikTok Shop", "Zalo OA", "SEO", "Email marketing",
    "Khởi nghiệp", "Quản trị tài chính", "Nhân sự", "Thương mại điện tử", "Du lịch", "Làm đẹp", "Ẩm thực",
    "Đầu tư", "Công nghệ", "Kỹ năng lãnh đạo",
)  # fmt: skip

RECRUITMENT_POSITIONS: Final[tuple[tuple[str, str], ...]] = (
    ("Nhân viên kinh doanh", "nhan-vien-kinh-doanh"),
    ("Chuyên viên Digital Marketing", "chuyen-vien-digital-marketing"),
    ("Nhân viên chăm sóc khách hàng", "nhan-vien-cham-soc-khach-hang"),
    ("Kế toán tổng hợp", "ke-toan-tong-hop"),
    ("Lập trình viên Python", "lap-trinh-vien-python"),
)

# Month themes for campaigns; {year} is the calendar year, {tet} the name of the coming lunar new year.
MONTH_THEMES: Final[dict[int, tuple[str, ...]]] = {
    1: ("Tết {tet} – Ưu đãi sắm Tết", "Lì xì đầu năm – Giảm 20%", "Khai xuân {year} – Tặng 1 tháng dùng thử"),
    2: (
        "Khai xuân {tet} – Ưu đãi đầu năm",
        "Valentine 14/2 – Quà tặng khách mới",
        "Kế hoạch kinh doanh {year}",
    ),
    3: ("8/3 – Tri ân phái đẹp giảm 25%", "Quý 1 {year} – Tăng tốc doanh số", "Mùa mua sắm tháng 3"),
    4: ("Đại lễ 30/4 – 1/5 giảm 30%", "Sale 4.4 – Ưu đãi chớp nhoáng", "Combo đào tạo quý 2"),
    5: ("Sale 5.5 – Giảm sốc giữa tháng", "Mùa hè bùng nổ {year}", "Ebook: Kế hoạch marketing mùa hè"),
    6: ("Sale 6.6 – Giữa năm giảm 30%", "Ưu đãi giữa năm {year}", "Mùa hè bán hàng đa kênh"),
    7: ("Sale 7.7 – Ưu đãi tháng 7", "Khóa học Livestream bán hàng tháng 7", "Tăng tốc nửa cuối năm {year}"),
    8: (
        "Sale 8.8 – Ngày hội mua sắm",
        "Mùa tựu trường {year} – Ưu đãi học phí",
        "Tư vấn 1:1 miễn phí tháng 8",
    ),
    9: (
        "Mừng Quốc khánh 2/9 – Giảm 29%",
        "Trung thu {year} – Quà tặng doanh nghiệp",
        "Sale 9.9 – Siêu ưu đãi",
    ),
    10: ("Sale 10.10 – Giảm đến 40%", "20/10 – Tri ân phụ nữ Việt Nam", "Chuẩn bị mùa cao điểm cuối năm"),
    11: (
        "Black Friday {year} – Giảm 30%",
        "Sale 11.11 – Ngày độc thân",
        "Tri ân 20/11 – Ưu đãi ngành giáo dục",
    ),
    12: (
        "Sale 12.12 – Tổng kết năm",
        "Giáng sinh {year} – Quà tặng khách hàng",
        "Tết {tet} – Đặt sớm giá tốt",
    ),
}

GOOGLE_KEYWORDS: Final[tuple[str, ...]] = (
    "phần mềm quản lý bán hàng", "phan mem crm", "khóa học marketing online", "quản lý khách hàng tiềm năng",
    "cách chạy quảng cáo facebook", "bán hàng đa kênh", "phần mềm quản lý lead", "học livestream bán hàng",
    "pheu demo", "phễu bán hàng là gì",
)  # fmt: skip

AFFILIATE_NETWORKS: Final[tuple[str, ...]] = ("accesstrade", "masoffer", "ecomobi", "dinos")
AD_CREATIVES: Final[tuple[str, ...]] = ("video-15s", "video-30s", "carousel", "single-image", "lead-form")

BLOG_POSTS: Final[tuple[str, ...]] = (
    "lead-la-gi", "cach-tang-ty-le-chuyen-doi", "pheu-ban-hang-cho-sme", "cham-diem-lead",
    "mau-kich-ban-telesales", "email-marketing-cho-nguoi-moi", "ban-hang-tren-tiktok-shop",
    "quan-ly-khach-hang-bang-excel-hay-crm",
)  # fmt: skip

PAGES: Final[tuple[str, ...]] = (
    "/", "/tinh-nang", "/khach-hang", "/blog", "/blog/lead-la-gi", "/blog/cham-diem-lead",
    "/khoa-hoc/ban-hang-da-kenh", "/khoa-hoc/livestream", "/lien-he", "/ve-chung-toi",
)  # fmt: skip

EMAIL_SUBJECTS: Final[tuple[str, ...]] = (
    "Ưu đãi 30% chỉ trong 48 giờ",
    "Ebook: 7 bước xây dựng phễu bán hàng",
    "Mời bạn tham dự webinar Bán hàng đa kênh",
    "Case study: Chuỗi cửa hàng tăng 40% doanh thu",
    "Bản tin tháng: Xu hướng marketing cuối năm",
    "Nhắc lịch: Webinar bắt đầu sau 1 giờ",
    "Báo giá và tài liệu bạn yêu cầu",
    "5 mẫu kịch bản chăm sóc khách hàng qua Zalo",
    "Bạn còn quan tâm đến giải pháp của chúng tôi?",
)

ASSETS: Final[tuple[str, ...]] = (
    "Ebook: 7 bước xây dựng phễu bán hàng",
    "Checklist: Chạy quảng cáo Facebook hiệu quả",
    "Mẫu kế hoạch marketing (Excel)",
    "Báo cáo: Xu hướng TikTok Shop 2026",
    "Bộ kịch bản chăm sóc khách hàng qua Zalo",
)

REPLY_SNIPPETS: Final[tuple[str, ...]] = (
    "Cho mình xin báo giá gói doanh nghiệp",
    "Bên mình có hỗ trợ trả góp không?",
    "Mình muốn đặt lịch tư vấn vào tuần sau",
    "Phần mềm có kết nối được với Shopee không ạ?",
    "Cảm ơn, mình sẽ trao đổi lại với sếp",
    "Gửi giúp mình hợp đồng mẫu nhé",
)

# The codes the call log records (pheu.handoff.outcomes.CallOutcome), so scoring reads both alike.
CALL_OUTCOMES: Final[tuple[str, ...]] = ("reached", "no_answer", "call_back", "busy")
MEETING_TITLES: Final[tuple[str, ...]] = (
    "Demo sản phẩm",
    "Tư vấn giải pháp",
    "Trao đổi báo giá",
    "Họp chốt hợp đồng",
    "Hướng dẫn sử dụng",
)

LOST_REASONS: Final[tuple[tuple[str, float], ...]] = (
    ("Giá cao", 24),
    ("Chọn đối thủ", 16),
    ("Không liên lạc được", 22),
    ("Chưa có nhu cầu", 20),
    ("Chưa đủ ngân sách", 8),
    ("Không phải người quyết định", 5),
    ("Thời điểm chưa phù hợp", 5),
)
DISQUALIFY_REASONS: Final[tuple[tuple[str, float], ...]] = (
    ("Spam / thông tin giả", 40),
    ("Không phù hợp", 35),
    ("Đối thủ cạnh tranh", 10),
    ("Số điện thoại không tồn tại", 15),
)
REJECT_REASONS: Final[tuple[str, ...]] = (
    "Không đạt yêu cầu kinh nghiệm",
    "Ứng viên từ chối lời mời",
    "Đã tuyển đủ",
    "Mức lương mong muốn vượt ngân sách",
)

# Why a lead moved forward, per target stage, as a rep or the scoring model would write it.
ADVANCE_REASONS: Final[dict[str, tuple[str, ...]]] = {
    "mql": ("Điểm lead đạt ngưỡng MQL", "Mở email và tải tài liệu, điểm đạt ngưỡng MQL"),
    "sql": (
        "Đã gọi điện, khách hỏi báo giá",
        "Khách đặt lịch demo",
        "Khách phản hồi email, muốn được tư vấn",
        "Khách xem bảng giá nhiều lần và để lại nhu cầu",
    ),
    "opportunity": (
        "Xác nhận BANT: có ngân sách, người quyết định, cần triển khai trong quý",
        "Đã gửi báo giá, khách đang so sánh phương án",
        "Khách yêu cầu hợp đồng mẫu",
    ),
    "customer": ("Đã ký hợp đồng", "Khách đã thanh toán đơn hàng đầu tiên", "Chốt gói năm"),
    "interview": ("Hồ sơ phù hợp, mời phỏng vấn",),
    "hired": ("Đã nhận lời mời làm việc",),
}
RECYCLE_REASONS: Final[dict[str, str]] = {
    "iql": "Ngừng tương tác 30 ngày, chuyển lại nuôi dưỡng",
    "mql": "Khách hẹn quý sau, chuyển lại nuôi dưỡng",
    "sql": "Khách đổi người phụ trách, cần xác nhận lại nhu cầu",
    "lost": "Khách quay lại tương tác: xem bảng giá, mở email",
}

CONSENT_TEXTS: Final[dict[str, str]] = {
    "email_marketing": (
        "Tôi đồng ý nhận email về sản phẩm, ưu đãi và nội dung hữu ích từ Phễu Demo. "
        "Tôi có thể hủy đăng ký bất cứ lúc nào."
    ),
    "phone_call": "Tôi đồng ý để nhân viên Phễu Demo gọi điện tư vấn.",
    "zalo": "Tôi đồng ý nhận tin nhắn tư vấn và ưu đãi qua Zalo OA của Phễu Demo.",
    "recruitment": "Tôi đồng ý để Phễu Demo lưu trữ và xử lý hồ sơ ứng tuyển trong 12 tháng.",
}
