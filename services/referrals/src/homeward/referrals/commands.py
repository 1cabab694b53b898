"""Commands: what a caller asks referrals to do. They double as the API's request bodies.

Field checks that need no database (types, lengths, vocabularies) live here; the rules that
need the directory or the read models live in the domain and the handlers. Unknown fields are
refused so a typo never silently drops data.
"""

from __future__ import annotations

import re
from enum import StrEnum

from pydantic import Field, HttpUrl, field_validator

from homeward.common.commands import Command
from homeward.common.vocabulary import AgencyType, DataCategory, ServiceCategory
from homeward.referrals.domain.directory import Accreditation, CapacityStatus
from homeward.referrals.domain.lifecycle import Outcome, ReasonCode
from homeward.referrals.domain.suggestions import SuggestionDeclineReason, SuggestionReason

NOTE = Field(default=None, max_length=1000, description="stays in this service; never on the bus")
SLUG = r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$"
LANGUAGE_CODE = re.compile(r"[a-z]{2,3}")


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


class AccreditedStaff(Command):
    """How many of the agency's staff hold an accreditation; never who."""

    code: Accreditation
    count: int = Field(ge=1, le=10_000)


class AgencyProfile(Command):
    """What an agency's own staff keep about it (its name, type and status are the admins')."""

    capacity: CapacityStatus
    service_categories: list[ServiceCategory] = Field(min_length=1, max_length=20)
    municipalities: list[str] = Field(min_length=1, max_length=50)
    languages: list[str] = Field(
        default_factory=list,
        max_length=30,
        description="ISO 639 language codes the staff speak, e.g. ru, kk, uz, en",
    )
    accreditations: list[AccreditedStaff] = Field(default_factory=list, max_length=20)

    @field_validator("languages")
    @classmethod
    def _language_codes(cls, languages: list[str]) -> list[str]:
        codes = [code.strip().lower() for code in languages]
        if any(not LANGUAGE_CODE.fullmatch(code) for code in codes):
            raise ValueError("languages are ISO 639 codes of two or three letters, e.g. kk")
        return sorted(set(codes))

    @field_validator("municipalities")
    @classmethod
    def _named(cls, municipalities: list[str]) -> list[str]:
        if any(not m.strip() or len(m) > 100 for m in municipalities):
            raise ValueError("each municipality is a name of 1 to 100 characters")
        return municipalities


class SuggestReferral(Command):
    """A partner suggests another service for a person it serves."""

    service_category: ServiceCategory
    reason: SuggestionReason
    note: str | None = NOTE


class AcceptSuggestion(Command):
    """Turn a suggestion into a draft referral to `agency_id` (sent later, as any draft)."""

    agency_id: str = Field(max_length=64)
    priority: Priority = Priority.ROUTINE
    reason: str | None = Field(
        default=None, min_length=3, max_length=500, description="default: the suggestion's code"
    )
    disclose: list[DataCategory] = Field(default_factory=list, max_length=len(DataCategory))


class DeclineSuggestion(Command):
    reason: SuggestionDeclineReason
