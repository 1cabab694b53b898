"""Response models of the referrals API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from homeward.referrals.domain.deadlines import EscalationLevel


class AccreditedStaffView(BaseModel):
    code: str
    count: int


class AgencyView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    description: str | None
    agency_type: str
    service_categories: list[str]
    municipalities: list[str]
    capacity: str
    active: bool
    website: str | None
    updated_at: datetime
    languages: list[str]
    accreditations: list[AccreditedStaffView]


class HistoryEntryView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    actor: str | None
    action: str
    from_state: str | None
    to_state: str
    reason_code: str | None
    note: str | None
    outcome: str | None


class ReferralView(BaseModel):
    """A referral; `blocked_on` lists the gates it waits for, `allowed_actions` what may follow."""

    id: str
    case_id: str
    case_code: str
    person_id: str
    person_code: str
    municipality: str
    agency_id: str
    agency_type: str
    service_category: str
    priority: str
    reason: str
    disclose: list[str]
    state: str
    blocked_on: list[str]
    missing_consent: list[str]
    missing_documents: list[list[str]]
    consent_override_basis: str | None
    send_requested: bool
    warnings: list[str]
    outcome: str | None
    allowed_actions: list[str]
    created_at: datetime
    sent_at: datetime | None
    accepted_at: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    due_at: datetime | None = Field(
        default=None, description="when the agency's acceptance or completion is due"
    )
    escalation_level: EscalationLevel | None = Field(
        default=None,
        description="overdue: the level its running deadline was escalated to (lists and reads)",
    )


class ReferralDetailView(ReferralView):
    history: list[HistoryEntryView]
    shared_categories: list[str]
    case_summary: dict[str, Any] | None = None


class ReferralPage(BaseModel):
    items: list[ReferralView]
    total: int
    next_offset: int | None


class CategoryStateCount(BaseModel):
    service_category: str
    state: str
    count: int | str


class OutcomeIndicators(BaseModel):
    """Counts under 5 are shown as "<5"; medians and shares need at least 5 referrals."""

    municipality: str
    referrals: list[CategoryStateCount]
    median_hours_to_acceptance: float | str | None
    median_hours_to_completion: float | str | None
    completed: int | str
    share_completed_achieved: float | str | None


class SuggestionView(BaseModel):
    """An onward referral a partner suggested, and the coordinator's decision."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    from_referral_id: str
    case_id: str
    case_code: str
    person_id: str
    person_code: str
    agency_id: str
    agency_type: str
    service_category: str
    reason_code: str
    note: str | None
    status: str
    suggested_at: datetime
    decided_at: datetime | None
    decline_reason: str | None
    referral_id: str | None
