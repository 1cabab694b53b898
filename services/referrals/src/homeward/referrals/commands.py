"""Commands: what a caller asks referrals to do. They double as the API's request bodies.

Field checks that need no database (types, lengths, vocabularies) live here; the rules that
need the directory or the read models live in the domain and the handlers. Unknown fields are
refused so a typo never silently drops data.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, HttpUrl

from homeward.common.commands import Command
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
    case_id: str = Field(max_length=36)
    person_id: str = Field(max_length=36)
    agency_id: str = Field(max_length=64)
    service_category: ServiceCategory
    priority: Priority = Priority.ROUTINE
    reason: str = Field(min_length=3, max_length=500, description="a short reason for the agency")
    disclose: list[DataCategory] = Field(
        default_factory=list, max_length=len(DataCategory), description="data categories shared"
    )
    send: bool = Field(default=False, description="send now (or as soon as no gate blocks)")


class SendReferral(Command):
    note: str | None = NOTE


class Decision(Command):
    reason: ReasonCode | None = None
    note: str | None = NOTE


class RequesterDecision(Decision):
    """Mark entered-in-error: a reason code and a note."""


class AgencyDecision(Decision):
    """Accept, reject, start, hold, resume or fail: a reason code where required, a note."""


class CompleteReferral(Command):
    outcome: Outcome
    note: str | None = NOTE


class OverrideLegalBasis(StrEnum):
    LEGAL_OBLIGATION = "legal-obligation"
    VITAL_INTEREST = "vital-interest"
    PUBLIC_TASK = "public-task"
    CHILD_PROTECTION = "child-protection"


class OverrideConsent(Command):
    """A supervisor lifts a consent block; the reason is audited, never published."""

    legal_basis: OverrideLegalBasis
    reason: str = Field(min_length=10, max_length=1000)


class AgencyDetails(Command):
    """An agency in the partner directory (HSDS organization + services + service areas)."""

    name: str = Field(min_length=2, max_length=200)
    description: str | None = Field(default=None, max_length=1000)
    agency_type: AgencyType
    service_categories: list[ServiceCategory] = Field(min_length=1, max_length=20)
    municipalities: list[str] = Field(min_length=1, max_length=50)
    capacity: CapacityStatus = CapacityStatus.OPEN
    active: bool = True
    website: HttpUrl | None = None


class NewAgency(AgencyDetails):
    id: str = Field(pattern=SLUG, description="a stable slug, e.g. riverton-police")
