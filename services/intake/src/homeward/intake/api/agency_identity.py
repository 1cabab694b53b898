"""Route for partner agencies' need-to-know identity reads (staff and partner systems)."""

from __future__ import annotations

from fastapi import APIRouter

from homeward.common.service import SessionDep
from homeward.intake.api.deps import PartnerAgency, StatedPurpose, VaultDep
from homeward.intake.api.schemas import AgencyIdentityView
from homeward.intake.handlers.agency_identity import reveal_to_agency

router = APIRouter(prefix="/v1/agency", tags=["protected data"])


@router.get(
    "/persons/{person_id}/identity",
    name="reveal_identity_to_agency",
    response_model=AgencyIdentityView,
    responses={
        404: {"description": "No accepted, open referral of yours, or no consent to identity"},
        410: {"description": "The case's identities were erased"},
    },
)
async def reveal_identity_to_agency(
    person_id: str,
    principal: PartnerAgency,  # first: no token is 401 before the purpose is looked at
    purpose: StatedPurpose,
    session: SessionDep,
    vault: VaultDep,
) -> AgencyIdentityView:
    """Reveal a referred person's name and birth date to your agency, for a stated purpose."""
    opened = await reveal_to_agency(
        session, principal=principal, person_id=person_id, purpose=purpose, vault=vault
    )
    return AgencyIdentityView(
        person_id=opened.person_id,
        person_code=opened.person_code,
        full_name=opened.values["full_name"] or "",
        date_of_birth=opened.date_of_birth,
    )
