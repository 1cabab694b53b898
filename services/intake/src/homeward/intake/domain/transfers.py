"""Transfers of a case between municipalities: requested by one side, decided by the other."""

from __future__ import annotations

from enum import StrEnum

from homeward.intake.domain.errors import RuleViolation, StateConflict


class TransferStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class TransferDeclineReason(StrEnum):
    """Why the receiving municipality declines: codes only, no free text."""

    NOT_RESIDENT_HERE = "not-resident-here"
    NO_CAPACITY = "no-capacity"
    INFORMATION_MISSING = "information-missing"
    SAFETY_CONCERN = "safety-concern"
    OTHER = "other"


def normalise_municipality(name: str) -> str:
    """Municipality identifiers compare case-insensitively, as the token claims spell them."""
    return name.strip().lower()


def check_transfer_request(
    *, from_municipality: str, to_municipality: str, pending_transfer_exists: bool
) -> None:
    if not to_municipality.strip():
        raise RuleViolation("to_municipality is empty; name the receiving municipality")
    if normalise_municipality(from_municipality) == normalise_municipality(to_municipality):
        raise RuleViolation("the case is already in that municipality; choose another one")
    if pending_transfer_exists:
        raise StateConflict(
            "a transfer of this case is already pending; wait for its decision first"
        )


def check_decision(*, status: TransferStatus) -> None:
    if status is not TransferStatus.PENDING:
        raise StateConflict(
            f"this transfer is already {status.value}; only pending ones are decided"
        )
