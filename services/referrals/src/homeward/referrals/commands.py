"""Commands: what a caller asks referrals to do. They double as the API's request bodies.

Field checks that need no database (types, lengths, vocabularies) live here; the rules that
need the directory or the read models live in the domain and the handlers. Unknown fields are
refused so a typo never silently drops data.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import ConfigDict, Field, HttpUrl, StringConstraints, field_validator

from homeward.common.commands import Command, StrictBool
from homeward.common.vocabulary import AgencyType, DataCategory, ServiceCategory
from homeward.referrals.domain.directory import Accreditation, CapacityStatus
from homeward.referrals.domain.lifecycle import Outcome, ReasonCode
from homeward.referrals.domain.suggestions import SuggestionDeclineReason, SuggestionReason

NOTE = Field(default=None, max_length=1000, description="stays in this service; never on the bus")
SLUG = r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$"
# The constraints live in the types, so the OpenAPI document says what the API checks.
LanguageCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2,3}$")]
MunicipalityName = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"\S")]


class Priority(StrEnum):
    """FHIR request priority."""

    ROUTINE = "routine"
    URGENT = "urgent"
    ASAP = "asap"
    STAT = "stat"


class CreateReferral(Command):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "case_id": "c7bf6930-4a22-4340-a6a4-a8df70bf150e",
                "person_id": "a111261d-7cb6-4cea-a816-905168889170",
                "agency_id": "riverton-primary-school",
                "service_category": "school-enrolment",
                "reason": "enrol the child in year 3",
                "disclose": ["education"],
                "send": True,
            }
        }
    )

    case_id: str = Field(max_length=36)
    person_id: str = Field(max_length=36)
    agency_id: str = Field(max_length=64)
    service_category: ServiceCategory
    priority: Priority = Priority.ROUTINE
    reason: str = Field(min_length=3, max_length=500, description="a short reason for the agency")
    disclose: list[DataCategory] = Field(
        default_factory=list, max_length=len(DataCategory), description="data categories shared"
    )
    send: StrictBool = Field(default=False, description="send now (or as soon as no gate blocks)")


class SendReferral(Command):
    model_config = ConfigDict(
        json_schema_extra={"example": {"note": "the family expects your call"}}
    )

    note: str | None = NOTE


class Decision(Command):
    """A transition's reason code (required to cancel, reject, hold or fail) and a note."""

    model_config = ConfigDict(
        json_schema_extra={"example": {"reason": "duplicate", "note": "referred twice"}}
    )

    reason: ReasonCode | None = None
    note: str | None = NOTE


class RequesterDecision(Decision):
    """Mark entered-in-error: a reason code and a note."""

    model_config = ConfigDict(json_schema_extra={"example": {"reason": "needs-changed"}})


class AgencyDecision(Decision):
    """Accept, reject, start, hold, resume or fail: a reason code where required, a note."""

    model_config = ConfigDict(
        json_schema_extra={"example": {"reason": "no-capacity", "note": "full until June"}}
    )


class CompleteReferral(Command):
    model_config = ConfigDict(
        json_schema_extra={"example": {"outcome": "achieved", "note": "enrolled in year 3"}}
    )

    outcome: Outcome
    note: str | None = NOTE


class OverrideLegalBasis(StrEnum):
    LEGAL_OBLIGATION = "legal-obligation"
    VITAL_INTEREST = "vital-interest"
    PUBLIC_TASK = "public-task"
    CHILD_PROTECTION = "child-protection"


class OverrideConsent(Command):
    """A supervisor lifts a consent block; the reason is audited, never published."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "legal_basis": "child-protection",
                "reason": "the child must be seen by the clinic this week",
            }
        }
    )

    legal_basis: OverrideLegalBasis
    reason: str = Field(min_length=10, max_length=1000)


class AgencyDetails(Command):
    """An agency in the partner directory (HSDS organization + services + service areas)."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "name": "Riverton Primary School",
                "description": "Primary school with a welcome class",
                "agency_type": "school",
                "service_categories": ["school-enrolment"],
                "municipalities": ["riverton"],
                "capacity": "open",
                "active": True,
                "website": "https://school.riverton.example",
            }
        }
    )

    name: str = Field(min_length=2, max_length=200)
    description: str | None = Field(default=None, max_length=1000)
    agency_type: AgencyType
    service_categories: list[ServiceCategory] = Field(min_length=1, max_length=20)
    municipalities: list[str] = Field(min_length=1, max_length=50)
    capacity: CapacityStatus = CapacityStatus.OPEN
    active: StrictBool = True
    website: HttpUrl | None = None


class NewAgency(AgencyDetails):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": "riverton-primary-school",
                "name": "Riverton Primary School",
                "description": "Primary school with a welcome class",
                "agency_type": "school",
                "service_categories": ["school-enrolment"],
                "municipalities": ["riverton"],
                "capacity": "open",
                "active": True,
                "website": "https://school.riverton.example",
            }
        }
    )

    id: str = Field(pattern=SLUG, description="a stable slug, e.g. riverton-police")


class AccreditedStaff(Command):
    """How many of the agency's staff hold an accreditation; never who."""

    code: Accreditation
    count: int = Field(ge=1, le=10_000)


class AgencyProfile(Command):
    """What an agency's own staff keep about it (its name, type and status are the admins')."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "capacity": "waitlist",
                "service_categories": ["mental-health"],
                "municipalities": ["riverton"],
                "languages": ["ru", "kk"],
                "accreditations": [{"code": "trauma-informed-psychologist", "count": 2}],
            }
        }
    )

    capacity: CapacityStatus
    service_categories: list[ServiceCategory] = Field(min_length=1, max_length=20)
    municipalities: list[MunicipalityName] = Field(min_length=1, max_length=50)
    languages: list[LanguageCode] = Field(
        default_factory=list,
        max_length=30,
        description="ISO 639 language codes the staff speak, e.g. ru, kk, uz, en",
    )
    accreditations: list[AccreditedStaff] = Field(default_factory=list, max_length=20)

    @field_validator("languages")
    @classmethod
    def _one_each(cls, languages: list[str]) -> list[str]:
        return sorted({code.lower() for code in languages})


class SuggestReferral(Command):
    """A partner suggests another service for a person it serves."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {"service_category": "mental-health", "reason": "need-observed"}
        }
    )

    service_category: ServiceCategory
    reason: SuggestionReason
    note: str | None = NOTE


class AcceptSuggestion(Command):
    """Turn a suggestion into a draft referral to `agency_id` (sent later, as any draft)."""

    model_config = ConfigDict(
        json_schema_extra={"example": {"agency_id": "riverton-health-centre", "disclose": []}}
    )

    agency_id: str = Field(max_length=64)
    priority: Priority = Priority.ROUTINE
    reason: str | None = Field(
        default=None, min_length=3, max_length=500, description="default: the suggestion's code"
    )
    disclose: list[DataCategory] = Field(default_factory=list, max_length=len(DataCategory))


class DeclineSuggestion(Command):
    """Why the coordinator does not take the suggestion up (the partner sees the code)."""

    model_config = ConfigDict(json_schema_extra={"example": {"reason": "already-referred"}})

    reason: SuggestionDeclineReason
