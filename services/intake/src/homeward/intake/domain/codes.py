"""Pseudonymous codes for cases and persons, made here; their alphabet and format are shared
(homeward.common.codes), since every service and the console read them back.

Codes are random, never derived from identity. Uniqueness is enforced by the database; a
collision is retried.
"""

from __future__ import annotations

import secrets

from homeward.common.codes import UNAMBIGUOUS_ALPHABET


def _random_symbols(count: int) -> str:
    return "".join(secrets.choice(UNAMBIGUOUS_ALPHABET) for _ in range(count))


def new_case_code() -> str:
    """A case code such as `HW-7KQ3-M9` (29^6, about 595 million values)."""
    return f"HW-{_random_symbols(4)}-{_random_symbols(2)}"


def new_person_code() -> str:
    """A person code such as `P-4TXR-8N`."""
    return f"P-{_random_symbols(4)}-{_random_symbols(2)}"
