"""The login page's languages: one gettext catalogue per locale (Babel .po files in
idp/locales, read at start-up; English is the source language), and the choice of locale
as Keycloak's themes make it: the user's pick (the switcher's `kc_locale`), else the
request's `ui_locales`, else Accept-Language, else English.
"""

from __future__ import annotations

import functools
import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES_DIR = Path(__file__).with_name("locales")
DEFAULT_LOCALE = "en"
# Locale -> its own name (the switcher shows each language in itself) and its BCP 47 tag.
LANGUAGES = {
    "en": ("English", "en"),
    "ru": ("Русский", "ru"),
    "kk": ("Қазақша", "kk-Cyrl"),
    "uz": ("Oʻzbekcha", "uz-Latn"),  # noqa: RUF001 (U+02BB is the Uzbek letter)
}


def N_(message: str) -> str:
    """Marks a message for the catalogue; it is translated where it is shown."""
    return message


@functools.cache
def translations(locale: str) -> NullTranslations:
    if locale == DEFAULT_LOCALE:
        return NullTranslations()
    path = LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as po:
        catalog = read_po(po, locale=locale)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def supported(tag: str | None) -> str | None:
    """The supported locale a language tag asks for: `uz-Latn-UZ` -> uz, `kk_KZ` -> kk."""
    primary = (tag or "").strip().replace("_", "-").split("-")[0].lower()
    return primary if primary in LANGUAGES else None


def choose_locale(
    *, chosen: str | None, ui_locales: str | None, accept_language: str | None
) -> str:
    if locale := supported(chosen):
        return locale
    for tag in (ui_locales or "").split():
        if locale := supported(tag):
            return locale
    for tag in _by_preference(accept_language or ""):
        if locale := supported(tag):
            return locale
    return DEFAULT_LOCALE


def _by_preference(header: str) -> list[str]:
    weighted: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            weighted.append((-quality, position, tag))
    return [tag for _, _, tag in sorted(weighted)]
