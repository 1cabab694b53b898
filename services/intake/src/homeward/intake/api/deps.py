"""Dependencies of the intake routes: who may call (roles, 403) and the identity vault."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Query, Request

from homeward.common.auth import Principal, Role, require_roles
from homeward.common.crypto import IdentityVault
from homeward.common.errors import Unprocessable
from homeward.intake.commands import IdentityPurpose

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


def _stated_purpose(
    # Not `| None`: a header is absent or a string, and the document should say just that.
    x_purpose: Annotated[
        IdentityPurpose, Header(description="Why you read this identity (or ?purpose=)")
    ] = None,  # type: ignore[assignment]
    purpose: Annotated[
        IdentityPurpose | None, Query(description="Alternative to X-Purpose")
    ] = None,
) -> IdentityPurpose:
    stated = x_purpose or purpose
    if stated is None:
        allowed = ", ".join(p.value for p in IdentityPurpose)
        raise Unprocessable(f"state why you read this identity: X-Purpose header, one of {allowed}")
    return stated


StatedPurpose = Annotated[IdentityPurpose, Depends(_stated_purpose)]
