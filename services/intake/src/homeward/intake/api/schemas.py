"""Response models. None of them carries identity except `IdentityView` (its own endpoint)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from homeward.intake.commands import IDENTITY_EXAMPLE


class View(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class PersonView(View):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": "5b0f6c9e-3f7c-4c55-9a51-0c4d1f0c2a11",
                "code": "P-4TXR-8N",
                "household_role": "child",
                "birth_year": 2016,
                "sex": "female",
                "age_group": "child",
                "guardian_id": "0d7e5a43-8f0e-4bb0-9c1e-6a2b8b1f9e20",
                "has_identity": True,
            }
        }
    )

    id: str
    code: str
    household_role: str
    birth_year: int
    sex: str
    age_group: str
    guardian_id: str | None
    has_identity: bool


class CaseSummary(View):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": "9c4d8d5e-1a57-4d53-8f0a-3b3b7b1c2d10",
                "code": "HW-7KQ3-M9",
                "municipality": "riverton",
                "return_operation": "2025 spring repatriation",
                "arrival_date": "2025-03-01",
                "placement": "rehabilitation-centre",
                "status": "open",
                "coordinator": "coordinator.riverton",
                "person_count": 3,
                "registered_at": "2025-03-01T10:00:00Z",
                "closed_at": None,
                "close_reason": None,
                "identities_erased": False,
            }
        }
    )

    id: str
    code: str
    municipality: str
    return_operation: str
    arrival_date: date
    placement: str
    status: str
    coordinator: str | None
    person_count: int
    registered_at: datetime
    closed_at: datetime | None
    close_reason: str | None
    identities_erased: bool


class CaseView(CaseSummary):
    """A case with its persons (pseudonymous: codes, roles, birth years; no identities)."""

    persons: list[PersonView]


class CasePage(BaseModel):
    items: list[CaseSummary]
    total: int
    next_offset: int | None


class IdentityView(BaseModel):
    """Decrypted identity of one person; every read of it is audited."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "person_id": "5b0f6c9e-3f7c-4c55-9a51-0c4d1f0c2a11",
                "person_code": "P-4TXR-8N",
                **IDENTITY_EXAMPLE,
            }
        }
    )

    person_id: str
    person_code: str
    full_name: str
    date_of_birth: date | None
    place_of_birth: str | None
    national_id: str | None
    address: str | None
    phone: str | None


class IdentityRecorded(BaseModel):
    """Acknowledges a stored identity without echoing it."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {"person_id": "5b0f6c9e-3f7c-4c55-9a51-0c4d1f0c2a11",
                        "person_code": "P-4TXR-8N",
                        "fields": ["date_of_birth", "full_name", "national_id"]}
        }
    )  # fmt: skip

    person_id: str
    person_code: str
    fields: list[str]


class ReceivingFamilyView(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "case_id": "9c4d8d5e-1a57-4d53-8f0a-3b3b7b1c2d10",
                "relation": "grandparents",
                "support_capacity": "adequate",
                "assessed_positive_support": True,
                "notes": None,
                "recorded_at": "2025-03-02T09:00:00Z",
            }
        }
    )

    case_id: str
    relation: str
    support_capacity: str
    assessed_positive_support: bool | None
    notes: str | None = None
    recorded_at: datetime


class AssessmentView(BaseModel):
    """Notes appear for coordinators only, and never after the case's identities are erased."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": "3f1e2d4c-5b6a-4798-8a9b-0c1d2e3f4a5b",
                "person_id": "5b0f6c9e-3f7c-4c55-9a51-0c4d1f0c2a11",
                "assessed_on": "2025-03-03",
                "levels": {"basic-needs": "high", "mental-health-and-trauma": "urgent"},
                "notes": None,
                "recorded_at": "2025-03-03T14:00:00Z",
            }
        }
    )

    id: str
    person_id: str
    assessed_on: date
    levels: dict[str, str]
    notes: str | None = None
    recorded_at: datetime


class ConsentView(View):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d",
                "person_id": "5b0f6c9e-3f7c-4c55-9a51-0c4d1f0c2a11",
                "given_by_id": "0d7e5a43-8f0e-4bb0-9c1e-6a2b8b1f9e20",
                "recipient_agency_type": "school",
                "categories": ["education"],
                "legal_basis": "consent",
                "valid_from": "2025-03-01",
                "valid_until": "2026-03-01",
                "granted_at": "2025-03-01T10:00:00Z",
                "revoked_at": None,
                "in_force": True,
            }
        },
    )

    id: str
    person_id: str
    given_by_id: str | None
    recipient_agency_type: str
    categories: list[str]
    legal_basis: str
    valid_from: date
    valid_until: date
    granted_at: datetime
    revoked_at: datetime | None
    in_force: bool


class ExpiringConsentView(ConsentView):
    """A consent about to end, with the case it belongs to (codes only)."""

    case_id: str
    case_code: str
    person_code: str


class TransferView(View):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e",
                "case_id": "9c4d8d5e-1a57-4d53-8f0a-3b3b7b1c2d10",
                "case_code": "HW-7KQ3-M9",
                "from_municipality": "riverton",
                "to_municipality": "lakeside",
                "status": "pending",
                "requested_at": "2025-04-01T08:00:00Z",
                "decided_at": None,
                "decision_reason": None,
                "allowed_actions": ["accept", "decline"],
            }
        },
    )

    id: str
    case_id: str
    case_code: str
    from_municipality: str
    to_municipality: str
    status: str
    requested_at: datetime
    decided_at: datetime | None
    decision_reason: str | None
    # What the caller may do with it: `accept` and `decline` when it is pending, into their
    # municipality, and they decide transfers (supervisors; coordinators with the setting off).
    allowed_actions: list[str]


class ClosureRequestView(View):
    """A coordinator's request to close a case, and the supervisor's decision."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": "7e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b",
                "case_id": "9c4d8d5e-1a57-4d53-8f0a-3b3b7b1c2d10",
                "case_code": "HW-7KQ3-M9",
                "reason": "reintegration-completed",
                "status": "rejected",
                "requested_at": "2025-09-01T08:00:00Z",
                "decided_at": "2025-09-02T10:00:00Z",
                "decision_reason": "support-still-needed",
            }
        },
    )

    id: str
    case_id: str
    case_code: str
    reason: str
    status: str
    requested_at: datetime
    decided_at: datetime | None
    decision_reason: str | None


class ErasureView(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"example": {"case_code": "HW-7KQ3-M9",
                                       "erased_at": "2025-06-01T12:00:00Z"}}
    )  # fmt: skip

    case_code: str
    erased_at: datetime


class AgencyIdentityView(BaseModel):
    """What an agency with an accepted referral may know of a person: name and birth date."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "person_id": "5b0f6c9e-3f7c-4c55-9a51-0c4d1f0c2a11",
                "person_code": "P-4TXR-8N",
                "full_name": IDENTITY_EXAMPLE["full_name"],
                "date_of_birth": IDENTITY_EXAMPLE["date_of_birth"],
            }
        }
    )

    person_id: str
    person_code: str
    full_name: str
    date_of_birth: date | None
