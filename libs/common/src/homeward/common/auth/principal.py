"""Who is calling, as the access token says: roles and agency attributes, nothing else.

Attributes come only from the token (never from a request body or a header the caller
controls), so a partner cannot claim another agency by editing a form field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    COORDINATOR = "coordinator"
    PARTNER = "partner"
    DOCUMENTS_OFFICER = "documents-officer"
    SUPERVISOR = "supervisor"
    AUDITOR = "auditor"
    ADMIN = "admin"


@dataclass(frozen=True, kw_only=True)
class Principal:
    issuer: str
    subject: str
    roles: frozenset[Role] = frozenset()
    agency_id: str | None = None
    agency_type: str | None = None
    municipality: str | None = None
    username: str | None = None
    client_id: str | None = None
    # The user's language as the identity provider knows it (`ru`, `kk-KZ`), if it does.
    locale: str | None = None
    # When the token stops vouching for the caller: a long-lived connection ends there.
    expires_at: datetime | None = None

    @property
    def actor(self) -> str:
        """The audit trail's "who": a subject is only unique within its issuer."""
        return f"{self.issuer}#{self.subject}"

    def has_any(self, *roles: Role) -> bool:
        return not self.roles.isdisjoint(roles)

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> Principal:
        """Build from already validated claims in Keycloak's access-token layout."""
        return cls(
            issuer=claims["iss"],
            subject=claims["sub"],
            roles=_known_roles(claims.get("realm_access")),
            agency_id=_text(claims.get("agency_id")),
            agency_type=_text(claims.get("agency_type")),
            municipality=_text(claims.get("municipality")),
            username=_text(claims.get("preferred_username")),
            client_id=_text(claims.get("azp")),
            locale=_text(claims.get("locale")),
            expires_at=_time(claims.get("exp")),
        )


def _known_roles(realm_access: object) -> frozenset[Role]:
    # Keycloak adds its own roles (offline_access, default-roles-<realm>, ...); they mean
    # nothing here and are dropped rather than rejected.
    if not isinstance(realm_access, Mapping):
        return frozenset()
    names = realm_access.get("roles")
    if not isinstance(names, list):
        return frozenset()
    known = {role.value for role in Role}
    return frozenset(Role(name) for name in names if isinstance(name, str) and name in known)


def _time(value: object) -> datetime | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    return None


def _text(value: object) -> str | None:
    # The realm's mappers are single-valued; anything else is not an attribute we trust.
    return value if isinstance(value, str) and value else None
