"""Dependencies of the intake routes: who may call (roles, 403) and the identity vault."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request

from homeward.common.auth import CurrentPrincipal, Principal, Role, require_roles
from homeward.common.crypto import IdentityVault
from homeward.common.errors import Forbidden
from homeward.intake.domain.transfers import normalise_municipality
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


def _decides(request: Request, principal: Principal) -> bool:
    """Who decides transfers and closures: supervisors, or (setting off) coordinators too."""
    settings: IntakeSettings = request.app.state.parts.settings
    if settings.supervisors_decide_transfers_and_closures:
        return principal.has_any(Role.SUPERVISOR)
    return principal.has_any(Role.COORDINATOR, Role.SUPERVISOR)


async def _decider(request: Request, principal: CurrentPrincipal) -> Principal:
    if _decides(request, principal):
        return principal
    settings: IntakeSettings = request.app.state.parts.settings
    if settings.supervisors_decide_transfers_and_closures:
        raise Forbidden("a supervisor decides transfers and closures; ask yours")
    raise Forbidden("this operation needs one of the roles: coordinator, supervisor")


async def _deciding_municipality(request: Request, principal: CurrentPrincipal) -> str | None:
    if not principal.municipality or not _decides(request, principal):
        return None
    return normalise_municipality(principal.municipality)


# The OpenAPI document lists a 403 for routes whose dependency names the roles it admits.
_decider.required_roles = frozenset({Role.COORDINATOR, Role.SUPERVISOR})  # type: ignore[attr-defined]

# Transfers into, and closures of, the municipality's cases.
Decider = Annotated[Principal, Depends(_decider)]
# The municipality whose incoming transfers the caller may decide (None: they decide none),
# so that a transfer's `allowed_actions` tell a client whether to offer the decision.
DecidingMunicipality = Annotated[str | None, Depends(_deciding_municipality)]
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
