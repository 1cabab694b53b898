"""Documentation tasks: a referral waits on documents, an officer should obtain them."""

from __future__ import annotations

from enum import StrEnum


class TaskStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class TaskClosedBecause(StrEnum):
    DOCUMENTS_ISSUED = "documents-issued"
    REFERRAL_UNBLOCKED = "referral-unblocked"
    CASE_CLOSED = "case-closed"
    REFERRAL_ENDED = "referral-ended"  # rejected, completed, failed, cancelled, voided
