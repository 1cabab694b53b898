"""Dependencies of the referrals routes: who may call (roles, 403) and the service settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from homeward.common.auth import Principal, Role, require_roles
from homeward.referrals.settings import ReferralsSettings

Requester = Annotated[Principal, Depends(require_roles(Role.COORDINATOR))]
ReceivingAgency = Annotated[Principal, Depends(require_roles(Role.PARTNER))]
# Cancelling is either side's (SDOHCC: "canceled" is set by the requester or the responder).
RequesterOrAgency = Annotated[Principal, Depends(require_roles(Role.COORDINATOR, Role.PARTNER))]
ReferralReader = Annotated[
    Principal, Depends(require_roles(Role.COORDINATOR, Role.SUPERVISOR, Role.PARTNER))
]
Supervisor = Annotated[Principal, Depends(require_roles(Role.SUPERVISOR))]
DirectoryReader = Annotated[
    Principal,
    Depends(require_roles(Role.COORDINATOR, Role.SUPERVISOR, Role.PARTNER, Role.ADMIN)),
]
DirectoryAdmin = Annotated[Principal, Depends(require_roles(Role.ADMIN))]


def _settings(request: Request) -> ReferralsSettings:
    return request.app.state.parts.settings


SettingsDep = Annotated[ReferralsSettings, Depends(_settings)]
