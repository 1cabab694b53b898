"""Protected identities: sealed on write, read only on purpose, audited; shredded on erasure."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from homeward.common.audit import record_audit
from homeward.common.auth import Principal
from homeward.common.contracts.intake import CaseIdentitiesErased
from homeward.common.crypto import FieldCipher, IdentityVault
from homeward.common.db import utcnow
from homeward.common.errors import Conflict, Gone, NotFound
from homeward.intake.adapters.tables import CaseRow, IdentityRow, PersonRow
from homeward.intake.commands import IdentityPurpose, ProtectedIdentity
from homeward.intake.domain.cases import CaseStatus, ensure_open
from homeward.intake.domain.errors import RuleViolation
from homeward.intake.handlers.access import case_in_scope, person_in_case, stage_case_event

IDENTITY_FIELDS = (
    "full_name",
    "date_of_birth",
    "place_of_birth",
    "national_id",
    "address",
    "phone",
)
ERASED = "this case's identities were erased; they can no longer be read or written"


def _aad_field(person: PersonRow, field: str) -> str:
    # Bound to the person as well as the case: a value moved between persons won't decrypt.
    return f"person/{person.id}/{field}"


def seal_identity(
    session: AsyncSession,
    *,
    principal: Principal,
    case: CaseRow,
    person: PersonRow,
    identity: ProtectedIdentity,
    cipher: FieldCipher,
) -> list[str]:
    """Stage the sealed identity and its audit row; returns the fields that were given."""
    values = identity.model_dump()
    if values["date_of_birth"] is not None:
        if values["date_of_birth"].year != person.birth_year:
            raise RuleViolation("date_of_birth must fall in the person's birth_year")
        values["date_of_birth"] = values["date_of_birth"].isoformat()
    row = IdentityRow(person_id=person.id, case_id=person.case_id, recorded_at=utcnow())
    for field in IDENTITY_FIELDS:
        setattr(row, f"{field}_sealed", cipher.encrypt(_aad_field(person, field), values[field]))
    session.add(row)
    fields = sorted(field for field, value in values.items() if value is not None)
    record_audit(
        session,
        principal=principal,
        action="identity.recorded",
        case_code=case.code,
        subject_code=person.code,
        fields=fields,
    )
    return fields


async def record_identity(
    session: AsyncSession,
    *,
    principal: Principal,
    case_id: str,
    person_id: str,
    identity: ProtectedIdentity,
    vault: IdentityVault,
) -> tuple[PersonRow, list[str]]:
    """Create or replace a person's identity (a correction replaces the whole record)."""
    case = await case_in_scope(session, case_id=case_id, principal=principal, for_update=True)
    if case.identities_erased_at is not None:
        raise Gone(ERASED)
    ensure_open(CaseStatus(case.status))
    person = await person_in_case(session, case=case, person_id=person_id)
    existing = await session.get(IdentityRow, person.id)
    if existing is not None:
        await session.delete(existing)
        await session.flush()  # the replacement reuses the primary key: delete first
    cipher = await vault.cipher_for(session, case.id)
    fields = seal_identity(
        session, principal=principal, case=case, person=person, identity=identity, cipher=cipher
    )
    await session.commit()
    return person, fields


class OpenedIdentity:
    """A decrypted identity, kept out of reprs so it never lands in a log by accident."""

    def __init__(self, person: PersonRow, values: dict[str, str | None]) -> None:
        self.person_id = person.id
        self.person_code = person.code
        self.values = values

    def __repr__(self) -> str:
        return f"OpenedIdentity(person_code={self.person_code!r})"

    @property
    def date_of_birth(self) -> date | None:
        raw = self.values.get("date_of_birth")
        return date.fromisoformat(raw) if raw else None


async def read_identity(
    session: AsyncSession,
    *,
    principal: Principal,
    case_id: str,
    person_id: str,
    purpose: IdentityPurpose,
    vault: IdentityVault,
) -> OpenedIdentity:
    case = await case_in_scope(session, case_id=case_id, principal=principal)
    person = await person_in_case(session, case=case, person_id=person_id)
    return await open_identity(
        session, principal=principal, case=case, person=person, purpose=purpose, vault=vault
    )


async def open_identity(
    session: AsyncSession,
    *,
    principal: Principal,
    case: CaseRow,
    person: PersonRow,
    purpose: IdentityPurpose,
    vault: IdentityVault,
    fields: Sequence[str] = IDENTITY_FIELDS,
) -> OpenedIdentity:
    """Decrypt `fields` of a person the caller may read, and audit the read (any caller)."""
    if case.identities_erased_at is not None:
        raise Gone(ERASED)
    row = await session.get(IdentityRow, person.id)
    if row is None:
        raise NotFound("no identity is recorded for this person")
    cipher = await vault.cipher_for(session, case.id)
    values = {
        field: cipher.decrypt(_aad_field(person, field), getattr(row, f"{field}_sealed"))
        for field in fields
    }
    # The audit row commits before the identity leaves: no read goes unrecorded.
    record_audit(
        session,
        principal=principal,
        action="identity.read",
        case_code=case.code,
        subject_code=person.code,
        fields=[field for field, value in values.items() if value is not None],
        purpose=purpose.value,
    )
    await session.commit()
    return OpenedIdentity(person, values)


async def erase_case_identities(
    session: AsyncSession, *, principal: Principal, case_id: str, vault: IdentityVault
) -> tuple[CaseRow, datetime]:
    """Crypto-shred: destroy the case's data key. Sealed identities and notes become noise;
    the pseudonymous case, persons, assessment levels and consents remain for statistics."""
    case = await case_in_scope(session, case_id=case_id, principal=principal, for_update=True)
    if case.identities_erased_at is not None:
        raise Conflict("this case's identities are already erased")
    await vault.destroy(session, case.id)
    # The sealed rows are unreadable now; deleting them too keeps the tables honest.
    for row in (
        await session.exec(select(IdentityRow).where(IdentityRow.case_id == case.id))
    ).all():
        await session.delete(row)
    now = utcnow()
    case.identities_erased_at = now
    session.add(case)
    stage_case_event(
        session,
        case=case,
        event=CaseIdentitiesErased(
            case_id=case.id, case_code=case.code, municipality=case.municipality, erased_at=now
        ),
    )
    record_audit(session, principal=principal, action="case.identities_erased", case_code=case.code)
    await session.commit()
    return case, now
