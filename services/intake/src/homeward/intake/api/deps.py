"""Dependencies of the intake routes: who may call (roles, 403) and the identity vault."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Query, Request

from homeward.common.auth import CurrentPrincipal, Principal, Role, require_roles
from homeward.common.crypto import IdentityVault
from homeward.common.errors import Forbidden, Unprocessable
from homeward.intake.commands import IdentityPurpose
from homeward.intake.settings import IntakeSettings

# Case work: coordinators write, coordinators and supervisors read.
CaseWriter = Annotated[Principal, Depends(require_roles(Role.COORDINATOR))]
CaseReader = Annotated[Principal, Depends(require_roles(Role.COORDINATOR, Role.SUPERVISOR))]
Supervisor = Annotated[Principal, Depends(require_roles(Role.SUPERVISOR))]


async def _decider(request: Request, principal: CurrentPrincipal) -> Principal:
    """Who decides transfers and closures: supervisors, or (setting off) coordinators too."""
    settings: IntakeSettings = request.app.state.parts.settings
    if settings.supervisors_decide_transfers_and_closures:
        if not principal.has_any(Role.SUPERVISOR):
            raise Forbidden("a supervisor decides transfers and closures; ask yours")
    elif not principal.has_any(Role.COORDINATOR, Role.SUPERVISOR):
        raise Forbidden("this operation needs one of the roles: coordinator, supervisor")
    return principal


# Transfers into, and closures of, the municipality's cases.
Decider = Annotated[Principal, Depends(_decider)]
# Partner agency staff and partner systems (client credentials) alike.
PartnerAgency = Annotated[Principal, Depends(require_roles(Role.PARTNER))]
DocumentsOfficer = Annotated[Principal, Depends(require_roles(Role.DOCUMENTS_OFFICER))]


def _sees_notes(principal: CaseReader) -> bool:
    # Free-text notes are the coordinators' working material; supervisors read the rest.
    return principal.has_any(Role.COORDINATOR)


SeesNotes = Annotated[bool, Depends(_sees_notes)]


def _vault(request: Request) -> IdentityVault:
    return request.app.state.vault


VaultDep = Annotated[IdentityVault, Depends(_vault)]


def _stated_purpose(
    x_purpose: Annotated[
        str | None, Header(description="Why you read this identity (or use ?purpose=)")
    ] = None,
    purpose: Annotated[
        str | None, Query(max_length=40, description="Alternative to X-Purpose")
    ] = None,
) -> IdentityPurpose:
    stated = x_purpose or purpose
    allowed = ", ".join(p.value for p in IdentityPurpose)
    if not stated:
        raise Unprocessable(f"state why you read this identity: X-Purpose header, one of {allowed}")
    try:
        return IdentityPurpose(stated.strip().lower())
    except ValueError:
        raise Unprocessable(f"unknown purpose; use one of {allowed}") from None


StatedPurpose = Annotated[IdentityPurpose, Depends(_stated_purpose)]
