"""Identity for the civil registry: a documents officer issues papers in a person's name, so
may read the name and date of birth of a person of their municipality, for documentation
only; audited exactly as a coordinator's read. Another municipality's person is 404."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from homeward.common.auth import Principal
from homeward.common.crypto import IdentityVault
from homeward.common.errors import NotFound, Unprocessable
from homeward.common.vocabulary import IdentityPurpose
from homeward.intake.adapters.tables import CaseRow, PersonRow
from homeward.intake.handlers.access import municipality_of
from homeward.intake.handlers.agency_identity import AGENCY_IDENTITY_FIELDS
from homeward.intake.handlers.identities import OpenedIdentity, open_identity

NOT_FOUND = "no such person in your municipality"


async def reveal_to_registry(
    session: AsyncSession,
    *,
    principal: Principal,
    person_id: str,
    purpose: IdentityPurpose,
    vault: IdentityVault,
    reads_per_minute: int,
) -> OpenedIdentity:
    municipality = municipality_of(principal)
    # About the request, not the person: refused alike whoever is asked for (and uncounted).
    if purpose is not IdentityPurpose.DOCUMENTATION:
        raise Unprocessable("the civil registry reads identities for documentation only")

    async def of_my_municipality() -> tuple[CaseRow, PersonRow]:
        person = await session.get(PersonRow, person_id)
        case = await session.get(CaseRow, person.case_id) if person is not None else None
        if person is None or case is None or case.municipality != municipality:
            raise NotFound(NOT_FOUND)
        return case, person

    return await open_identity(
        session,
        principal=principal,
        find=of_my_municipality,
        purpose=purpose,
        vault=vault,
        reads_per_minute=reads_per_minute,
        fields=AGENCY_IDENTITY_FIELDS,
    )
