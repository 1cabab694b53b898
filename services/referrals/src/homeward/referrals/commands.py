"""Commands: what a caller asks referrals to do. They double as the API's request bodies.

Field checks that need no database (types, lengths, vocabularies) live here; the rules that
need the directory or the read models live in the domain and the handlers. Unknown fields are
refused so a typo never silently drops data.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import ConfigDict, Field, HttpUrl

from homeward.common.commands import Command, StrictBool
from homeward.common.vocabulary import AgencyType, DataCategory, ServiceCategory
from homeward.referrals.domain.directory import CapacityStatus
from homeward.referrals.domain.lifecycle import Outcome, ReasonCode

NOTE = Field(default=None, max_length=1000, description="stays in this service; never on the bus")
SLUG = r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$"


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
    reason: ReasonCode | None = None
    note: str | None = NOTE


class RequesterDecision(Decision):
    """Cancel or mark entered-in-error: a reason code (required to cancel) and a note."""

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
