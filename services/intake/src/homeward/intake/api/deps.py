"""Dependencies of the intake routes: who may call (roles, 403) and the identity vault."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from homeward.common.auth import Principal, Role, require_roles
from homeward.common.crypto import IdentityVault

# Case work: coordinators write, coordinators and supervisors read.
CaseWriter = Annotated[Principal, Depends(require_roles(Role.COORDINATOR))]
CaseReader = Annotated[Principal, Depends(require_roles(Role.COORDINATOR, Role.SUPERVISOR))]
CaseCloser = CaseReader
Supervisor = Annotated[Principal, Depends(require_roles(Role.SUPERVISOR))]
TransferDecider = CaseReader


def _sees_notes(principal: CaseReader) -> bool:
    # Free-text notes are the coordinators' working material; supervisors read the rest.
    return principal.has_any(Role.COORDINATOR)


SeesNotes = Annotated[bool, Depends(_sees_notes)]


def _vault(request: Request) -> IdentityVault:
    return request.app.state.vault


VaultDep = Annotated[IdentityVault, Depends(_vault)]
