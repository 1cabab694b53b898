"""Protected identities: sealed on write, read only on purpose, audited; shredded on erasure."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from homeward.common.audit import AuditRecord, record_audit
from homeward.common.auth import Principal
from homeward.common.contracts.intake import CaseIdentitiesErased
from homeward.common.crypto import FieldCipher, IdentityVault
from homeward.common.db import utcnow
from homeward.common.errors import Conflict, Gone, NotFound, TooManyRequests
from homeward.common.metrics import IDENTITY_READS_REFUSED
from homeward.common.vocabulary import IdentityPurpose
from homeward.intake.adapters.tables import CaseRow, IdentityRow, PersonRow
from homeward.intake.commands import ProtectedIdentity
from homeward.intake.domain.cases import CaseStatus, ensure_open
from homeward.intake.domain.errors import RuleViolation
from homeward.intake.handlers.access import case_in_scope, person_in_case, stage_case_event

READ_WINDOW = timedelta(minutes=1)
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


# The reader's own rule: the case and person the caller may read, else it raises (404).
FindReadable = Callable[[], Awaitable[tuple[CaseRow, PersonRow]]]


async def read_identity(
    session: AsyncSession,
    *,
    principal: Principal,
    case_id: str,
    person_id: str,
    purpose: IdentityPurpose,
    vault: IdentityVault,
    reads_per_minute: int,
) -> OpenedIdentity:
    """A coordinator's or supervisor's read, of a person of a case in their scope."""

    async def in_scope() -> tuple[CaseRow, PersonRow]:
        case = await case_in_scope(session, case_id=case_id, principal=principal)
        return case, await person_in_case(session, case=case, person_id=person_id)

    return await open_identity(
        session,
        principal=principal,
        find=in_scope,
        purpose=purpose,
        vault=vault,
        reads_per_minute=reads_per_minute,
    )


async def open_identity(
    session: AsyncSession,
    *,
    principal: Principal,
    find: FindReadable,
    purpose: IdentityPurpose,
    vault: IdentityVault,
    reads_per_minute: int,
    fields: Sequence[str] = IDENTITY_FIELDS,
) -> OpenedIdentity:
    """The one path of every identity read, whoever reads: the caller's read limit, then
    `find` (may the caller read this person?), then decrypt `fields` and audit the read."""
    # The limit comes before `find`, i.e. before anything about the person asked for is
    # looked at (the token and the role, which are about the caller only, were checked
    # before us). After `find`, a 429 would answer only for persons the caller may read:
    # a limited caller could go on asking, unlimited and unaudited (a 404 leaves no trace),
    # and learn from 429 against 404 who exists, or who is referred to its agency. Before
    # it, the 429 depends on the caller's own count alone, so it tells nothing about anyone,
    # and a bulk reader is stopped from probing as well as from reading.
    await _within_read_limit(session, principal=principal, per_minute=reads_per_minute)
    case, person = await find()
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


async def _within_read_limit(
    session: AsyncSession, *, principal: Principal, per_minute: int
) -> None:
    """At most `per_minute` identity reads by one actor in any minute, whoever they read for
    (a case, an agency, the registry), counted from the audit trail itself (every replica
    sees the same count). A refusal is audited too, naming no person."""
    since = utcnow() - READ_WINDOW
    recent = await session.exec(
        select(func.count(), func.min(AuditRecord.at)).where(
            AuditRecord.actor == principal.actor,
            AuditRecord.action == "identity.read",
            col(AuditRecord.at) > since,
        )
    )
    count, oldest = recent.one()
    if count < per_minute:
        return
    IDENTITY_READS_REFUSED.labels(service="intake").inc()
    record_audit(session, principal=principal, action="identity.read_refused")
    await session.commit()
    retry_after = READ_WINDOW - (utcnow() - oldest) if oldest else READ_WINDOW
    raise TooManyRequests(
        f"at most {per_minute} identity reads a minute; try again later",
        retry_after_s=max(1, math.ceil(retry_after.total_seconds())),
    )


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
