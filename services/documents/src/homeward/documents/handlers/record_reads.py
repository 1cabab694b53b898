"""Reading documentation records as the caller may see them: protected fields only for the
roles that may, reference numbers only with a stated purpose, each showing audited; and a
case's documentation history, which has no protected field at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from homeward.common.audit import record_audit
from homeward.common.auth import Principal
from homeward.common.crypto import DataKeyMissing, IdentityVault
from homeward.common.vocabulary import IdentityPurpose
from homeward.documents.adapters.tables import PersonRow, RecordChangeRow, RecordRow, TaskRow
from homeward.documents.handlers.access import (
    case_persons_in_scope,
    person_in_scope,
    person_of,
    record_in_scope,
    sees_protected_fields,
    sees_reference_numbers,
)

Row = TypeVar("Row")


@dataclass(frozen=True, kw_only=True)
class Change:
    row: RecordChangeRow
    reason: str | None


@dataclass(frozen=True, kw_only=True)
class RecordDetails:
    """A record as the caller may see it: protected fields are None unless they may."""

    record: RecordRow
    person: PersonRow
    reference_number: str | None
    blocker_description: str | None
    protected_erased: bool
    history: list[Change]


@dataclass(frozen=True, kw_only=True)
class CaseHistory:
    """A case's records per person with their status changes (oldest first), and its
    documentation tasks: what a family's timeline shows of documents."""

    persons: list[PersonRow]
    records: dict[str, list[RecordRow]]  # by person id
    changes: dict[str, list[RecordChangeRow]]  # by record id
    tasks: list[TaskRow]


async def case_history(session: AsyncSession, *, principal: Principal, case_id: str) -> CaseHistory:
    """One query per table, whatever the family's size."""
    persons = await case_persons_in_scope(session, case_id=case_id, principal=principal)
    municipality = persons[0].municipality
    records = (await session.exec(
        select(RecordRow).where(RecordRow.case_id == case_id)
        .where(RecordRow.municipality == municipality).order_by(col(RecordRow.document_type))
    )).all()  # fmt: skip
    changes = (await session.exec(
        select(RecordChangeRow)
        .join(RecordRow, col(RecordRow.id) == col(RecordChangeRow.record_id))
        .where(RecordRow.case_id == case_id).where(RecordRow.municipality == municipality)
        .order_by(col(RecordChangeRow.id))
    )).all()  # fmt: skip
    tasks = (await session.exec(
        select(TaskRow).where(TaskRow.case_id == case_id)
        .where(TaskRow.municipality == municipality)
        .order_by(col(TaskRow.raised_at), col(TaskRow.id))
    )).all()  # fmt: skip
    return CaseHistory(
        persons=persons,
        records=_grouped(records, key=lambda record: record.person_id),
        changes=_grouped(changes, key=lambda change: change.record_id),
        tasks=list(tasks),
    )


async def list_records(
    session: AsyncSession,
    *,
    principal: Principal,
    person_id: str,
    vault: IdentityVault,
    purpose: IdentityPurpose | None = None,
) -> list[RecordDetails]:
    person = await person_in_scope(session, person_id=person_id, principal=principal)
    records = await session.exec(
        select(RecordRow).where(RecordRow.person_id == person.id)
        .order_by(col(RecordRow.document_type))
    )  # fmt: skip
    return await _details(session, principal=principal, person=person,
                          records=list(records.all()), vault=vault, purpose=purpose)  # fmt: skip


async def read_record(
    session: AsyncSession,
    *,
    principal: Principal,
    record_id: str,
    vault: IdentityVault,
    purpose: IdentityPurpose | None = None,
) -> RecordDetails:
    record = await record_in_scope(session, record_id=record_id, principal=principal)
    person = await person_of(session, record)
    (details,) = await _details(session, principal=principal, person=person, records=[record],
                                vault=vault, purpose=purpose)  # fmt: skip
    return details


async def _details(
    session: AsyncSession,
    *,
    principal: Principal,
    person: PersonRow,
    records: list[RecordRow],
    vault: IdentityVault,
    purpose: IdentityPurpose | None,
) -> list[RecordDetails]:
    """Reference numbers (national ID numbers) are identity-grade: documents officers see
    them only with a stated purpose, which the audit row records."""
    changes = await session.exec(
        select(RecordChangeRow)
        .where(col(RecordChangeRow.record_id).in_([record.id for record in records]))
        .order_by(col(RecordChangeRow.id))
    )
    by_record = _grouped(changes.all(), key=lambda change: change.record_id)
    protected = sees_protected_fields(principal)
    references = sees_reference_numbers(principal) and purpose is not None
    try:
        cipher = await vault.cipher_for(session, person.case_id) if protected else None
        erased = False
    except DataKeyMissing:
        cipher, erased = None, True
    shown: set[str] = set()

    def reveal(field: str, sealed: bytes | None) -> str | None:
        if cipher is None or sealed is None:
            return None
        shown.add(field)
        return cipher.decrypt(field, sealed)

    results = [
        RecordDetails(
            record=record,
            person=person,
            reference_number=reveal("reference_number", record.reference_number_sealed)
            if references else None,
            blocker_description=reveal("blocker", record.blocker_sealed),
            protected_erased=erased,
            history=[Change(row=row, reason=reveal("reason", row.reason_sealed))
                     for row in by_record.get(record.id, [])],
        )
        for record in records
    ]  # fmt: skip
    if shown:
        record_audit(session, principal=principal, action="document_record.protected_read",
                     case_code=person.case_code, subject_code=person.person_code,
                     fields=sorted(shown), purpose=purpose.value if purpose else None)  # fmt: skip
        await session.commit()
    return results


def _grouped(rows: Iterable[Row], *, key: Callable[[Row], str]) -> dict[str, list[Row]]:
    """Rows by `key`, each group in the rows' order."""
    groups: dict[str, list[Row]] = {}
    for row in rows:
        groups.setdefault(key(row), []).append(row)
    return groups
