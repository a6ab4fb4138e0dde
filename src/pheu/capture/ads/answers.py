"""Which of a form's questions are a lead's fields, and which are answers to keep beside the lead.

Every platform names its standard questions in English (``full_name``, ``phone_number``), but Vietnamese
advertisers also add their own questions, labelled the way people type them: "Số điện thoại",
"số_điện_thoại", "Tỉnh/Thành phố". A question is matched by its name with tones, case and punctuation
folded away, so all of those land in ``phone`` or ``province``. Anything not recognised is kept, under the
name the platform sent, in ``answers`` - nothing a person typed is dropped.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

# Folded question name -> lead field (a name in ``LEAD_FIELDS``), or a name part that builds ``full_name``.
_SYNONYMS: Final[dict[str, tuple[str, ...]]] = {
    "full_name": (
        "full_name", "fullname", "name", "your_name", "ho_ten", "ho_va_ten", "ho_ten_day_du", "ten_day_du",
        "ten_khach_hang", "ten", "ten_cua_ban", "ho_ten_cua_ban",
    ),
    "first_name": ("first_name", "given_name", "ten_rieng"),
    "last_name": ("last_name", "family_name", "surname", "ho", "ho_dem"),
    "email": (
        "email", "email_address", "e_mail", "work_email", "dia_chi_email", "thu_dien_tu", "email_cong_viec",
    ),
    "phone": (
        "phone_number", "phone", "mobile", "mobile_phone", "work_phone_number", "so_dien_thoai", "sdt",
        "so_dt", "dien_thoai", "so_dien_thoai_lien_he", "so_dien_thoai_cong_viec", "so_zalo",
    ),
    "city": ("city", "thanh_pho", "quan_huyen_thanh_pho"),
    "province": ("province", "state", "tinh", "tinh_thanh", "tinh_thanh_pho", "tinh_tp", "khu_vuc_tinh_thanh"),
    "country": ("country", "quoc_gia"),
    "job_title": ("job_title", "chuc_vu", "chuc_danh", "vi_tri", "vi_tri_cong_viec", "nghe_nghiep"),
    "company": ("company_name", "company", "cong_ty", "ten_cong_ty", "doanh_nghiep", "ten_doanh_nghiep"),
    "industry": ("industry", "nganh_nghe", "linh_vuc", "linh_vuc_kinh_doanh"),
    "company_size": ("company_size", "quy_mo", "quy_mo_cong_ty", "quy_mo_doanh_nghiep", "so_nhan_vien"),
    "gender": ("gender", "gioi_tinh"),
    "marital_status": ("marital_status", "relationship_status", "tinh_trang_hon_nhan"),
    "income_range": ("income", "income_range", "thu_nhap", "muc_thu_nhap"),
    "age_range": ("age_range", "do_tuoi"),
    "notes": ("notes", "message", "ghi_chu", "loi_nhan"),
}  # fmt: skip

FIELD_FOR_QUESTION: Final[dict[str, str]] = {
    folded: target for target, names in _SYNONYMS.items() for folded in names
}
NAME_PARTS: Final = frozenset({"first_name", "last_name"})


def fold_question(name: str) -> str:
    """A question name without tones, case or punctuation: "Tỉnh/Thành phố" -> "tinh_thanh_pho"."""
    decomposed = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "_", bare.lower()).strip("_")


def field_for(question: str) -> str | None:
    """The lead field a question fills, ``first_name``/``last_name`` for name parts, else ``None``."""
    return FIELD_FOR_QUESTION.get(fold_question(question))


@dataclass(slots=True)
class SortedAnswers:
    """A submission split into lead ``fields`` (names from ``LEAD_FIELDS``) and other ``answers``."""

    fields: dict[str, str] = field(default_factory=dict)
    answers: dict[str, str] = field(default_factory=dict)


def sort_answers(pairs: Iterable[tuple[str, str]], *, family_name_first: bool = True) -> SortedAnswers:
    """Split ``(question, value)`` pairs into lead fields and answers.

    Blank values are skipped: an unanswered optional question is not an answer. The first question that
    fills a field wins (``email`` before ``work_email`` when both are asked); later ones stay in ``answers``.
    A question asked twice keeps both answers, joined with ", ".
    A name asked in two parts becomes ``full_name``, family name first by default because that is how
    Vietnamese names are written ("Nguyễn Văn" + "An" -> "Nguyễn Văn An"); pass ``family_name_first=False``
    for forms aimed at people who write the given name first.
    """
    out = SortedAnswers()
    parts: dict[str, str] = {}
    for question, raw_value in pairs:
        value = raw_value.strip()
        if not value:
            continue
        target = field_for(question)
        if target in NAME_PARTS and target not in parts:
            parts[target] = value
        elif target is not None and target not in NAME_PARTS and target not in out.fields:
            out.fields[target] = value
        elif question in out.answers:
            out.answers[question] += f", {value}"
        else:
            out.answers[question] = value
    if parts:
        _place_name_parts(out, parts, family_name_first)
    return out


def _place_name_parts(out: SortedAnswers, parts: dict[str, str], family_name_first: bool) -> None:
    if "full_name" in out.fields:
        out.answers.update(parts)
        return
    order = ("last_name", "first_name") if family_name_first else ("first_name", "last_name")
    out.fields["full_name"] = " ".join(parts[p] for p in order if p in parts)


PROVENANCE_PREFIX: Final = "ads."


def add_provenance(answers: dict[str, str], ids: dict[str, str | None]) -> None:
    """Keep where a lead came from (form, ad, campaign ids) beside its answers, under ``ads.<name>``.

    ``IncomingLead`` has no slot for platform ids, but cost per lead by campaign needs them, and the capture
    event is where they belong. The prefix keeps them apart from anything the person answered.
    """
    for name, value in ids.items():
        if value:
            answers[f"{PROVENANCE_PREFIX}{name}"] = value
