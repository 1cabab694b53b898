"""Commands: what a caller asks intake to do. They double as the API's request bodies.

Field checks that need no database (types, lengths, vocabularies) live here; the rules
that need the case (guardians, pending transfers) live in the domain and the handlers.
Unknown fields are refused so a typo never silently drops data.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import ConfigDict, Field

from homeward.common.commands import Command
from homeward.common.vocabulary import AgencyType, DataCategory
from homeward.intake.domain.assessments import NeedDomain, NeedLevel
from homeward.intake.domain.cases import CloseReason, Placement, SupportCapacity
from homeward.intake.domain.closures import ClosureRejection
from homeward.intake.domain.consent import LegalBasis
from homeward.intake.domain.persons import HouseholdRole, Sex
from homeward.intake.domain.transfers import TransferDeclineReason


class IdentityPurpose(StrEnum):
    """Why an identity is read. A closed list: the audit trail must not hold free text."""

    DOCUMENTATION = "documentation"
    REFERRAL = "referral"
    SAFEGUARDING = "safeguarding"
    CONTACT = "contact"
    CASE_REVIEW = "case-review"
    LEGAL_PROCEEDINGS = "legal-proceedings"


class RelationToReturnees(StrEnum):
    GRANDPARENTS = "grandparents"
    PARENTS = "parents"
    SIBLINGS = "siblings"
    UNCLE_OR_AUNT = "uncle-or-aunt"
    OTHER_RELATIVES = "other-relatives"
    NOT_RELATED = "not-related"


# Shared with the identity read's response example: one made-up person, never a real one.
IDENTITY_EXAMPLE = {
    "full_name": "Amina Example",
    "date_of_birth": "1994-05-17",
    "place_of_birth": "Riverton",
    "national_id": "RV-1234567",
    "address": "1 Example Street, Riverton",
    "phone": "+31 6 0000 0000",
}
# Free text only coordinators read; sealed with the case's key like an identity.
CoordinatorNotes = Annotated[str | None, Field(max_length=4000, description="coordinators only")]


class ProtectedIdentity(Command):
    """Identity of one person: stored sealed with the case's key, shown only on purpose."""

    model_config = ConfigDict(json_schema_extra={"example": IDENTITY_EXAMPLE})

    full_name: str = Field(min_length=1, max_length=200)
    date_of_birth: date | None = None
    place_of_birth: str | None = Field(default=None, max_length=200)
    national_id: str | None = Field(default=None, max_length=64)
    address: str | None = Field(default=None, max_length=500)
    phone: str | None = Field(default=None, max_length=40)


class NewPerson(Command):
    """A person of the household. A child names an adult of the case as guardian."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "ref": "child-1",
                "household_role": "child",
                "birth_year": 2016,
                "sex": "female",
                "guardian_ref": "mother",
            }
        }
    )

    ref: str | None = Field(
        default=None,
        max_length=40,
        description="Your key for this person within this request, for guardian_ref",
    )
    household_role: HouseholdRole
    birth_year: int
    sex: Sex = Sex.UNKNOWN
    guardian_ref: str | None = Field(
        default=None, max_length=40, description="ref of the guardian in the same request"
    )
    guardian_person_id: str | None = Field(
        default=None, max_length=36, description="id of a guardian already in the case"
    )
    identity: ProtectedIdentity | None = None


class RegisterCase(Command):
    """A returning family; the municipality is the coordinator's own (from the token)."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "return_operation": "2025 spring repatriation",
                "arrival_date": "2025-03-01",
                "placement": "rehabilitation-centre",
                "persons": [
                    {"ref": "mother", "household_role": "mother", "birth_year": 1994,
                     "sex": "female"},
                    {"ref": "child-1", "household_role": "child", "birth_year": 2016,
                     "sex": "female", "guardian_ref": "mother"},
                ],
            }
        }
    )  # fmt: skip

    return_operation: str = Field(
        min_length=1, max_length=120, description="Return operation or cohort"
    )
    arrival_date: date
    placement: Placement
    persons: list[NewPerson] = Field(default_factory=list, max_length=30)


class AssignCoordinator(Command):
    model_config = ConfigDict(
        json_schema_extra={"example": {"coordinator": "coordinator.riverton"}}
    )

    coordinator: str = Field(min_length=1, max_length=200, description="username in the realm")


class CloseCase(Command):
    model_config = ConfigDict(json_schema_extra={"example": {"reason": "reintegration-completed"}})

    reason: CloseReason


class RecordReceivingFamily(Command):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "relation": "grandparents",
                "support_capacity": "adequate",
                "assessed_positive_support": True,
                "notes": "Grandmother keen to help with school runs.",
            }
        }
    )

    relation: RelationToReturnees
    support_capacity: SupportCapacity
    assessed_positive_support: bool | None = Field(
        default=None, description="null until assessed: the family may have had a part in it"
    )
    notes: CoordinatorNotes = None


class RecordAssessment(Command):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "assessed_on": "2025-03-03",
                "levels": {"basic-needs": "high", "mental-health-and-trauma": "urgent",
                           "education": "medium"},
                "notes": "Sleeps badly; first GP visit booked.",
            }
        }
    )  # fmt: skip

    assessed_on: date
    levels: dict[NeedDomain, NeedLevel]
    notes: CoordinatorNotes = None


class GrantConsent(Command):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "recipient_agency_type": "school",
                "categories": ["education", "identity"],
                "legal_basis": "consent",
                "given_by_person_id": "5b0f6c9e-3f7c-4c55-9a51-0c4d1f0c2a11",
                "valid_from": "2025-03-01",
                "valid_until": "2026-03-01",
            }
        }
    )

    recipient_agency_type: AgencyType
    categories: list[DataCategory] = Field(min_length=1, max_length=6)
    legal_basis: LegalBasis
    given_by_person_id: str | None = Field(
        default=None, max_length=36, description="the person, or for a child their guardian"
    )
    valid_from: date | None = Field(default=None, description="default: today")
    valid_until: date


class DeclineTransfer(Command):
    model_config = ConfigDict(json_schema_extra={"example": {"reason": "information-missing"}})

    reason: TransferDeclineReason


class RejectClosure(Command):
    model_config = ConfigDict(json_schema_extra={"example": {"reason": "support-still-needed"}})

    reason: ClosureRejection


class RequestTransfer(Command):
    model_config = ConfigDict(json_schema_extra={"example": {"to_municipality": "lakeside"}})

    to_municipality: str = Field(min_length=1, max_length=100)
