"""Documentation records: statuses, the transitions between them, and the date rules.

A record says where one person stands with one document type. Its status moves along the
path a civil registry actually takes (missing -> requested -> in progress -> issued), with
rejection and expiry sending it back to be requested again. Going back from issued (or
expired) to missing throws away a recorded fact, so it needs a reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from homeward.common.vocabulary import DocumentType
from homeward.documents.domain.errors import RuleViolation, StateConflict


class RecordStatus(StrEnum):
    MISSING = "missing"
    REQUESTED = "requested"
    IN_PROGRESS = "in-progress"
    ISSUED = "issued"
    REJECTED = "rejected"
    EXPIRED = "expired"
    NOT_APPLICABLE = "not-applicable"


S = RecordStatus
TRANSITIONS: dict[RecordStatus, frozenset[RecordStatus]] = {
    S.MISSING: frozenset({S.REQUESTED, S.IN_PROGRESS, S.ISSUED, S.NOT_APPLICABLE}),
    S.REQUESTED: frozenset({S.IN_PROGRESS, S.ISSUED, S.REJECTED, S.MISSING}),
    S.IN_PROGRESS: frozenset({S.ISSUED, S.REJECTED, S.REQUESTED, S.MISSING}),
    S.ISSUED: frozenset({S.EXPIRED, S.MISSING, S.NOT_APPLICABLE}),
    S.REJECTED: frozenset({S.REQUESTED, S.MISSING, S.NOT_APPLICABLE}),
    S.EXPIRED: frozenset({S.REQUESTED, S.ISSUED, S.MISSING}),
    S.NOT_APPLICABLE: frozenset({S.MISSING}),
}
# Going back to missing from these discards what was recorded about the document: say why.
REASON_REQUIRED_FROM = frozenset({S.ISSUED, S.EXPIRED, S.NOT_APPLICABLE})
REASON_REQUIRED_TO = frozenset({S.REJECTED, S.NOT_APPLICABLE})


def allowed_next(current: RecordStatus) -> list[str]:
    return sorted(status.value for status in TRANSITIONS[current])


def check_transition(current: RecordStatus, target: RecordStatus, *, reason: str | None) -> None:
    """Raise StateConflict (409) for an illegal move, RuleViolation (422) for a missing reason."""
    if target not in TRANSITIONS[current]:
        raise StateConflict(
            f"a record that is {current.value} cannot become {target.value}",
            allowed_next_states=allowed_next(current),
        )
    if not (reason and reason.strip()):
        if current in REASON_REQUIRED_FROM and target is S.MISSING:
            raise RuleViolation(
                f"a reason is required to go from {current.value} to {target.value}"
            )
        if target in REASON_REQUIRED_TO:
            raise RuleViolation(f"a reason is required for {target.value}")


@dataclass(frozen=True, kw_only=True)
class RecordDates:
    requested_on: date | None
    issued_on: date | None
    expiry_on: date | None


def check_dates(status: RecordStatus, dates: RecordDates, *, today: date) -> None:
    """The dates a status needs, and their order."""
    if status is S.ISSUED and dates.issued_on is None:
        raise RuleViolation("an issued document needs its issue date (issued_on)")
    if dates.issued_on is not None and dates.issued_on > today:
        raise RuleViolation("issued_on cannot be in the future")
    if dates.requested_on is not None and dates.requested_on > today:
        raise RuleViolation("requested_on cannot be in the future")
    if dates.issued_on and dates.expiry_on and dates.expiry_on <= dates.issued_on:
        raise RuleViolation("expiry_on must be after issued_on")
    if dates.requested_on and dates.issued_on and dates.issued_on < dates.requested_on:
        raise RuleViolation("issued_on cannot be before requested_on")
    if status is S.ISSUED and dates.expiry_on is not None and dates.expiry_on < today:
        raise RuleViolation("this document has already expired: record it as expired instead")


def check_document_type(document_type: str, known: Iterable[str]) -> str:
    if document_type not in set(known):
        raise RuleViolation(f"unknown document type {document_type!r}")
    return document_type


def default_document_types(*, age_group: str) -> list[str]:
    """The records created as missing when a person joins a case.

    The field reports: children born abroad often lack a birth certificate, and a child
    returning with one parent (or none) raises custody questions, so a child starts with a
    birth certificate and citizenship confirmation; an adult needs an identity document and
    a registered residence before a bank, a landlord or an employer will deal with them.
    Guardianship is raised case by case: most children return with their mother.
    """
    if age_group == "child":
        return [DocumentType.BIRTH_CERTIFICATE.value, DocumentType.CITIZENSHIP_CONFIRMATION.value]
    return [DocumentType.NATIONAL_ID.value, DocumentType.RESIDENCE_REGISTRATION.value]
