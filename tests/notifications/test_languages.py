"""The emails' catalogue: every message an email can hold is translated in every language,
with the same placeholders as the English."""

from __future__ import annotations

import re

import pytest

from homeward.common.vocabulary import ServiceCategory
from homeward.notifications.domain.languages import (
    LOCALES,
    SERVICE_NAMES,
    read_catalogue,
    source_messages,
    supported,
    translator,
)

OTHERS = [locale for locale in LOCALES if locale != "en"]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@pytest.mark.parametrize("locale", OTHERS)
def test_every_email_message_is_translated_with_its_placeholders(locale: str) -> None:
    catalogue = read_catalogue(locale)
    missing, broken = [], []
    for message in source_messages():
        entry = catalogue.get(message)
        if entry is None or not entry.string or entry.string == message:
            missing.append(message)
        elif set(PLACEHOLDER.findall(entry.string)) != set(PLACEHOLDER.findall(message)):
            broken.append(message)
    assert (missing, broken) == ([], [])


def test_every_service_category_has_a_name() -> None:
    assert set(SERVICE_NAMES) == {category.value for category in ServiceCategory}


def test_a_locale_tag_is_reduced_to_a_language_emails_are_written_in() -> None:
    assert [supported(tag) for tag in ("ru-RU", "kk_KZ", "UZ", "de", "", None)] == [
        "ru", "kk", "uz", None, None, None,
    ]  # fmt: skip
    assert translator("de")("Housing") == "Housing"
    assert translator("kk-KZ")("Housing") == "Тұрғын үй"
