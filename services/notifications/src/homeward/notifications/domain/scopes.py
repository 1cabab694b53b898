"""Recipients as scopes, so the inbox works from token claims without a user directory.

A notification is addressed to one scope: a user (by username, within the case's
municipality), a role within a municipality, or an agency. A caller sees the scopes its
token grants, and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from homeward.common.auth import Principal, Role


class ScopeKind(StrEnum):
    USER = "user"
    ROLE = "role"
    AGENCY = "agency"


@dataclass(frozen=True, order=True)
class Recipient:
    kind: ScopeKind
    value: str

    @classmethod
    def user(cls, username: str, municipality: str) -> Recipient:
        """A user, about a case of `municipality`: only a reader whose own token puts them in
        that municipality sees it, whoever an event names (never a case's notice elsewhere)."""
        return cls(ScopeKind.USER, f"{username}@{municipality}")

    @classmethod
    def role(cls, role: Role, municipality: str) -> Recipient:
        return cls(ScopeKind.ROLE, f"{role.value}@{municipality}")

    @classmethod
    def agency(cls, agency_id: str) -> Recipient:
        return cls(ScopeKind.AGENCY, agency_id)

    @property
    def key(self) -> str:
        """The stored form: `user:coordinator.riverton@riverton`, `role:supervisor@riverton`."""
        return f"{self.kind.value}:{self.value}"

    @classmethod
    def parse(cls, key: str) -> Recipient:
        kind, _, value = key.partition(":")
        return cls(ScopeKind(kind), value)


# Roles whose members receive notifications addressed to their role in their municipality.
MUNICIPAL_ROLES = (Role.COORDINATOR, Role.SUPERVISOR, Role.DOCUMENTS_OFFICER)
# Platform admins are told about disabled webhook subscriptions; they hold no municipality.
PLATFORM_ADMINS = Recipient(ScopeKind.ROLE, f"{Role.ADMIN.value}@platform")


def scopes_of(principal: Principal) -> frozenset[Recipient]:
    """Every scope whose notifications this caller may see. An auditor gets none."""
    scopes: set[Recipient] = set()
    if principal.username and principal.municipality and not principal.has_any(Role.AUDITOR):
        scopes.add(Recipient.user(principal.username, principal.municipality))
    if principal.municipality:
        for role in MUNICIPAL_ROLES:
            if role in principal.roles:
                scopes.add(Recipient.role(role, principal.municipality))
    if Role.PARTNER in principal.roles and principal.agency_id:
        scopes.add(Recipient.agency(principal.agency_id))
    if Role.ADMIN in principal.roles:
        scopes.add(PLATFORM_ADMINS)
    return frozenset(scopes)
