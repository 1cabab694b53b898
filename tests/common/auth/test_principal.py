"""Principal from claims: only known roles, only string attributes, the audit actor."""

from __future__ import annotations

from homeward.common.auth import Principal, Role


def test_roles_come_from_realm_access_and_unknown_ones_are_dropped() -> None:
    principal = Principal.from_claims(
        {
            "iss": "https://issuer.example/realms/homeward",
            "sub": "u-1",
            "realm_access": {
                "roles": ["offline_access", "default-roles-homeward", "supervisor", 7]
            },
            "resource_access": {"account": {"roles": ["admin"]}},
        }
    )

    assert principal.roles == {Role.SUPERVISOR}
    assert principal.actor == "https://issuer.example/realms/homeward#u-1"


def test_attributes_are_single_strings_or_nothing() -> None:
    principal = Principal.from_claims(
        {
            "iss": "i",
            "sub": "s",
            "realm_access": "partner",
            "agency_id": ["riverton-police", "riverton-primary-school"],
            "agency_type": "",
            "municipality": "lakeside",
            "preferred_username": "police.riverton",
            "azp": "homeward-demo",
        }
    )

    assert principal.roles == frozenset()
    assert principal.agency_id is None
    assert principal.agency_type is None
    assert principal.municipality == "lakeside"
    assert (principal.username, principal.client_id) == ("police.riverton", "homeward-demo")


def test_has_any_needs_one_shared_role() -> None:
    principal = Principal(issuer="i", subject="s", roles=frozenset({Role.DOCUMENTS_OFFICER}))

    assert principal.has_any(Role.ADMIN, Role.DOCUMENTS_OFFICER)
    assert not principal.has_any(Role.ADMIN, Role.AUDITOR)
    assert not principal.has_any()
