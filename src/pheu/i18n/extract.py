"""Keep the catalogues in step with the code: ``uv run python -m pheu.i18n.extract``.

Finds every msgid the web shell uses (``_()`` and ``ngettext()`` in templates, ``N_()`` and ``tr()`` in
code), rewrites both ``.po`` files with exactly those msgids — keeping every existing translation — and
lists the ones still lacking Vietnamese, which ``tests/web/test_i18n.py`` would fail on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from pheu.i18n import LOCALES, catalogue_path

MsgId = str | tuple[str, ...]
SOURCES: Final = Path(__file__).resolve().parents[1] / "web"
KEYWORDS: Final = {"_": None, "N_": None, "tr": (2,), "gettext": (2,), "ngettext": (1, 2)}
HEADER: Final = (
    "# Phễu interface texts. msgids are the English texts (an empty msgstr shows the msgid).\n"
    "# Edit msgstr lines freely; after changing texts in code run: uv run python -m pheu.i18n.extract"
)
METHODS: Final = [("**/static/**", "ignore"), ("**.py", "python"), ("**.html", "jinja2.ext:babel_extract")]


def used_msgids(root: Path = SOURCES) -> set[MsgId]:
    found: set[MsgId] = set()
    options = {"**.html": {"silent": "false"}}
    for _file, _line, message, _comments, _context in extract_from_dir(
        root, METHODS, options_map=options, keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else tuple(message))
    return found


def read_catalogue(locale: str) -> Catalog:
    with catalogue_path(locale).open("rb") as handle:
        return read_po(handle, locale=locale)


def translations(locale: str) -> dict[MsgId, str | tuple[str, ...]]:
    """msgid → translation (empty when untranslated); fuzzy entries count as untranslated."""
    found: dict[MsgId, str | tuple[str, ...]] = {}
    for message in read_catalogue(locale):
        if not message.id:
            continue
        msgid = message.id if isinstance(message.id, str) else tuple(message.id)
        text = message.string if isinstance(message.string, str) else tuple(message.string or ())
        found[msgid] = "" if message.fuzzy else text
    return found


def update(locale: str, msgids: set[MsgId]) -> list[MsgId]:
    """Rewrite one catalogue with ``msgids``; return those left without a translation.

    The header dates are kept, so running this twice in a row changes nothing.
    """
    previous = read_catalogue(locale)
    old = translations(locale)
    catalog = Catalog(locale=locale, header_comment=HEADER, project="Phễu", version="0.1",
                      copyright_holder="Phễu", msgid_bugs_address="", creation_date=previous.creation_date,
                      revision_date=previous.revision_date, last_translator="Phễu", language_team="Phễu",
                      fuzzy=False)  # fmt: skip
    missing: list[MsgId] = []
    for msgid in sorted(msgids, key=lambda m: m if isinstance(m, str) else m[0]):
        blank: str | tuple[str, ...] = ("",) * catalog.num_plurals if isinstance(msgid, tuple) else ""
        text = old.get(msgid) or blank
        if text == blank:
            missing.append(msgid)
        catalog.add(msgid, text)
    with catalogue_path(locale).open("wb") as handle:
        write_po(handle, catalog, width=110, no_location=True, sort_output=False)
    return missing


def main() -> None:
    msgids = used_msgids()
    for locale in LOCALES:
        missing = update(locale, msgids)
        if locale == "en":
            continue  # the msgids are the English texts
        print(f"{locale}: {len(msgids)} msgids, {len(missing)} untranslated")
        for msgid in missing:
            print(f"  {msgid!r}")


if __name__ == "__main__":
    main()
