"""Emails in the recipient's language: English, Russian, Kazakh (Cyrillic), Uzbek (Latin).

English is the source (the msgids); `locales/<lang>/LC_MESSAGES/messages.po` translate it,
read when first needed (no .mo files to keep in step). The messages are the fixed texts an
email is made of: the rules' summaries, its few labels and the service categories' names,
never anything from an event's free fields. The inbox and webhooks stay in English codes and
summaries: the console translates them for its reader, a partner system for its own.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib.resources import files

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from homeward.common.vocabulary import ServiceCategory
from homeward.notifications.domain.routing import RULES

LOCALES = ("en", "ru", "kk", "uz")
LOCALE_DIR = files("homeward.notifications") / "locales"

WEBHOOK_DISABLED = "A webhook subscription was disabled after repeated delivery failures"
# An email's lines; each placeholder is a code, a date or a link.
CASE_LINE = "Case: %(case)s"
SERVICE_LINE = "Service: %(service)s"
DUE_LINE = "Due: %(date)s"
LINK_LINE = "Open in Homeward (sign in first): %(link)s"
SERVICE_NAMES: dict[str, str] = {
    ServiceCategory.BASIC_NEEDS: "Basic needs support",
    ServiceCategory.HEALTH_CARE: "Health care",
    ServiceCategory.MENTAL_HEALTH: "Mental health support",
    ServiceCategory.SCHOOL_ENROLMENT: "School enrolment",
    ServiceCategory.EMPLOYMENT: "Employment support",
    ServiceCategory.HOUSING: "Housing",
    ServiceCategory.SOCIAL_BENEFITS: "Social benefits",
    ServiceCategory.BANK_ACCOUNT: "Bank account",
    ServiceCategory.LEGAL_AID: "Legal aid",
    ServiceCategory.FAMILY_SUPPORT: "Family support",
    ServiceCategory.RELIGIOUS_GUIDANCE: "Religious guidance",
    ServiceCategory.TRAVEL: "Travel",
}


def source_messages() -> list[str]:
    """Every message an email can hold, in English: what each catalogue must translate."""
    summaries = [rule.summary for rule in RULES.values()] + [WEBHOOK_DISABLED]
    lines = [CASE_LINE, SERVICE_LINE, DUE_LINE, LINK_LINE]
    return list(dict.fromkeys([*summaries, *lines, *SERVICE_NAMES.values()]))


def supported(tag: str | None) -> str | None:
    """`ru`, `ru-RU` or `ru_KZ` -> `ru`; None for a language emails are not written in."""
    if not tag:
        return None
    base = tag.strip().replace("_", "-").split("-")[0].lower()
    return base if base in LOCALES else None


def catalogue_path(locale: str) -> str:
    return str(LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po")


@cache
def read_catalogue(locale: str) -> Catalog:
    with open(catalogue_path(locale), "rb") as po:
        return read_po(po, locale=locale)


def translator(locale: str | None) -> Callable[[str], str]:
    """The message in `locale` (None or unknown: English; a missing one stays English)."""
    found = supported(locale)
    if found is None or found == "en":
        return lambda message: message
    catalogue = read_catalogue(found)

    def translate(message: str) -> str:
        entry = catalogue.get(message)
        return entry.string if entry is not None and entry.string else message

    return translate
