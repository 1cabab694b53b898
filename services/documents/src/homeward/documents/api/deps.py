"""Dependencies of the documents routes: who may call (roles, 403), the catalogue, the vault."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from homeward.common.auth import Principal, Role, require_roles
from homeward.common.crypto import IdentityVault
from homeward.documents.catalogue import Catalogue

R = Role
RecordWriter = Annotated[Principal, Depends(require_roles(R.DOCUMENTS_OFFICER))]
RecordReader = Annotated[
    Principal, Depends(require_roles(R.DOCUMENTS_OFFICER, R.COORDINATOR, R.SUPERVISOR))
]
# Partners reach readiness only, and only for persons referred to their agency.
ReadinessReader = Annotated[
    Principal,
    Depends(require_roles(R.DOCUMENTS_OFFICER, R.COORDINATOR, R.SUPERVISOR, R.PARTNER)),
]
OverviewReader = Annotated[Principal, Depends(require_roles(R.SUPERVISOR))]
# The rule file and the types hold no person data: admins may see them (and staff).
CatalogueReader = Annotated[
    Principal,
    Depends(require_roles(R.ADMIN, R.DOCUMENTS_OFFICER, R.COORDINATOR, R.SUPERVISOR)),
]


def _catalogue(request: Request) -> Catalogue:
    return request.app.state.catalogue


def _vault(request: Request) -> IdentityVault:
    return request.app.state.vault


CatalogueDep = Annotated[Catalogue, Depends(_catalogue)]
VaultDep = Annotated[IdentityVault, Depends(_vault)]
