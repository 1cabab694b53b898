"""Cases: a returning family, where it lives, and whether it is still open."""

from __future__ import annotations

from enum import StrEnum

from homeward.intake.domain.errors import StateConflict


class Placement(StrEnum):
    REHABILITATION_CENTRE = "rehabilitation-centre"
    RECEIVING_FAMILY = "receiving-family"
    INDEPENDENT = "independent"


class CaseStatus(StrEnum):
    OPEN = "open"
    # A coordinator asked to close; work goes on until a supervisor decides.
    CLOSURE_REQUESTED = "closure-requested"
    CLOSED = "closed"


class CloseReason(StrEnum):
    """A closed vocabulary on purpose: a free-text reason would invite personal details."""

    REINTEGRATION_COMPLETED = "reintegration-completed"
    LEFT_THE_PROGRAMME = "left-the-programme"
    MOVED_ABROAD = "moved-abroad"
    DUPLICATE_RECORD = "duplicate-record"
    OTHER = "other"


class SupportCapacity(StrEnum):
    NONE = "none"
    LIMITED = "limited"
    ADEQUATE = "adequate"
    STRONG = "strong"


def ensure_open(status: CaseStatus) -> None:
    """Closed cases are read-only: reopening is a decision the domain does not offer yet."""
    if status is CaseStatus.CLOSED:
        raise StateConflict("the case is closed; closed cases cannot be changed")
