"""Response bodies. Protected fields are null unless the caller may see them."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field


class StatusChangeView(BaseModel):
    at: datetime
    from_status: str | None = Field(description="null: the record was opened")
    to_status: str


class RecordChangeView(StatusChangeView):
    actor: str
    reason: str | None = Field(description="documents officers and coordinators only")


class RecordView(BaseModel):
    """One document record of a person."""

    id: str
    person_id: str
    person_code: str
    case_code: str
    document_type: str
    status: str
    issuing_authority: str | None
    reference_number: str | None = Field(description="documents officers only")
    has_reference_number: bool
    blocker_description: str | None = Field(description="documents officers and coordinators")
    requested_on: date | None
    issued_on: date | None
    expiry_on: date | None
    protected_erased: bool = Field(description="the case's protected data were erased")
    updated_at: datetime
    history: list[RecordChangeView]


class RecordSummaryView(BaseModel):
    """A record in a municipality-wide list: no protected field, no history."""

    id: str
    case_id: str
    case_code: str
    person_id: str
    person_code: str
    document_type: str
    status: str
    expiry_on: date | None
    updated_at: datetime


class RecordPage(BaseModel):
    items: list[RecordSummaryView]
    total: int
    next_offset: int | None


class PersonRecordsView(BaseModel):
    person_id: str
    person_code: str
    case_code: str
    records: list[RecordView]


class RecordHistoryView(BaseModel):
    """A record's type, status, dates and status changes: no reference number, blocker,
    reason or actor."""

    id: str
    document_type: str
    status: str
    requested_on: date | None
    issued_on: date | None
    expiry_on: date | None
    changes: list[StatusChangeView]


class PersonHistoryView(BaseModel):
    person_id: str
    person_code: str
    records: list[RecordHistoryView]


class ReadinessView(BaseModel):
    """Which categories the person is ready for; per other category, what is missing."""

    person_id: str
    person_code: str | None
    ready_categories: list[str]
    missing: dict[str, list[list[str]]]
    rules_version: str


class PartnerReadinessView(BaseModel):
    """What a partner agency learns: ready or not, for the categories referred to it."""

    person_id: str
    ready: dict[str, bool]


class TaskView(BaseModel):
    id: str
    referral_id: str
    case_code: str
    person_id: str
    person_code: str | None
    service_category: str
    needed: list[list[str]]
    status: str
    raised_at: datetime
    closed_at: datetime | None
    closed_because: str | None


class TaskPage(BaseModel):
    items: list[TaskView]
    total: int
    next_offset: int | None


class OverviewView(BaseModel):
    """Counts under 5 are shown as "<5", medians of under 5 documents likewise."""

    municipality: str
    persons: int | str
    not_ready_by_category: dict[str, int | str]
    blocked_referrals_by_category: dict[str, int | str]
    median_days_requested_to_issued: dict[str, float | str | None]


class CatalogueView(BaseModel):
    document_types: list[str]
    service_categories: list[str]
    rules_version: str
    rules: dict[str, list[list[str]]]


class CaseRecordsView(BaseModel):
    """A case's documentation history: each person's records, and its documentation tasks
    (raised and closed, oldest first)."""

    case_id: str
    case_code: str
    persons: list[PersonHistoryView]
    tasks: list[TaskView]
