"""Events the intake service publishes on `homeward.intake.cases`, keyed by case id.

Ids, codes, municipality, enum values and dates only: no identity ever leaves intake. Enum
fields are plain strings here (the vocabularies live with the intake domain); consumers treat
an unknown value as "other" rather than failing, since vocabularies grow.
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from pydantic import Field

from homeward.common.events.contracts import EventContract, event_contract

INTAKE_CASES_TOPIC = "homeward.intake.cases"


@event_contract("homeward.case.registered.v1", topic=INTAKE_CASES_TOPIC)
class CaseRegistered(EventContract):
    case_id: UUID
    case_code: str = Field(examples=["HW-7KQ3-M9"])
    municipality: str
    placement: str = Field(description="rehabilitation-centre | receiving-family | independent")
    arrival_date: date
    person_count: int
    registered_at: datetime


@event_contract("homeward.person.added.v1", topic=INTAKE_CASES_TOPIC)
class PersonAdded(EventContract):
    case_id: UUID
    case_code: str
    municipality: str
    person_id: UUID
    person_code: str = Field(examples=["P-4TXR-8N"])
    household_role: str = Field(description="mother | father | child | grandparent | ...")
    birth_year: int
    sex: str
    age_group: str = Field(description="child | adult")
    guardian_person_id: UUID | None = None


@event_contract("homeward.case.coordinator_assigned.v1", topic=INTAKE_CASES_TOPIC)
class CoordinatorAssigned(EventContract):
    case_id: UUID
    case_code: str
    municipality: str
    coordinator: str = Field(description="the coordinator's username in the Homeward realm")
    assigned_at: datetime


@event_contract("homeward.assessment.recorded.v1", topic=INTAKE_CASES_TOPIC)
class AssessmentRecorded(EventContract):
    """Levels per domain only: the assessment's notes stay sealed in intake."""

    assessment_id: UUID
    case_id: UUID
    case_code: str
    municipality: str
    person_id: UUID
    assessed_on: date
    levels: dict[str, str] = Field(description="need domain -> none | low | medium | high | urgent")


@event_contract("homeward.consent.granted.v1", topic=INTAKE_CASES_TOPIC)
class ConsentGranted(EventContract):
    consent_id: UUID
    case_id: UUID
    case_code: str
    person_id: UUID
    recipient_agency_type: str
    categories: list[str] = Field(description="identity | health | education | legal | ...")
    legal_basis: str = Field(description="consent | legal-obligation | vital-interest")
    valid_from: date
    valid_until: date


@event_contract("homeward.consent.revoked.v1", topic=INTAKE_CASES_TOPIC)
class ConsentRevoked(EventContract):
    consent_id: UUID
    case_id: UUID
    case_code: str
    person_id: UUID
    recipient_agency_type: str
    revoked_at: datetime


class TransferFacts(EventContract):
    """Which case moves from where to where: the fields every transfer event carries."""

    transfer_id: UUID
    case_id: UUID
    case_code: str
    from_municipality: str
    to_municipality: str


@event_contract("homeward.transfer.requested.v1", topic=INTAKE_CASES_TOPIC)
class TransferRequested(TransferFacts):
    requested_at: datetime


@event_contract("homeward.transfer.declined.v1", topic=INTAKE_CASES_TOPIC)
class TransferDeclined(TransferFacts):
    declined_at: datetime
    reason_code: str | None = Field(
        default=None, description="not-resident-here | no-capacity | ... (absent before v1.1)"
    )


@event_contract("homeward.case.transferred.v1", topic=INTAKE_CASES_TOPIC)
class CaseTransferred(TransferFacts):
    """The case now belongs to `to_municipality`; the sending side drops what it kept."""

    transferred_at: datetime


@event_contract("homeward.case.closed.v1", topic=INTAKE_CASES_TOPIC)
class CaseClosed(EventContract):
    case_id: UUID
    case_code: str
    municipality: str
    reason: str = Field(description="reintegration-completed | left-the-programme | ...")
    closed_at: datetime


class ClosureFacts(EventContract):
    """Which case a coordinator asked to close, and why (a code)."""

    closure_request_id: UUID
    case_id: UUID
    case_code: str
    municipality: str
    reason: str = Field(description="reintegration-completed | left-the-programme | ...")


@event_contract("homeward.case.closure_requested.v1", topic=INTAKE_CASES_TOPIC)
class CaseClosureRequested(ClosureFacts):
    """A coordinator asked; the municipality's supervisors decide."""

    requested_at: datetime


@event_contract("homeward.case.closure_rejected.v1", topic=INTAKE_CASES_TOPIC)
class CaseClosureRejected(ClosureFacts):
    """A supervisor kept the case open (an approval is announced as `CaseClosed`)."""

    rejection_reason: str = Field(description="support-still-needed | ...")
    rejected_at: datetime


@event_contract("homeward.case.identities_erased.v1", topic=INTAKE_CASES_TOPIC)
class CaseIdentitiesErased(EventContract):
    """The case's data key is destroyed; consumers drop any identity-derived copies."""

    case_id: UUID
    case_code: str
    municipality: str
    erased_at: datetime


__all__ = [
    "INTAKE_CASES_TOPIC",
    "AssessmentRecorded",
    "CaseClosed",
    "CaseClosureRejected",
    "CaseClosureRequested",
    "CaseIdentitiesErased",
    "CaseRegistered",
    "CaseTransferred",
    "ConsentGranted",
    "ConsentRevoked",
    "CoordinatorAssigned",
    "PersonAdded",
    "TransferDeclined",
    "TransferRequested",
]
