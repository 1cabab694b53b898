"""Case and person codes: their alphabet and format, and reading one back as people type it.

Codes are random and pseudonymous (intake makes them, `HW-7KQ3-M9` for a case, `P-4TXR-8N`
for a person) from an alphabet without look-alike characters, because people read them out
on the phone and copy them by hand. `parse_code` is the one place that reads a typed code:
any case, with or without hyphens and spaces, and with the Cyrillic letters that look like
Latin ones (a Russian keyboard gives Cyrillic Es for Latin C), or the whole code typed with
the keyboard left on the Russian layout (the keys of `hw7kq3m9` give Cyrillic letters).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

# Crockford-like, minus 0, 1, I, L, O, U and V: 29 symbols that cannot be misread.
UNAMBIGUOUS_ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
_SYMBOLS = f"[{UNAMBIGUOUS_ALPHABET}]"
CASE_CODE_PATTERN = re.compile(rf"^HW-{_SYMBOLS}{{4}}-{_SYMBOLS}{{2}}$")
PERSON_CODE_PATTERN = re.compile(rf"^P-{_SYMBOLS}{{4}}-{_SYMBOLS}{{2}}$")
CODE_MAX_LENGTH = 40  # what a look-up accepts as typed, separators included

# Cyrillic capitals drawn like Latin ones (after upper-casing the input).
_HOMOGLYPHS = str.maketrans("АВЕКМНОРСТХ", "ABEKMHOPCTX")  # noqa: RUF001 (the point)
# The Russian ЙЦУКЕН layout on the keys of the Latin QWERTY letters, upper case.
_RUSSIAN_LAYOUT = str.maketrans("ЙЦУКЕНГШЩЗФЫВАПРОЛДЯЧСМИТЬ", "QWERTYUIOPASDFGHJKLZXCVBNM")
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—_.]+")  # noqa: RUF001 (every dash people type)
_COMPACT = re.compile(rf"^(HW|P)({_SYMBOLS}{{4}})({_SYMBOLS}{{2}})$")


class CodeKind(StrEnum):
    CASE = "case"
    PERSON = "person"


@dataclass(frozen=True)
class Code:
    kind: CodeKind
    value: str  # canonical: HW-7KQ3-M9 or P-4TXR-8N


def parse_code(typed: str) -> Code | None:
    """The case or person code `typed` stands for, or None when it is not one."""
    if len(typed) > CODE_MAX_LENGTH:
        return None
    compact = _SEPARATORS.sub("", typed).upper()
    for candidate in (compact.translate(_HOMOGLYPHS), compact.translate(_RUSSIAN_LAYOUT)):
        if match := _COMPACT.match(candidate):
            prefix, first, second = match.groups()
            kind = CodeKind.CASE if prefix == "HW" else CodeKind.PERSON
            return Code(kind, f"{prefix}-{first}-{second}")
    return None
