"""Persons of a case: household role, birth year, child or adult, and guardianship."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from homeward.intake.domain.errors import RuleViolation

EARLIEST_BIRTH_YEAR = 1900
AGE_OF_MAJORITY = 18


class HouseholdRole(StrEnum):
    MOTHER = "mother"
    FATHER = "father"
    CHILD = "child"
    GRANDPARENT = "grandparent"
    OTHER_RELATIVE = "other-relative"


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"
    UNKNOWN = "unknown"


class AgeGroup(StrEnum):
    CHILD = "child"
    ADULT = "adult"


def check_birth_year(birth_year: int, *, current_year: int) -> None:
    if birth_year > current_year:
        raise RuleViolation(
            f"birth_year {birth_year} is in the future; give a year up to {current_year}"
        )
    if birth_year < EARLIEST_BIRTH_YEAR:
        raise RuleViolation(f"birth_year must be {EARLIEST_BIRTH_YEAR} or later")


def age_group(birth_year: int, *, current_year: int) -> AgeGroup:
    """Child until the calendar year of the 18th birthday.

    Only the birth year is kept (the full date is protected identity), so a person counts as
    a child for the whole year in which they turn 18: the protective reading when unsure.
    """
    check_birth_year(birth_year, current_year=current_year)
    return AgeGroup.CHILD if current_year - birth_year <= AGE_OF_MAJORITY - 1 else AgeGroup.ADULT


@dataclass(frozen=True, kw_only=True)
class HouseholdMember:
    """What the guardianship rules need to know about a person already in the case."""

    age_group: AgeGroup


def check_guardian(
    *,
    person_age_group: AgeGroup,
    guardian_key: str | None,
    members: Mapping[str, HouseholdMember],
) -> None:
    """A child needs a guardian who is an adult of the same case; an adult has none.

    `members` holds the persons of this case only, by the key the caller used for the
    guardian, so a guardian from another case is simply not found.
    """
    if person_age_group is AgeGroup.ADULT:
        if guardian_key is not None:
            raise RuleViolation("an adult has no guardian; leave the guardian empty")
        return
    if guardian_key is None:
        raise RuleViolation("a child needs a guardian: name an adult of the same case")
    guardian = members.get(guardian_key)
    if guardian is None:
        raise RuleViolation("the guardian must be a person of the same case; no such person")
    if guardian.age_group is not AgeGroup.ADULT:
        raise RuleViolation("the guardian must be an adult; the person named is a child")
