"""Dependencies of the intake routes: who may call (roles, 403) and the identity vault."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request

from homeward.common.auth import CurrentPrincipal, Principal, Role, require_roles
from homeward.common.crypto import IdentityVault
from homeward.common.errors import Forbidden
from homeward.intake.settings import IntakeSettings


def _seen(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """`require_roles`, and the caller remembered in the staff directory (who may be
    assigned a case is learnt from the tokens of those who work on cases)."""
    allowed = require_roles(*roles)

    # A default, not `Annotated`: the annotation is a string here, `allowed` a local.
    async def staff_member(request: Request, principal: Principal = Depends(allowed)) -> Principal:
        await request.app.state.staff.remember(principal)
        return principal

    return staff_member


# Case work: coordinators write, coordinators and supervisors read.
CaseWriter = Annotated[Principal, Depends(_seen(Role.COORDINATOR))]
CaseReader = Annotated[Principal, Depends(_seen(Role.COORDINATOR, Role.SUPERVISOR))]
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


# The OpenAPI document lists a 403 for routes whose dependency names the roles it admits.
_decider.required_roles = frozenset({Role.COORDINATOR, Role.SUPERVISOR})  # type: ignore[attr-defined]

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


def _settings(request: Request) -> IntakeSettings:
    return request.app.state.parts.settings


SettingsDep = Annotated[IntakeSettings, Depends(_settings)]
