"""Route for an agency's own staff keeping its directory profile ("my agency")."""

from __future__ import annotations

from fastapi import APIRouter

from homeward.common.service import SessionDep
from homeward.referrals.api.deps import ReceivingAgency
from homeward.referrals.api.schemas import AgencyView
from homeward.referrals.commands import AgencyProfile
from homeward.referrals.handlers.agency_profile import update_agency_profile

router = APIRouter(prefix="/v1", tags=["partner directory"])


@router.put(
    "/agencies/{agency_id}/profile", name="update_agency_profile", response_model=AgencyView
)
async def update_profile(
    agency_id: str, body: AgencyProfile, principal: ReceivingAgency, session: SessionDep
) -> AgencyView:
    """Keep your agency's capacity, services, municipalities, languages and accredited staff."""
    agency = await update_agency_profile(
        session, principal=principal, agency_id=agency_id, command=body
    )
    return AgencyView.model_validate(agency)
