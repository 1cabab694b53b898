"""The intake domain rules, alone: no app, no database."""

from __future__ import annotations

from datetime import date

import pytest

from homeward.common.codes import (
    CASE_CODE_PATTERN,
    PERSON_CODE_PATTERN,
    UNAMBIGUOUS_ALPHABET,
    CodeKind,
    parse_code,
)
from homeward.intake.domain.codes import new_case_code, new_person_code
from homeward.intake.domain.consent import (
    ConsentGiver,
    DataCategory,
    LegalBasis,
    check_consent_grant,
    check_revocable,
    is_in_force,
)
from homeward.intake.domain.errors import RuleViolation, StateConflict
from homeward.intake.domain.persons import AgeGroup, HouseholdMember, age_group, check_guardian
from homeward.intake.domain.transfers import (
    TransferStatus,
    check_decision,
    check_transfer_request,
)

TODAY = date(2025, 6, 1)


def test_case_codes_are_well_formed_random_and_unambiguous() -> None:
    codes = {new_case_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(CASE_CODE_PATTERN.match(code) for code in codes)
    assert not set("".join(codes).replace("HW-", "").replace("-", "")) & set("01ILOUV")
    assert PERSON_CODE_PATTERN.match(new_person_code())
    assert len(set(UNAMBIGUOUS_ALPHABET)) == len(UNAMBIGUOUS_ALPHABET) == 29


def test_every_code_intake_makes_reads_back_as_itself_however_it_is_typed() -> None:
    for code, kind in [(new_case_code(), CodeKind.CASE), (new_person_code(), CodeKind.PERSON)]:
        for typed in (code, code.lower(), code.replace("-", ""), f"  {code.lower()} "):
            parsed = parse_code(typed)
            assert parsed is not None and (parsed.kind, parsed.value) == (kind, code), typed


@pytest.mark.parametrize(
    ("birth_year", "group"),
    [
        (2025, AgeGroup.CHILD),
        (2008, AgeGroup.CHILD),
        (2007, AgeGroup.ADULT),
        (1950, AgeGroup.ADULT),
    ],
)
def test_child_or_adult_from_birth_year(birth_year: int, group: AgeGroup) -> None:
    # Born 2007: 18 at some point in 2025, counted as adult; born 2008: still a child.
    assert age_group(birth_year, current_year=2025) is group


@pytest.mark.parametrize("birth_year", [2026, 1899])
def test_birth_year_out_of_range(birth_year: int) -> None:
    with pytest.raises(RuleViolation, match="birth_year"):
        age_group(birth_year, current_year=2025)


def test_guardian_rules() -> None:
    members = {"mum": HouseholdMember(age_group=AgeGroup.ADULT),
               "kid": HouseholdMember(age_group=AgeGroup.CHILD)}  # fmt: skip
    check_guardian(person_age_group=AgeGroup.CHILD, guardian_key="mum", members=members)
    check_guardian(person_age_group=AgeGroup.ADULT, guardian_key=None, members=members)
    with pytest.raises(RuleViolation, match="needs a guardian"):
        check_guardian(person_age_group=AgeGroup.CHILD, guardian_key=None, members=members)
    with pytest.raises(RuleViolation, match="must be an adult"):
        check_guardian(person_age_group=AgeGroup.CHILD, guardian_key="kid", members=members)
    with pytest.raises(RuleViolation, match="same case"):
        check_guardian(person_age_group=AgeGroup.CHILD, guardian_key="other", members=members)
    with pytest.raises(RuleViolation, match="no guardian"):
        check_guardian(person_age_group=AgeGroup.ADULT, guardian_key="mum", members=members)


def _grant(**overrides: object) -> None:
    terms: dict[str, object] = {
        "person_age_group": AgeGroup.CHILD,
        "legal_basis": LegalBasis.CONSENT,
        "giver": ConsentGiver(is_the_person=False, is_the_guardian=True),
        "categories": [DataCategory.EDUCATION],
        "valid_from": TODAY,
        "valid_until": date(2026, 6, 1),
        "today": TODAY,
    }
    check_consent_grant(**{**terms, **overrides})  # type: ignore[arg-type]


def test_consent_validity_rules() -> None:
    _grant()
    _grant(legal_basis=LegalBasis.VITAL_INTEREST, giver=None)
    _grant(person_age_group=AgeGroup.ADULT,
           giver=ConsentGiver(is_the_person=True, is_the_guardian=False))  # fmt: skip
    refused = {
        "guardian": {"giver": ConsentGiver(is_the_person=True, is_the_guardian=False)},
        "for themselves": {"person_age_group": AgeGroup.ADULT},
        "given_by": {"giver": None},
        "at least one": {"categories": []},
        "in the past": {"valid_from": date(2024, 1, 1), "valid_until": date(2025, 1, 1)},
        "on or after": {"valid_until": date(2025, 5, 1)},
        "at most": {"valid_until": date(2030, 1, 1)},
    }
    for message, overrides in refused.items():
        with pytest.raises(RuleViolation, match=message):
            _grant(**overrides)


def test_consent_in_force_and_revocation() -> None:
    span = {"valid_from": TODAY, "valid_until": date(2025, 12, 31)}
    assert is_in_force(**span, revoked_at=None, on=TODAY)
    assert not is_in_force(**span, revoked_at=None, on=date(2026, 1, 1))
    assert not is_in_force(**span, revoked_at=object(), on=TODAY)  # type: ignore[arg-type]
    with pytest.raises(StateConflict):
        check_revocable(revoked_at=object())  # type: ignore[arg-type]


def test_transfer_rules() -> None:
    check_transfer_request(
        from_municipality="riverton", to_municipality="lakeside", pending_transfer_exists=False
    )
    with pytest.raises(RuleViolation, match="already in that municipality"):
        check_transfer_request(
            from_municipality="riverton",
            to_municipality=" Riverton ",
            pending_transfer_exists=False,
        )
    with pytest.raises(StateConflict, match="already pending"):
        check_transfer_request(
            from_municipality="riverton", to_municipality="lakeside", pending_transfer_exists=True
        )
    check_decision(status=TransferStatus.PENDING)
    with pytest.raises(StateConflict, match="already accepted"):
        check_decision(status=TransferStatus.ACCEPTED)
