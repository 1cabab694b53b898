"""Events the documents service publishes on `homeward.documents.records`, keyed by case id.

Document types, statuses and dates only; never a reference number or a blocker description.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import Field

from homeward.common.events.contracts import EventContract, event_contract

DOCUMENTS_RECORDS_TOPIC = "homeward.documents.records"


class PersonEvent(EventContract):
    """Whose documents an event is about: the fields every documents event carries."""

    case_id: UUID
    case_code: str
    municipality: str
    person_id: UUID


class RecordEvent(PersonEvent):
    record_id: UUID
    document_type: str


class TaskEvent(PersonEvent):
    task_id: UUID
    referral_id: UUID
    service_category: str


@event_contract("homeward.readiness.changed.v1", topic=DOCUMENTS_RECORDS_TOPIC)
class ReadinessChanged(PersonEvent):
    """A person's service readiness after a change of their documents.

    `missing` says, per service category that is not ready, which requirements are unmet:
    each requirement is a list of document types any one of which would satisfy it
    (`[["national-id", "passport"]]` = a national ID or a passport is still needed).
    """

    ready_categories: list[str]
    missing: dict[str, list[list[str]]] = Field(
        examples=[{"school-enrolment": [["birth-certificate", "guardianship-order"]]}]
    )
    rules_version: str
    computed_at: datetime


@event_contract("homeward.document_record.created.v1", topic=DOCUMENTS_RECORDS_TOPIC)
class DocumentRecordCreated(RecordEvent):
    """A person now has a record for a document type (most start as `missing`)."""

    status: str
    created_at: datetime


@event_contract("homeward.document_record.status_changed.v1", topic=DOCUMENTS_RECORDS_TOPIC)
class DocumentStatusChanged(RecordEvent):
    """A record moved between statuses; dates only, never the reason text."""

    from_status: str
    to_status: str
    issued_on: date | None = None
    expiry_on: date | None = None
    changed_at: datetime


@event_contract("homeward.documentation_task.raised.v1", topic=DOCUMENTS_RECORDS_TOPIC)
class DocumentationTaskRaised(TaskEvent):
    """Documents officers of `municipality` should obtain `needed` for the person."""

    needed: list[list[str]] = Field(description="unmet requirements, each a list of alternatives")
    raised_at: datetime


@event_contract("homeward.documentation_task.closed.v1", topic=DOCUMENTS_RECORDS_TOPIC)
class DocumentationTaskClosed(TaskEvent):
    closed_because: Literal[
        "documents-issued", "referral-unblocked", "case-closed", "referral-ended"
    ]
    closed_at: datetime


@event_contract("homeward.document_record.expiry_warned.v1", topic=DOCUMENTS_RECORDS_TOPIC)
class DocumentExpiring(RecordEvent):
    """An issued document expires within the warning period; renew it in time."""

    expiry_on: date
    warned_at: datetime


@event_contract("homeward.document_record.expired.v1", topic=DOCUMENTS_RECORDS_TOPIC)
class DocumentExpired(RecordEvent):
    expiry_on: date
    expired_at: datetime


__all__ = [
    "DOCUMENTS_RECORDS_TOPIC",
    "DocumentExpired",
    "DocumentExpiring",
    "DocumentRecordCreated",
    "DocumentStatusChanged",
    "DocumentationTaskClosed",
    "DocumentationTaskRaised",
    "PersonEvent",
    "ReadinessChanged",
    "RecordEvent",
    "TaskEvent",
]
