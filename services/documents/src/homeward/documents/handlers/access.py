"""Object-level scope: which persons and records a caller may see.

A person or record outside the caller's municipality answers 404, exactly like one that does
not exist. Role checks (403) are declared on the routes.
"""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from homeward.common.auth import Principal, Role
from homeward.common.contracts.referrals import IN_AGENCY_HANDS
from homeward.common.errors import Forbidden, NotFound
from homeward.documents.adapters.tables import AgencyReferralRow, PersonRow, RecordRow

PERSON_NOT_FOUND = "no such person"
RECORD_NOT_FOUND = "no such record"
CASE_NOT_FOUND = "no case of your municipality has this id"


def normalise_municipality(name: str) -> str:
    return name.strip().lower()


def municipality_of(principal: Principal) -> str:
    if not principal.municipality:
        raise Forbidden("your token carries no municipality; ask an admin to set it")
    return normalise_municipality(principal.municipality)


def sees_protected_fields(principal: Principal) -> bool:
    """Blocker descriptions and change reasons: documents officers and coordinators only."""
    return principal.has_any(Role.DOCUMENTS_OFFICER, Role.COORDINATOR)


def sees_reference_numbers(principal: Principal) -> bool:
    # Only the people who deal with the registry need the number itself.
    return principal.has_any(Role.DOCUMENTS_OFFICER)


async def person_in_scope(
    session: AsyncSession, *, person_id: str, principal: Principal
) -> PersonRow:
    person = await session.get(PersonRow, person_id)
    if person is None or person.municipality != municipality_of(principal):
        raise NotFound(PERSON_NOT_FOUND)
    return person


async def case_persons_in_scope(
    session: AsyncSession, *, case_id: str, principal: Principal
) -> list[PersonRow]:
    """The persons of a case in the caller's municipality, by code; none (a case this service
    has not heard of, or another municipality's) is not found."""
    persons = (await session.exec(
        select(PersonRow).where(PersonRow.case_id == case_id)
        .where(PersonRow.municipality == municipality_of(principal))
        .order_by(col(PersonRow.person_code))
    )).all()  # fmt: skip
    if not persons:
        raise NotFound(CASE_NOT_FOUND)
    return list(persons)


async def record_in_scope(
    session: AsyncSession, *, record_id: str, principal: Principal, for_update: bool = False
) -> RecordRow:
    query = select(RecordRow).where(RecordRow.id == record_id)
    if for_update:
        # Serialises changes of one record on PostgreSQL; SQLite serialises writers anyway.
        query = query.with_for_update()
    record = (await session.exec(query)).first()
    if record is None or record.municipality != municipality_of(principal):
        raise NotFound(RECORD_NOT_FOUND)
    return record


async def agency_categories_for(
    session: AsyncSession, *, person_id: str, principal: Principal
) -> set[str]:
    """Service categories of the caller's agency's referrals for the person that are in its
    hands (sent, not ended: the shared definition); empty: the person is hidden."""
    if not principal.agency_id:
        return set()
    rows = await session.exec(
        select(AgencyReferralRow.service_category)
        .where(AgencyReferralRow.person_id == person_id)
        .where(AgencyReferralRow.agency_id == principal.agency_id)
        .where(col(AgencyReferralRow.state).in_([s.value for s in IN_AGENCY_HANDS]))
    )
    return set(rows.all())


async def person_of(session: AsyncSession, record: RecordRow) -> PersonRow:
    """The person a record (already in scope) belongs to."""
    person = await session.get(PersonRow, record.person_id)
    assert person is not None, "a record always belongs to a known person"  # FK
    return person
