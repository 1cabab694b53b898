"""Object-level scope: which referrals and cases a caller may see.

Coordinators and supervisors see their municipality's referrals; a partner sees referrals
addressed to its agency once they were sent (a draft has not reached anyone). Anything else
answers 404 exactly like a referral that does not exist. Role checks (403) are on the routes.
"""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from homeward.common.auth import Principal, Role
from homeward.common.errors import Forbidden, NotFound
from homeward.referrals.adapters.tables import KnownCase, ReferralRow
from homeward.referrals.domain.directory import normalise_municipality
from homeward.referrals.domain.lifecycle import ACTION_SIDES, Action, ReferralState, Side

# Who takes each side of the lifecycle (the guide's "Set By": requester or responder).
SIDE_ROLES = {Side.REQUESTER: Role.COORDINATOR, Side.RECEIVER: Role.PARTNER}
REFERRAL_NOT_FOUND = "no such referral"
CASE_NOT_FOUND = "no such case"


def municipality_of(principal: Principal) -> str:
    if not principal.municipality:
        raise Forbidden("your token carries no municipality; ask an admin to set it")
    return normalise_municipality(principal.municipality)


def agency_of(principal: Principal) -> str:
    if not principal.agency_id:
        raise Forbidden("your token carries no agency; ask an admin to set it")
    return principal.agency_id


def is_municipal_staff(principal: Principal) -> bool:
    return principal.has_any(Role.COORDINATOR, Role.SUPERVISOR)


def check_side(principal: Principal, action: Action) -> None:
    """403 unless the caller is on a side that may take `action`; for callers (FHIR's Task
    update) whose action follows from the body, where the route cannot declare the role."""
    sides = ACTION_SIDES[action]
    if not principal.has_any(*(SIDE_ROLES[side] for side in sides)):
        who = " or ".join(sorted(side.value for side in sides))
        raise Forbidden(f"only the referral's {who} may {action.value} it")


def may_see(referral: ReferralRow, principal: Principal) -> bool:
    if is_municipal_staff(principal):
        return referral.municipality == municipality_of(principal)
    if principal.has_any(Role.PARTNER):
        return (
            referral.agency_id == agency_of(principal)
            and referral.state != ReferralState.DRAFT.value
        )
    return False


async def referral_in_scope(
    session: AsyncSession, *, referral_id: str, principal: Principal, for_update: bool = False
) -> ReferralRow:
    query = select(ReferralRow).where(ReferralRow.id == referral_id)
    if for_update:
        query = query.with_for_update()
    referral = (await session.exec(query)).first()
    if referral is None or not may_see(referral, principal):
        raise NotFound(REFERRAL_NOT_FOUND)
    return referral


async def case_in_scope(session: AsyncSession, *, case_id: str, principal: Principal) -> KnownCase:
    case = await session.get(KnownCase, case_id)
    if case is None or case.municipality != municipality_of(principal):
        raise NotFound(CASE_NOT_FOUND)
    return case
