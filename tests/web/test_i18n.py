"""Every text the pages show exists in Vietnamese, and the catalogues load and format correctly."""

from __future__ import annotations

import re

import pytest

from pheu import i18n
from pheu.i18n.extract import MsgId, translations, used_msgids
from pheu.web import errors, format, labels

PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def catalogue(locale: str) -> dict[MsgId, str | tuple[str, ...]]:
    return {k: v for k, v in translations(locale).items() if v}


def test_the_extractor_finds_the_pages_texts() -> None:
    msgids = used_msgids()
    assert "Leads" in msgids
    assert "IQL – Cold" in msgids
    assert ("%(count)s lead", "%(count)s leads") in msgids


def test_every_msgid_used_by_the_pages_has_a_vietnamese_translation() -> None:
    vi = catalogue("vi")
    missing = sorted(
        str(m) for m in used_msgids() if not vi.get(m) or (isinstance(vi[m], tuple) and not all(vi[m]))
    )
    assert not missing, "msgids without a Vietnamese translation:\n" + "\n".join(missing)


def test_vietnamese_translations_keep_every_placeholder() -> None:
    for msgid, text in catalogue("vi").items():
        ids = msgid if isinstance(msgid, tuple) else (msgid,)
        texts = text if isinstance(text, tuple) else (text,)
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        for translated in texts:
            assert set(PLACEHOLDER.findall(translated)) == wanted, msgid


def test_the_english_catalogue_lists_every_msgid() -> None:
    en = translations("en")
    missing = sorted(str(m) for m in used_msgids() if m not in en)
    assert not missing, "msgids missing from the English catalogue:\n" + "\n".join(missing)


def test_code_labels_are_all_translated() -> None:
    vi = catalogue("vi")
    tables = [labels.STAGES, labels.KINDS, labels.CHANNELS, labels.ROLES, labels.ACTOR_TYPES, errors.MESSAGES]
    for table in tables:
        for msgid in table.values():
            assert vi.get(msgid), msgid
    for msgid, _icon in labels.EVENT_TYPES.values():
        assert vi.get(msgid), msgid


@pytest.mark.parametrize(
    ("stage", "vietnamese"),
    [
        ("iql", "IQL – Lạnh"),
        ("mql", "MQL – Ấm"),
        ("sql", "SQL – Nóng"),
        ("opportunity", "Cơ hội"),
        ("customer", "Khách hàng"),
        ("lost", "Thất bại"),
        ("disqualified", "Loại bỏ"),
        ("applicant", "Ứng viên"),
        ("interview", "Phỏng vấn"),
        ("hired", "Đã tuyển"),
        ("rejected", "Từ chối"),
    ],
)
def test_stage_names_read_as_the_team_says_them(stage: str, vietnamese: str) -> None:
    assert i18n.gettext("vi", labels.STAGES[stage]) == vietnamese


def test_lead_counts_use_local_thousands_separators() -> None:
    vi = i18n.ngettext(
        "vi", "%(count)s lead", "%(count)s leads", 1234, count=format.format_number(1234, "vi")
    )
    en = i18n.ngettext(
        "en", "%(count)s lead", "%(count)s leads", 1234, count=format.format_number(1234, "en")
    )
    one = i18n.ngettext("en", "%(count)s lead", "%(count)s leads", 1, count="1")
    assert vi == "1.234 khách hàng tiềm năng"
    assert en == "1,234 leads"
    assert one == "1 lead"


def test_illegal_move_codes_are_explained_with_stage_names() -> None:
    text = errors.message_for(
        "vi",
        "illegal_move:move_not_allowed",
        {"current": "iql", "target": "customer", "allowed": "lost, mql"},
    )
    assert text is not None
    assert "IQL – Lạnh" in text
    assert "Khách hàng" in text
    assert "Thất bại" in text


def test_unknown_locales_fall_back_to_the_default() -> None:
    assert i18n.normalize_locale("en-US") == "en"
    assert i18n.normalize_locale("fr") is None
    assert i18n.gettext("fr", "Leads") == i18n.gettext("vi", "Leads")
