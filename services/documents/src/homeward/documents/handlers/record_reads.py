"""Reading documentation records as the caller may see them: protected fields only for the
roles that may, reference numbers only with a stated purpose, each showing audited.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from homeward.common.audit import record_audit
from homeward.common.auth import Principal
from homeward.common.crypto import DataKeyMissing, IdentityVault
from homeward.common.vocabulary import IdentityPurpose
from homeward.documents.adapters.tables import PersonRow, RecordChangeRow, RecordRow
from homeward.documents.handlers.access import (
    person_in_scope,
    person_of,
    record_in_scope,
    sees_protected_fields,
    sees_reference_numbers,
)


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
    by_record: dict[str, list[RecordChangeRow]] = {}
    for change in changes.all():
        by_record.setdefault(change.record_id, []).append(change)
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
