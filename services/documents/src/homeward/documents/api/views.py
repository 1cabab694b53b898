"""Turning handler results into response bodies."""

from __future__ import annotations

from homeward.documents.adapters.tables import RecordRow, TaskRow
from homeward.documents.api.schemas import (
    CaseRecordsView,
    PersonHistoryView,
    RecordChangeView,
    RecordHistoryView,
    RecordView,
    StatusChangeView,
    TaskView,
)
from homeward.documents.handlers.record_reads import CaseHistory, RecordDetails


def record_view(details: RecordDetails) -> RecordView:
    record = details.record
    return RecordView(
        id=record.id,
        person_id=record.person_id,
        person_code=details.person.person_code,
        case_code=details.person.case_code,
        document_type=record.document_type,
        status=record.status,
        issuing_authority=record.issuing_authority,
        reference_number=details.reference_number,
        has_reference_number=record.reference_number_sealed is not None,
        blocker_description=details.blocker_description,
        requested_on=record.requested_on,
        issued_on=record.issued_on,
        expiry_on=record.expiry_on,
        protected_erased=details.protected_erased,
        updated_at=record.updated_at,
        history=[
            RecordChangeView(
                at=change.row.at,
                actor=change.row.actor,
                from_status=change.row.from_status,
                to_status=change.row.to_status,
                reason=change.reason,
            )
            for change in details.history
        ],
    )


def task_view(task: TaskRow, person_code: str | None) -> TaskView:
    return TaskView(
        id=task.id,
        referral_id=task.referral_id,
        case_code=task.case_code,
        person_id=task.person_id,
        person_code=person_code,
        service_category=task.service_category,
        needed=task.needed,
        status=task.status,
        raised_at=task.raised_at,
        closed_at=task.closed_at,
        closed_because=task.closed_because,
    )


def case_records_view(history: CaseHistory) -> CaseRecordsView:
    codes = {person.id: person.person_code for person in history.persons}
    first = history.persons[0]  # a case in scope has persons

    def record_history(record: RecordRow) -> RecordHistoryView:
        return RecordHistoryView(
            id=record.id,
            document_type=record.document_type,
            status=record.status,
            requested_on=record.requested_on,
            issued_on=record.issued_on,
            expiry_on=record.expiry_on,
            changes=[
                StatusChangeView(at=c.at, from_status=c.from_status, to_status=c.to_status)
                for c in history.changes.get(record.id, [])
            ],
        )

    return CaseRecordsView(
        case_id=first.case_id,
        case_code=first.case_code,
        persons=[
            PersonHistoryView(
                person_id=person.id,
                person_code=person.person_code,
                records=[record_history(r) for r in history.records.get(person.id, [])],
            )
            for person in history.persons
        ],
        tasks=[task_view(task, codes.get(task.person_id)) for task in history.tasks],
    )
