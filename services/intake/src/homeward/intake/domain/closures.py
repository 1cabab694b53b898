"""Closing a case under supervision: a coordinator asks, the municipality's supervisor
approves (the case closes) or rejects with a reason (the case stays open)."""

from __future__ import annotations

from enum import StrEnum

from homeward.intake.domain.cases import CaseStatus
from homeward.intake.domain.errors import StateConflict


class ClosureStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class ClosureRejection(StrEnum):
    """Why a supervisor keeps a case open: codes, since free text would invite details."""

    SUPPORT_STILL_NEEDED = "support-still-needed"
    REFERRALS_STILL_OPEN = "referrals-still-open"
    PLAN_REVIEW_FIRST = "plan-review-first"
    REASON_DOES_NOT_FIT = "reason-does-not-fit"
    OTHER = "other"


def check_closure_request(*, case_status: CaseStatus) -> None:
    if case_status is CaseStatus.CLOSURE_REQUESTED:
        raise StateConflict("a closure of this case is already requested; wait for the decision")


def check_direct_close(*, case_status: CaseStatus) -> None:
    if case_status is CaseStatus.CLOSURE_REQUESTED:
        raise StateConflict("a closure of this case is requested: approve or reject that request")


def check_closure_decision(*, status: ClosureStatus) -> None:
    if status is not ClosureStatus.PENDING:
        raise StateConflict(
            f"this closure request is already {status.value}; only pending ones are decided"
        )
