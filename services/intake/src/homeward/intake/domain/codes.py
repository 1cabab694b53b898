"""Pseudonymous codes for cases and persons.

Codes are random, never derived from identity, and use an alphabet without look-alike
characters (no 0/O, 1/I/L, U/V pairs) because people read them out over the phone and copy
them by hand. Uniqueness is enforced by the database; a collision is retried.
"""

from __future__ import annotations

import re
import secrets

# Crockford-like, minus 0, 1, I, L, O, U and V: 29 symbols that cannot be misread.
UNAMBIGUOUS_ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"

CASE_CODE_PATTERN = re.compile(rf"^HW-[{UNAMBIGUOUS_ALPHABET}]{{4}}-[{UNAMBIGUOUS_ALPHABET}]{{2}}$")
PERSON_CODE_PATTERN = re.compile(
    rf"^P-[{UNAMBIGUOUS_ALPHABET}]{{4}}-[{UNAMBIGUOUS_ALPHABET}]{{2}}$"
)


def _random_symbols(count: int) -> str:
    return "".join(secrets.choice(UNAMBIGUOUS_ALPHABET) for _ in range(count))


def new_case_code() -> str:
    """A case code such as `HW-7KQ3-M9` (29^6, about 595 million values)."""
    return f"HW-{_random_symbols(4)}-{_random_symbols(2)}"


def new_person_code() -> str:
    """A person code such as `P-4TXR-8N`."""
    return f"P-{_random_symbols(4)}-{_random_symbols(2)}"
