"""Message catalogues: Vietnamese (the default) and English.

The ``.po`` files under ``locales/`` are the only source: they are read and compiled in memory once, at
import, so there is no compile step to forget. A msgid missing from a catalogue falls back to the English
msgid itself, and ``tests/web/test_i18n.py`` fails if any msgid used by the pages lacks a Vietnamese text.
"""

from __future__ import annotations

import gettext as _gettext
from io import BytesIO
from pathlib import Path
from typing import Final

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES: Final[tuple[str, ...]] = ("vi", "en")
DEFAULT_LOCALE: Final = "vi"
CATALOGUES: Final = Path(__file__).parent / "locales"

# Native names, shown in the language switch whatever the current language is.
LOCALE_NAMES: Final[dict[str, str]] = {"vi": "Tiếng Việt", "en": "English"}


def catalogue_path(locale: str) -> Path:
    return CATALOGUES / locale / "LC_MESSAGES" / "messages.po"


def _compile(locale: str) -> _gettext.GNUTranslations:
    with catalogue_path(locale).open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


_TRANSLATIONS: Final[dict[str, _gettext.GNUTranslations]] = {locale: _compile(locale) for locale in LOCALES}


def N_(msgid: str) -> str:
    """Mark a msgid for extraction where it is defined; translate it later, where the locale is known."""
    return msgid


def normalize_locale(value: str | None) -> str | None:
    """``"vi"``, ``"en"``, ``"en-US"``, ``"vi_VN"`` → a supported locale code, or ``None``."""
    if not value:
        return None
    code = value.strip().lower().replace("_", "-").split("-")[0]
    return code if code in LOCALES else None


def _catalogue(locale: str) -> _gettext.GNUTranslations:
    return _TRANSLATIONS.get(locale) or _TRANSLATIONS[DEFAULT_LOCALE]


def gettext(locale: str, msgid: str, **params: object) -> str:
    """The text of ``msgid`` in ``locale``, with ``%(name)s`` placeholders filled from ``params``."""
    text = _catalogue(locale).gettext(msgid)
    return text % params if params else text


def ngettext(locale: str, singular: str, plural: str, n: int, **params: object) -> str:
    """Like ``gettext`` for a count ``n``; Vietnamese has one form, English two."""
    text = _catalogue(locale).ngettext(singular, plural, n)
    return text % params if params else text
