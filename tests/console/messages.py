"""The English messages of the console, for the checks that none is left untranslated."""

from __future__ import annotations

from functools import cache

from homeward.console.catalogue import source_catalogue


@cache
def english_messages() -> set[str]:
    found: set[str] = set()
    for message in source_catalogue():
        if message.id:
            found.update([message.id] if isinstance(message.id, str) else message.id)
    return found
