"""What can be wrong with a scoring model, in Vietnamese and English.

The checks (``pheu.score.model``, ``pheu.score.model_yaml``) stay pure and language-free: each refusal is a
``Problem`` holding a stable ``code`` and its ``params``; the texts live in one table here, so the web page
and the API can show the caller's language and a test can ask for either. ``where`` is a place in the model
("fit rule 'x'", "stages.mql, conditions[0]"): YAML paths read the same in both languages, the words around
rule ids are translated by ``Problem.where_in``. English stays the default, as in the API's ``detail``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

Lang = str

# code → (message en, message vi, accepted en, accepted vi); ``{name}`` takes the problem's params.
TEXTS: Final[dict[str, tuple[str, str, str, str]]] = {
    "not_a_field": (
        "'{value}' is not a lead field.", "'{value}' không phải là trường của lead.", "{choices}", "{choices}"
    ),
    "unknown_operator": (
        "'{value}' is not an operator.", "'{value}' không phải là phép so sánh.", "{choices}", "{choices}"
    ),
    "needs_text": (
        "'{op}' needs a value.", "'{op}' cần một giá trị.", "a non-empty text", "một đoạn chữ không rỗng"
    ),
    "needs_value": (
        "'{op}' needs a value.", "'{op}' cần một giá trị.", "a text or a number", "một đoạn chữ hoặc một số"
    ),
    "needs_values": (
        "'one_of' needs at least one value.", "'one_of' cần ít nhất một giá trị.",
        "a list of texts", "một danh sách chữ",
    ),
    "bad_pattern": (
        "the pattern does not compile ({error}).", "mẫu (biểu thức chính quy) bị lỗi ({error}).",
        "a Python regular expression", "một biểu thức chính quy Python",
    ),
    "range_no_bound": (
        "'range' needs at least one bound.", "'range' cần ít nhất một giới hạn.",
        "at_least and/or at_most, numbers with at_least ≤ at_most",
        "at_least và/hoặc at_most, là số, với at_least ≤ at_most",
    ),
    "range_not_finite": (
        "bounds must be finite numbers.", "giới hạn phải là số hữu hạn.",
        "at_least and/or at_most, numbers with at_least ≤ at_most",
        "at_least và/hoặc at_most, là số, với at_least ≤ at_most",
    ),
    "range_reversed": (
        "at_most {high} is below at_least {low}.", "at_most {high} nhỏ hơn at_least {low}.",
        "at_least ≤ at_most", "at_least ≤ at_most",
    ),
    "bad_id": (
        "'{value}' is not a usable id.", "'{value}' không dùng được làm mã.",
        "1–64 lower-case letters, digits, '-' or '_' (for example 'xem-bang-gia')",
        "1–64 chữ thường không dấu, chữ số, '-' hoặc '_' (ví dụ 'xem-bang-gia')",
    ),
    "bad_event_type": (
        "'{value}' is not an event type.", "'{value}' không phải là loại sự kiện.",
        "1–64 lower-case letters, digits, '-' or '_' (for example 'email_open')",
        "1–64 chữ thường không dấu, chữ số, '-' hoặc '_' (ví dụ 'email_open')",
    ),
    "zero_points": (
        "points must be a non-zero number.", "điểm phải là một số khác 0.", "for example 10 or -20", "ví dụ 10 hoặc -20"
    ),
    "label_needed": (
        "a label is needed for 'why this score'.", "cần một nhãn để giải thích “vì sao có điểm này”.",
        "a short text", "một đoạn chữ ngắn",
    ),
    "days_not_positive": (
        "must be a positive number of days.", "phải là số ngày lớn hơn 0.", "for example 30", "ví dụ 30"
    ),
    "cap_below_points": (
        "the cap must be at least the points of one event.", "mức trần phải ít nhất bằng điểm của một sự kiện.",
        "a number ≥ {points}", "một số ≥ {points}",
    ),
    "period_without_cap": (
        "a period without a cap limits nothing.", "có chu kỳ mà không có mức trần thì không giới hạn gì.",
        "set cap too", "đặt thêm cap",
    ),
    "empty_key": (
        "the property name is empty.", "tên thuộc tính đang trống.",
        "a property name such as 'url'", "tên một thuộc tính, ví dụ 'url'",
    ),
    "not_a_number": (
        "{value} is not a number.", "{value} không phải là số.", "a number such as {example}", "một số, ví dụ {example}"
    ),
    "number_needed": (
        "a number is needed.", "cần một số.", "a number such as {example}", "một số, ví dụ {example}"
    ),
    "not_whole": (
        "{value} is not a whole number.", "{value} không phải là số nguyên.",
        "a whole number such as 1, 2 or 3", "một số nguyên, ví dụ 1, 2 hoặc 3",
    ),
    "unknown_condition": (
        "'{value}' is not a condition.", "'{value}' không phải là một điều kiện.", "{choices}", "{choices}"
    ),
    "purposes_needed": (
        "name the consent purposes.", "hãy nêu các mục đích đồng ý.",
        "for example [email_marketing]", "ví dụ [email_marketing]",
    ),
    "event_types_needed": (
        "name the event types.", "hãy nêu các loại sự kiện.", "for example [email_open]", "ví dụ [email_open]"
    ),
    "min_fit_number": ("'min_fit' needs a number.", "'min_fit' cần một số.", "for example 10", "ví dụ 10"),
    "flag_needed": (
        "'no_flag' needs a flag.", "'no_flag' cần tên một cờ.",
        "for example email_disposable", "ví dụ email_disposable",
    ),
    "name_needed": ("the model needs a name.", "mô hình cần có tên.", "a short text", "một đoạn chữ ngắn"),
    "bad_version": (
        "version {value} is not allowed.", "không dùng được phiên bản {value}.", "1 or more", "từ 1 trở lên"
    ),
    "duplicate_id": (
        "two rules share this id.", "hai quy tắc trùng mã này.", "a unique id per rule", "mỗi quy tắc một mã riêng"
    ),
    "hot_not_above_warm": (
        "hot_at must be above warm_at.", "hot_at phải lớn hơn warm_at.", "warm_at < hot_at", "warm_at < hot_at"
    ),
    "positive_rule_negative": (
        "fit and behaviour rules give points.", "quy tắc phù hợp và hành vi phải cộng điểm.",
        "a positive number", "một số dương",
    ),
    "negative_rule_positive": (
        "a negative rule takes points away.", "quy tắc trừ điểm phải trừ điểm.", "a negative number", "một số âm"
    ),
    "penalty_fades": (
        "penalties do not fade.", "điểm trừ không phai theo thời gian.", "no half_life_days", "bỏ half_life_days"
    ),
    "stage_count": (
        "exactly one rule for {stage} is needed.", "cần đúng một quy tắc cho {stage}.",
        "one mql and one sql", "một mql và một sql",
    ),
    "stage_not_allowed": (
        "the model only moves leads to MQL or SQL.", "mô hình chỉ chuyển lead sang MQL hoặc SQL.",
        "mql, sql", "mql, sql",
    ),
    "min_score_number": ("must be a number.", "phải là một số.", "for example 40", "ví dụ 40"),
    "stage_missing": (
        "the requirements for {stage} are missing.", "thiếu yêu cầu cho {stage}.",
        "min_score and conditions", "min_score và conditions",
    ),
    "bad_yaml": (
        "the file is not valid YAML ({error}).", "tệp không phải YAML hợp lệ ({error}).", "YAML text", "văn bản YAML"
    ),
    "expected_mapping": (
        "expected a mapping of settings.", "cần một nhóm thiết lập dạng khóa: giá trị.",
        "key: value lines", "các dòng key: value",
    ),
    "unknown_setting": ("unknown setting.", "thiết lập không có trong mô hình.", "{choices}", "{choices}"),
    "text_needed": ("a text is needed.", "cần một đoạn chữ.", "a text", "một đoạn chữ"),
    "not_a_text": ("{value} is not a text.", "{value} không phải là chữ.", "a text", "một đoạn chữ"),
    "texts_needed": ("a list of texts is needed.", "cần một danh sách chữ.", "[a, b, c]", "[a, b, c]"),
    "list_needed": (
        "a list is needed.", "cần một danh sách.", "a list of '- …' entries", "danh sách các dòng '- …'"
    ),
}  # fmt: skip

# Words around rule ids in ``where``, as the model editor names them in Vietnamese.
_PLACES_VI: Final = (
    (re.compile(r"\bfit rule '"), "quy tắc phù hợp '"),
    (re.compile(r"\bbehaviour rule '"), "quy tắc hành vi '"),
    (re.compile(r"\bnegative rule '"), "quy tắc trừ điểm '"),
    (re.compile(r"\brule '"), "quy tắc '"),
    (re.compile(r"\bcondition '"), "điều kiện '"),
    (re.compile(r"^model$"), "mô hình"),
)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a model: ``where`` names the rule or section, ``field`` the setting, ``code`` what
    is wrong (a key of ``TEXTS``) and ``params`` the values its texts quote."""

    where: str
    field: str
    code: str
    params: tuple[tuple[str, str], ...] = ()

    def message_in(self, lang: Lang) -> str:
        return self._text(1 if lang == "vi" else 0)

    def accepted_in(self, lang: Lang) -> str:
        return self._text(3 if lang == "vi" else 2)

    def where_in(self, lang: Lang) -> str:
        if lang != "vi":
            return self.where
        place = self.where
        for pattern, words in _PLACES_VI:
            place = pattern.sub(words, place)
        return place

    def line(self, lang: Lang) -> str:
        """The whole problem as one sentence: where, the setting, what is wrong, what would be accepted."""
        place = ", ".join(p for p in (self.where_in(lang), self.field) if p)
        accepted = "Chấp nhận" if lang == "vi" else "Accepted"
        return f"{place}: {self.message_in(lang)} {accepted}: {self.accepted_in(lang)}."

    @property
    def message(self) -> str:
        return self.message_in("en")

    @property
    def accepted(self) -> str:
        return self.accepted_in("en")

    def as_json(self) -> dict[str, object]:
        """The code and params for programs and the whole line in both languages, for people."""
        return {
            "where": self.where,
            "field": self.field,
            "code": self.code,
            "params": dict(self.params),
            "vi": self.line("vi"),
            "en": self.line("en"),
        }

    def _text(self, index: int) -> str:
        return TEXTS[self.code][index].format(**dict(self.params))

    def __str__(self) -> str:
        return self.line("en")


def problem(where: str, field: str, code: str, **params: object) -> Problem:
    """A ``Problem``; numbers in ``params`` are written as people write them (no '.0')."""
    if code not in TEXTS:
        raise KeyError(code)
    return Problem(where, field, code, tuple((k, _plain(v)) for k, v in params.items()))


def _plain(value: object) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
