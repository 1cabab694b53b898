"""Routes for the partner directory and for outcome indicators."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from homeward.common.service import SessionDep
from homeward.common.vocabulary import AgencyType, ServiceCategory
from homeward.referrals.api.deps import DirectoryAdmin, DirectoryReader, Supervisor
from homeward.referrals.api.schemas import AgencyView, OutcomeIndicators
from homeward.referrals.commands import AgencyDetails, NewAgency
from homeward.referrals.domain.directory import Accreditation, CapacityStatus
from homeward.referrals.handlers import directory, indicators

router = APIRouter(prefix="/v1", tags=["partner directory"])


@router.get("/agencies", name="search_agencies", response_model=list[AgencyView])
async def search_agencies(
    _: DirectoryReader,
    session: SessionDep,
    service_category: ServiceCategory | None = None,
    municipality: Annotated[str | None, Query(max_length=100)] = None,
    agency_type: AgencyType | None = None,
    include_inactive: bool = False,
    language: Annotated[str | None, Query(pattern=r"^[A-Za-z]{2,3}$", examples=["kk"])] = None,
    accreditation: Accreditation | None = None,
    capacity: CapacityStatus | None = None,
) -> list[AgencyView]:
    """Search the directory by service, municipality, language, accredited staff, capacity."""
    found = await directory.search_agencies(
        session,
        service_category=service_category.value if service_category else None,
        municipality=municipality,
        agency_type=agency_type.value if agency_type else None,
        include_inactive=include_inactive,
        language=language,
        accreditation=accreditation.value if accreditation else None,
        capacity=capacity.value if capacity else None,
    )
    return [AgencyView.model_validate(agency) for agency in found]


@router.get("/agencies/{agency_id}", name="read_agency", response_model=AgencyView)
async def read_agency(agency_id: str, _: DirectoryReader, session: SessionDep) -> AgencyView:
    """One agency of the directory."""
    return AgencyView.model_validate(await directory.read_agency(session, agency_id=agency_id))


@router.post(
    "/agencies",
    name="create_agency",
    response_model=AgencyView,
    status_code=status.HTTP_201_CREATED,
)
async def create_agency(
    body: NewAgency, principal: DirectoryAdmin, session: SessionDep
) -> AgencyView:
    """Add an agency to the directory."""
    agency = await directory.create_agency(session, principal=principal, command=body)
    return AgencyView.model_validate(agency)


@router.put("/agencies/{agency_id}", name="update_agency", response_model=AgencyView)
async def update_agency(
    agency_id: str, body: AgencyDetails, principal: DirectoryAdmin, session: SessionDep
) -> AgencyView:
    """Replace an agency's details (deactivate it with `active: false`)."""
    agency = await directory.update_agency(
        session, principal=principal, agency_id=agency_id, command=body
    )
    return AgencyView.model_validate(agency)


@router.get("/directory/hsds", name="export_directory_hsds", response_model=list[dict[str, Any]])
async def export_hsds(_: DirectoryReader, session: SessionDep) -> list[dict[str, Any]]:
    """The whole directory as Open Referral HSDS 3.0 organizations with services and areas."""
    found = await directory.search_agencies(
        session,
        service_category=None,
        municipality=None,
        agency_type=None,
        include_inactive=True,
    )
    return [directory.hsds_organization(agency) for agency in found]


@router.get("/indicators", name="read_outcome_indicators", response_model=OutcomeIndicators)
async def read_indicators(principal: Supervisor, session: SessionDep) -> OutcomeIndicators:
    """Your municipality's referral outcomes; any count under 5 is shown as "<5"."""
    return OutcomeIndicators.model_validate(
        await indicators.outcome_indicators(session, principal=principal)
    )
