"""Need-to-know identity for partner agencies: a name revealed only to an agency that holds
an accepted, open referral for the person, and only if consent covers `identity` for that
agency type; audited exactly as a coordinator's read. Anyone else hears 404, as if the person
did not exist, so the answer discloses nothing about who is referred where.
"""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from homeward.common.auth import Principal
from homeward.common.crypto import IdentityVault
from homeward.common.db import utcnow
from homeward.common.errors import Forbidden, NotFound
from homeward.common.vocabulary import DataCategory, IdentityPurpose
from homeward.intake.adapters.tables import AgencyReferralRow, CaseRow, ConsentRow, PersonRow
from homeward.intake.domain.cases import CaseStatus
from homeward.intake.domain.consent import is_in_force
from homeward.intake.handlers.identities import OpenedIdentity, open_identity

# What an agency needs to enrol, treat or register someone; the rest stays with the city.
AGENCY_IDENTITY_FIELDS = ("full_name", "date_of_birth")
NOT_REVEALED = "no such person for your agency"


async def _holding_referral(
    session: AsyncSession, *, agency_id: str, person_id: str
) -> AgencyReferralRow | None:
    query = select(AgencyReferralRow).where(
        AgencyReferralRow.agency_id == agency_id,
        AgencyReferralRow.person_id == person_id,
        col(AgencyReferralRow.accepted_and_open).is_(True),
    )
    return (await session.exec(query)).first()


async def _identity_consented(session: AsyncSession, *, person_id: str, agency_type: str) -> bool:
    """Consent in force today, by the person (or a child's guardian), covering `identity`."""
    today = utcnow().date()
    consents = await session.exec(
        select(ConsentRow).where(
            ConsentRow.person_id == person_id, ConsentRow.recipient_agency_type == agency_type
        )
    )
    return any(
        DataCategory.IDENTITY.value in consent.categories
        and is_in_force(
            valid_from=consent.valid_from,
            valid_until=consent.valid_until,
            revoked_at=consent.revoked_at,
            on=today,
        )
        for consent in consents
    )


async def reveal_to_agency(
    session: AsyncSession,
    *,
    principal: Principal,
    person_id: str,
    purpose: IdentityPurpose,
    vault: IdentityVault,
    reads_per_minute: int,
) -> OpenedIdentity:
    agency_id = principal.agency_id
    if not agency_id:  # about the caller, not the person: before the read limit
        raise Forbidden("your token carries no agency; ask an admin to set it")

    async def held_and_consented() -> tuple[CaseRow, PersonRow]:
        person = await session.get(PersonRow, person_id)
        holding = (
            await _holding_referral(session, agency_id=agency_id, person_id=person_id)
            if person is not None
            else None
        )
        case = await session.get(CaseRow, person.case_id) if person is not None else None
        if (
            person is None
            or holding is None
            or case is None
            or case.status == CaseStatus.CLOSED.value
            # The consent is for the agency type the referral went to, as referrals decided.
            or not await _identity_consented(
                session, person_id=person.id, agency_type=holding.agency_type
            )
        ):
            raise NotFound(NOT_REVEALED)
        return case, person

    return await open_identity(
        session,
        principal=principal,
        find=held_and_consented,
        purpose=purpose,
        vault=vault,
        reads_per_minute=reads_per_minute,
        fields=AGENCY_IDENTITY_FIELDS,
    )
