"""Consent per person, per recipient agency type, per data category; time-limited, revocable."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from homeward.common.vocabulary import DataCategory
from homeward.intake.domain.errors import RuleViolation, StateConflict
from homeward.intake.domain.persons import AgeGroup

# Consent older than this is stale: people's situations change, so it must be renewed.
MAX_VALIDITY_DAYS = 3 * 366


class LegalBasis(StrEnum):
    CONSENT = "consent"
    LEGAL_OBLIGATION = "legal-obligation"
    VITAL_INTEREST = "vital-interest"


@dataclass(frozen=True, kw_only=True)
class ConsentGiver:
    """Who gives consent for the person: themselves, or for a child their guardian."""

    is_the_person: bool
    is_the_guardian: bool


def check_consent_grant(
    *,
    person_age_group: AgeGroup,
    legal_basis: LegalBasis,
    giver: ConsentGiver | None,
    categories: Collection[DataCategory],
    valid_from: date,
    valid_until: date,
    today: date,
) -> None:
    if not categories:
        raise RuleViolation("name at least one data category the consent covers")
    if valid_until < valid_from:
        raise RuleViolation("valid_until must be on or after valid_from")
    if valid_until < today:
        raise RuleViolation("valid_until is in the past; consent must still be in force")
    if (valid_until - valid_from).days > MAX_VALIDITY_DAYS:
        raise RuleViolation(f"consent may last at most {MAX_VALIDITY_DAYS} days; renew it later")
    if legal_basis is not LegalBasis.CONSENT:
        return  # a legal obligation or a vital interest does not depend on anyone's consent
    if giver is None:
        raise RuleViolation("consent as legal basis needs given_by: the person or their guardian")
    if person_age_group is AgeGroup.CHILD and not giver.is_the_guardian:
        raise RuleViolation("for a child, consent is given by the child's guardian")
    if person_age_group is AgeGroup.ADULT and not giver.is_the_person:
        raise RuleViolation("an adult gives consent for themselves; given_by must be the person")


def is_in_force(
    *, valid_from: date, valid_until: date, revoked_at: datetime | None, on: date
) -> bool:
    return revoked_at is None and valid_from <= on <= valid_until


def check_revocable(*, revoked_at: datetime | None) -> None:
    if revoked_at is not None:
        raise StateConflict("this consent is already revoked")
