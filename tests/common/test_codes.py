"""Reading back a case or person code as people type it (the console's find box)."""

from __future__ import annotations

import pytest

from homeward.common.codes import CodeKind, parse_code

# Written with escapes: \u041d is Cyrillic En, drawn like Latin H, and so on.
CYRILLIC_HW = "\u041dW7\u041aQ3\u041c9"  # Cyrillic En, Ka and Em from a Russian keyboard
CYRILLIC_LOWER = "\u043dw-7\u043aq3-\u043c9"  # their lower-case forms
RUSSIAN_LAYOUT = "\u0440\u04467\u043b\u04393\u044c9"  # the keys of hw7kq3m9 on JCUKEN
CYRILLIC_PERSON = "\u0420-4\u0422\u0425R-8N"  # Cyrillic Er, Te and Ha


@pytest.mark.parametrize(
    "typed",
    [
        "HW-7KQ3-M9",
        "hw7kq3m9",
        "hw-7kq3-m9",
        "HW7KQ3M9",
        " hw 7kq3 m9 ",
        "HW\u20137KQ3\u2013M9",  # en dashes from a word processor
        "hw_7kq3.m9",
        CYRILLIC_HW,
        CYRILLIC_LOWER,
        RUSSIAN_LAYOUT,
    ],
)
def test_a_case_code_is_read_however_it_is_typed(typed: str) -> None:
    code = parse_code(typed)

    assert code is not None
    assert (code.kind, code.value) == (CodeKind.CASE, "HW-7KQ3-M9")


@pytest.mark.parametrize("typed", ["P-4TXR-8N", "p4txr8n", "p 4txr 8n", CYRILLIC_PERSON])
def test_a_person_code_is_read_however_it_is_typed(typed: str) -> None:
    code = parse_code(typed)

    assert code is not None
    assert (code.kind, code.value) == (CodeKind.PERSON, "P-4TXR-8N")


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "HW-7KQ3",  # too short
        "HW-7KQ3-M99",  # too long
        "HW-7KQ0-M9",  # 0 is not in the alphabet
        "HW-7KQI-M9",  # neither is I
        "XY-7KQ3-M9",
        "7KQ3M9",  # no prefix: case or person?
        "Aliya Nurlanovna",  # names are never codes
        "HW-" + "7" * 100,
        "HW-7KQ3-M9' OR 1=1",
    ],
)
def test_anything_else_is_not_a_code(typed: str) -> None:
    assert parse_code(typed) is None
