"""Object-level scope: which cases, persons and transfers a caller may see; and what every
command on a case shares (an open, locked case; events keyed by the case).

A case outside the caller's municipality answers 404, exactly like a case that does not
exist, so its existence is not disclosed. Role checks (403) are declared on the routes.
"""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from homeward.common.auth import Principal
from homeward.common.errors import Forbidden, NotFound
from homeward.common.events.contracts import EventContract
from homeward.common.events.outbox import add_event
from homeward.intake.adapters.tables import CaseRow, PersonRow
from homeward.intake.domain.cases import CaseStatus, ensure_open
from homeward.intake.domain.transfers import normalise_municipality

CASE_NOT_FOUND = "no such case"
PERSON_NOT_FOUND = "no such person in this case"


def municipality_of(principal: Principal) -> str:
    """The caller's municipality from the token; intake work without one is not possible."""
    if not principal.municipality:
        raise Forbidden("your token carries no municipality; ask an admin to set it")
    return normalise_municipality(principal.municipality)


async def case_in_scope(
    session: AsyncSession, *, case_id: str, principal: Principal, for_update: bool = False
) -> CaseRow:
    municipality = municipality_of(principal)
    query = select(CaseRow).where(CaseRow.id == case_id)
    if for_update:
        # Serialises commands on one case on PostgreSQL; SQLite serialises writers anyway.
        query = query.with_for_update()
    case = (await session.exec(query)).first()
    if case is None or case.municipality != municipality:
        raise NotFound(CASE_NOT_FOUND)
    return case


async def case_to_change(session: AsyncSession, *, case_id: str, principal: Principal) -> CaseRow:
    """The case in scope, locked for the command, which must find it open."""
    case = await case_in_scope(session, case_id=case_id, principal=principal, for_update=True)
    ensure_open(CaseStatus(case.status))
    return case


def stage_case_event(session: AsyncSession, *, case: CaseRow, event: EventContract) -> None:
    """Every intake event is keyed by its case, so one case's events keep their order."""
    add_event(session, event, key=case.id, subject=case.code)


async def person_in_case(session: AsyncSession, *, case: CaseRow, person_id: str) -> PersonRow:
    person = await session.get(PersonRow, person_id)
    if person is None or person.case_id != case.id:
        raise NotFound(PERSON_NOT_FOUND)
    return person
