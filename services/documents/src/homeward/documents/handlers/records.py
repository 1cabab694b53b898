"""Creating and changing documentation records (reading them: `record_reads`). One
transaction per command: the record, its history row, its events, the readiness that follows
and the audit row commit together or not at all.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from homeward.common.audit import record_audit
from homeward.common.auth import Principal
from homeward.common.contracts.documents import DocumentRecordCreated, DocumentStatusChanged
from homeward.common.crypto import DataKeyMissing, FieldCipher, IdentityVault
from homeward.common.db import utcnow
from homeward.common.errors import Conflict, Gone
from homeward.common.events.outbox import add_event
from homeward.documents.adapters.tables import PersonRow, RecordChangeRow, RecordRow
from homeward.documents.catalogue import Catalogue
from homeward.documents.commands import (
    ChangeStatus,
    CreateRecord,
    RecordDetailsChange,
    UpdateRecordDetails,
)
from homeward.documents.domain.errors import RuleViolation
from homeward.documents.domain.records import (
    RecordDates,
    RecordStatus,
    check_dates,
    check_document_type,
    check_transition,
)
from homeward.documents.handlers.access import person_in_scope, person_of, record_in_scope
from homeward.documents.handlers.readiness import refresh_readiness

# Leaving issued/expired for these forgets the document's dates: they described a document
# the person no longer holds (the history keeps what was known).
CLEARS_ISSUE = frozenset({
    RecordStatus.MISSING, RecordStatus.REQUESTED, RecordStatus.IN_PROGRESS,
    RecordStatus.REJECTED, RecordStatus.NOT_APPLICABLE,
})  # fmt: skip
ERASED = "this case's protected data were erased; details can no longer be recorded"


async def new_record(
    session: AsyncSession, *, person: PersonRow, document_type: str, actor: str
) -> RecordRow:
    """Stage a missing record with its first history row and its created event."""
    now = utcnow()
    record = RecordRow(
        person_id=person.id,
        case_id=person.case_id,
        municipality=person.municipality,
        document_type=document_type,
        status=RecordStatus.MISSING.value,
        created_at=now,
        updated_at=now,
    )
    session.add(record)
    await session.flush()  # the history row refers to it; no ORM relationship orders them
    session.add(RecordChangeRow(record_id=record.id, at=now, actor=actor,
                                from_status=None, to_status=record.status))  # fmt: skip
    add_event(
        session,
        DocumentRecordCreated(
            **record_event_fields(record, person=person), status=record.status, created_at=now
        ),
        key=person.case_id,
        subject=person.case_code,
    )
    return record


async def create_record(
    session: AsyncSession,
    *,
    principal: Principal,
    person_id: str,
    command: CreateRecord,
    catalogue: Catalogue,
    vault: IdentityVault,
) -> RecordRow:
    person = await person_in_scope(session, person_id=person_id, principal=principal)
    check_document_type(command.document_type, catalogue.document_types)
    existing = await session.exec(
        select(RecordRow.id)
        .where(RecordRow.person_id == person.id)
        .where(RecordRow.document_type == command.document_type)
    )
    if existing.first() is not None:
        raise Conflict("this person already has a record for that document type")
    record = await new_record(
        session, person=person, document_type=command.document_type, actor=principal.actor
    )
    record.issuing_authority = command.issuing_authority
    if command.blocker_description is not None:
        cipher = await _cipher(session, vault=vault, case_id=person.case_id)
        record.blocker_sealed = cipher.encrypt("blocker", command.blocker_description)
    await session.flush()
    await _commit_change(session, principal=principal, person=person, catalogue=catalogue,
                         today=_today(), action="document_record.created",
                         fields=_given(command))  # fmt: skip
    return record


async def update_details(
    session: AsyncSession,
    *,
    principal: Principal,
    record_id: str,
    command: UpdateRecordDetails,
    catalogue: Catalogue,
    vault: IdentityVault,
) -> RecordRow:
    record, person = await _record_to_change(session, record_id=record_id, principal=principal)
    given = command.model_fields_set
    dates = _merged_dates(record, command, given)
    check_dates(RecordStatus(record.status), dates, today=_today())
    await _apply_details(session, record=record, command=command, given=given, vault=vault)
    _apply_dates(record, dates)
    record.updated_at = utcnow()
    session.add(record)
    # An expiry date moved into the past or the future changes readiness.
    await _commit_change(session, principal=principal, person=person, catalogue=catalogue,
                         today=_today(), action="document_record.updated",
                         fields=sorted(given))  # fmt: skip
    return record


async def change_status(
    session: AsyncSession,
    *,
    principal: Principal,
    record_id: str,
    command: ChangeStatus,
    catalogue: Catalogue,
    vault: IdentityVault,
) -> RecordRow:
    record, person = await _record_to_change(session, record_id=record_id, principal=principal)
    current, target = RecordStatus(record.status), command.to_status
    check_transition(current, target, reason=command.reason)
    given = command.model_fields_set - {"to_status", "reason"}
    today = _today()
    if target in CLEARS_ISSUE:
        if {"issued_on", "expiry_on"} & given:
            raise RuleViolation(f"a {target.value} document has no issue or expiry date")
        dates = RecordDates(requested_on=command.requested_on or record.requested_on,
                            issued_on=None, expiry_on=None)  # fmt: skip
        record.expiry_warned_for = None
    else:
        dates = _merged_dates(record, command, given)
    if target is RecordStatus.REQUESTED and dates.requested_on is None:
        dates = RecordDates(requested_on=today, issued_on=None, expiry_on=None)
    check_dates(target, dates, today=today)
    await _apply_details(session, record=record, command=command, given=given, vault=vault)
    _apply_dates(record, dates)
    now = utcnow()
    record.status, record.updated_at = target.value, now
    session.add(record)
    cipher = await _cipher(session, vault=vault, case_id=record.case_id) if command.reason else None
    session.add(RecordChangeRow(
        record_id=record.id, at=now, actor=principal.actor, from_status=current.value,
        to_status=target.value,
        reason_sealed=cipher.encrypt("reason", command.reason) if cipher else None,
    ))  # fmt: skip
    add_event(session, status_changed(record, person=person, from_status=current.value),
              key=record.case_id, subject=person.case_code)  # fmt: skip
    audited = sorted(given | ({"reason"} if command.reason else set()))
    await _commit_change(session, principal=principal, person=person, catalogue=catalogue,
                         today=today, action="document_record.status_changed",
                         fields=audited)  # fmt: skip
    return record


def record_event_fields(record: RecordRow, *, person: PersonRow) -> dict[str, Any]:
    """Which record of whom an event is about: the fields of every record event."""
    return {
        "record_id": record.id,
        "case_id": record.case_id,
        "case_code": person.case_code,
        "municipality": record.municipality,
        "person_id": record.person_id,
        "document_type": record.document_type,
    }


def status_changed(
    record: RecordRow, *, person: PersonRow, from_status: str
) -> DocumentStatusChanged:
    return DocumentStatusChanged(
        **record_event_fields(record, person=person),
        from_status=from_status,
        to_status=record.status,
        issued_on=record.issued_on,
        expiry_on=record.expiry_on,
        changed_at=record.updated_at,
    )


async def _apply_details(
    session: AsyncSession,
    *,
    record: RecordRow,
    command: RecordDetailsChange,
    given: set[str],
    vault: IdentityVault,
) -> None:
    if "issuing_authority" in given:
        record.issuing_authority = command.issuing_authority
    sealed = {"reference_number", "blocker_description"} & given
    if not sealed:
        return
    cipher = await _cipher(session, vault=vault, case_id=record.case_id)
    if "reference_number" in given:
        record.reference_number_sealed = cipher.encrypt(
            "reference_number", command.reference_number
        )
    if "blocker_description" in given:
        record.blocker_sealed = cipher.encrypt("blocker", command.blocker_description)


def _merged_dates(record: RecordRow, command: RecordDetailsChange, given: set[str]) -> RecordDates:
    def pick(name: str) -> date | None:
        return getattr(command, name) if name in given else getattr(record, name)

    return RecordDates(requested_on=pick("requested_on"), issued_on=pick("issued_on"),
                       expiry_on=pick("expiry_on"))  # fmt: skip


def _apply_dates(record: RecordRow, dates: RecordDates) -> None:
    if dates.expiry_on != record.expiry_on:
        record.expiry_warned_for = None
    record.requested_on, record.issued_on, record.expiry_on = (
        dates.requested_on, dates.issued_on, dates.expiry_on,
    )  # fmt: skip


async def _cipher(session: AsyncSession, *, vault: IdentityVault, case_id: str) -> FieldCipher:
    try:
        return await vault.cipher_for(session, case_id)
    except DataKeyMissing:
        raise Gone(ERASED) from None  # as intake answers a write of an erased identity


async def _record_to_change(
    session: AsyncSession, *, record_id: str, principal: Principal
) -> tuple[RecordRow, PersonRow]:
    """The record, locked for the change, and its person."""
    record = await record_in_scope(
        session, record_id=record_id, principal=principal, for_update=True
    )
    return record, await person_of(session, record)


async def _commit_change(
    session: AsyncSession,
    *,
    principal: Principal,
    person: PersonRow,
    catalogue: Catalogue,
    today: date,
    action: str,
    fields: list[str],
) -> None:
    """The readiness that follows from the change and its audit row, committed with it."""
    await refresh_readiness(session, person=person, catalogue=catalogue, today=today)
    record_audit(session, principal=principal, action=action, case_code=person.case_code,
                 subject_code=person.person_code, fields=fields)  # fmt: skip
    await session.commit()


def _given(command: CreateRecord) -> list[str]:
    return sorted(name for name in command.model_fields_set if name != "document_type")


def _today() -> date:
    return utcnow().date()
