"""The message catalogue's upkeep: every msgid of the code and templates, and the .po files.

`python -m homeward.console.catalogue` re-extracts the messages and merges them into each
locale's .po (new messages arrive empty, for a translator); tests/console fails while any
catalogue lacks a translation of a message the English source has.
"""

from __future__ import annotations

import sys
from importlib.resources import files
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from homeward.console.i18n import LOCALES, catalogue_path

PACKAGE = Path(str(files("homeward.console")))
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}
OPTIONS = {"**/templates/**.html": {"trimmed": "true"}}


def source_catalogue() -> Catalog:
    """The English messages, as the code and the templates use them."""
    catalog = Catalog(locale="en", project="homeward-console")
    found = extract_from_dir(
        str(PACKAGE), METHODS, OPTIONS, KEYWORDS, ("Translators:",), strip_comment_tags=True
    )
    for filename, lineno, message, comments, context in found:
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def read_catalogue(locale: str) -> Catalog:
    with open(catalogue_path(locale), "rb") as po:
        return read_po(po, locale=locale)


def update() -> None:
    source = source_catalogue()
    for locale in LOCALES:
        if locale == "en":
            continue
        path = Path(catalogue_path(locale))
        if path.exists():
            catalog = read_catalogue(locale)
            catalog.update(source, no_fuzzy_matching=True)
        else:
            catalog = Catalog(locale=locale, project="homeward-console")
            catalog.update(source, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as po:
            write_po(po, catalog, width=100, omit_header=False, sort_output=True)
        missing = [m.id for m in catalog if m.id and not _translated(m.string)]
        print(f"{locale}: {len(catalog)} messages, {len(missing)} untranslated", file=sys.stderr)


def _translated(string: str | tuple[str, ...] | None) -> bool:
    if isinstance(string, tuple):
        return all(string)
    return bool(string)


if __name__ == "__main__":
    update()
