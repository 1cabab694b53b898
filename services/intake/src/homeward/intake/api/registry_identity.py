"""Route for the civil registry's identity reads (documents officers)."""

from __future__ import annotations

from fastapi import APIRouter

from homeward.common.purpose import StatedPurpose
from homeward.common.service import SessionDep
from homeward.intake.api.deps import DocumentsOfficer, VaultDep
from homeward.intake.api.schemas import AgencyIdentityView
from homeward.intake.handlers.registry_identity import reveal_to_registry

router = APIRouter(prefix="/v1/registry", tags=["protected data"])


@router.get(
    "/persons/{person_id}/identity",
    name="reveal_identity_to_registry",
    response_model=AgencyIdentityView,
    responses={
        404: {"description": "No such person in your municipality"},
        410: {"description": "The case's identities were erased"},
    },
)
async def reveal_identity_to_registry(
    person_id: str,
    principal: DocumentsOfficer,  # first: no token is 401 before the purpose is looked at
    purpose: StatedPurpose,
    session: SessionDep,
    vault: VaultDep,
) -> AgencyIdentityView:
    """The name and birth date to issue papers in, for the purpose `documentation` (audited)."""
    opened = await reveal_to_registry(
        session, principal=principal, person_id=person_id, purpose=purpose, vault=vault
    )
    return AgencyIdentityView(
        person_id=opened.person_id,
        person_code=opened.person_code,
        full_name=opened.values["full_name"] or "",
        date_of_birth=opened.date_of_birth,
    )
