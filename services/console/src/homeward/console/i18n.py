"""Languages: one gettext catalogue per locale (Babel), CLDR plurals, dates as dd.mm.yyyy.

English is the source language (the msgids); ru, kk and uz are `locales/<lang>/messages.po`.
The .po files are compiled in memory when the app starts (no .mo files to keep in step), so a
catalogue edited is a catalogue served.
"""

from __future__ import annotations

import gettext
import io
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from importlib.resources import files
from zoneinfo import ZoneInfo

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES = ("en", "ru", "kk", "uz")
# Each language named in itself, for the switcher.
LANGUAGE_NAMES = {"en": "English", "ru": "Русский", "kk": "Қазақша", "uz": "O\u02bbzbekcha"}
LOCALE_DIR = files("homeward.console") / "locales"


def catalogue_path(locale: str) -> str:
    return str(LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po")


@cache
def translations(locale: str) -> gettext.NullTranslations:
    if locale == "en":
        return gettext.NullTranslations()
    with open(catalogue_path(locale), "rb") as po:
        catalog = read_po(po, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer)


def pick_locale(*, chosen: str | None, claim: str | None, accept_language: str | None) -> str:
    """The user's choice, else the token's `locale` claim, else the browser's languages."""
    for candidate in (chosen, claim):
        if found := _supported(candidate):
            return found
    for tag in _accepted(accept_language or ""):
        if found := _supported(tag):
            return found
    return "en"


def _supported(tag: str | None) -> str | None:
    if not tag:
        return None
    base = tag.strip().replace("_", "-").split("-")[0].lower()
    return base if base in LOCALES else None


def _accepted(header: str) -> list[str]:
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            weighted.append((-quality, position, tag))
    return [tag for _, _, tag in sorted(weighted)]


@dataclass(frozen=True)
class Formats:
    """Dates for people: dd.mm.yyyy in the console's time zone, whatever the locale."""

    zone: ZoneInfo

    def day(self, value: date | datetime | str | None) -> str:
        if value is None or value == "":
            return ""
        moment = _parse(value)
        if isinstance(moment, datetime):
            moment = moment.astimezone(self.zone).date()
        return moment.strftime("%d.%m.%Y")

    def moment(self, value: datetime | str | None) -> str:
        if value is None or value == "":
            return ""
        moment = _parse(value)
        if not isinstance(moment, datetime):
            return self.day(moment)
        return moment.astimezone(self.zone).strftime("%d.%m.%Y %H:%M")


def _parse(value: date | datetime | str) -> date | datetime:
    if isinstance(value, (date, datetime)):
        return value
    if "T" in value or " " in value:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return date.fromisoformat(value)
