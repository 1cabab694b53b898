"""The development issuer mints the tokens Keycloak 26 would mint for the same realm file.

The reference (keycloak26_reference_tokens.json) is written from Keycloak's source and upgrade
notes; its comment says why no real server is compared against. Tokens are obtained over HTTP,
exactly as a demo user or a partner system gets them, and every demo user and partner client
of the realm file is then run through the services' TokenValidator.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from homeward.common.auth import Role, TokenValidator
from homeward.common.idp.realm import DEFAULT_REALM_PATH
from homeward.common.testing.idp import RunningIdentityProvider

REFERENCE = json.loads(
    (Path(__file__).with_name("keycloak26_reference_tokens.json")).read_text(encoding="utf-8")
)
EXPORT = json.loads(DEFAULT_REALM_PATH.read_text(encoding="utf-8"))
JSON_TYPES = {
    "string": str,
    "integer": int,
    "boolean": bool,
    "object": dict,
    "array": list,
}
AGENCY_CLAIMS = ("agency_id", "agency_type", "municipality")


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def json_type(value: Any) -> str:
    # bool is an int in Python; JSON keeps them apart.
    return next(
        name
        for name, kind in JSON_TYPES.items()
        if isinstance(value, kind) and (kind is bool) == isinstance(value, bool)
    )


def client_secret(client_id: str) -> str:
    return next(c["secret"] for c in EXPORT["clients"] if c["clientId"] == client_id)


async def token_for(case: dict[str, Any], provider: RunningIdentityProvider) -> str:
    request = case["request"]
    if request["grant_type"] == "authorization_code":
        tokens = await provider.code_flow_tokens(
            request["username"], scope=request["scope"], nonce="n-0S6_WzA2Mj"
        )
        return tokens[case.get("token", "access_token")]
    if request["grant_type"] == "password":
        return await provider.password_token(request["username"], client_id=request["client_id"])
    client_id = request["client_id"]
    return await provider.client_token(client_id, client_secret(client_id))


@pytest.mark.parametrize("case_name", sorted(REFERENCE["cases"]))
async def test_the_dev_issuers_tokens_have_keycloak_26s_claims_layout(
    case_name: str, identity_provider: RunningIdentityProvider
) -> None:
    case = REFERENCE["cases"][case_name]
    expected: dict[str, dict[str, Any]] = case["claims"]

    claims = claims_of(await token_for(case, identity_provider))

    assert sorted(claims) == sorted(expected), "claim names differ from Keycloak's"
    for name, rule in expected.items():
        assert json_type(claims[name]) == rule["type"], name
        if rule.get("volatile"):
            assert name in REFERENCE["volatile_claims"], f"{name} is not documented as volatile"
        if "value" in rule:
            assert claims[name] == rule["value"], name
        if "scope_set" in rule:
            assert sorted(claims[name].split()) == sorted(rule["scope_set"]), name
    # The rules that depend on where the issuer runs rather than on the realm.
    assert claims["iss"] == identity_provider.issuer
    assert claims["iss"].endswith(f"/realms/{EXPORT['realm']}")
    assert claims["exp"] - claims["iat"] == EXPORT["accessTokenLifespan"]


def test_the_reference_only_names_volatile_claims_it_documents() -> None:
    volatile = set(REFERENCE["volatile_claims"])
    for case in REFERENCE["cases"].values():
        for name, rule in case["claims"].items():
            assert rule.get("volatile", False) == (name in volatile), name
            assert rule["source"], name
            assert rule["type"] in JSON_TYPES, name
            # A claim is either fixed by the realm, or volatile, or explained by a rule.
            assert {"value", "scope_set", "volatile", "rule"} & rule.keys(), name


def test_the_references_realm_determined_values_come_from_the_realm_file() -> None:
    # If the realm file changes, the reference must be updated with it, not silently diverge.
    users = {u["username"]: u for u in EXPORT["users"]}
    password = REFERENCE["cases"]["password_grant"]
    user = users[password["request"]["username"]]
    assert password["claims"]["sub"]["value"] == user["id"]
    assert password["claims"]["realm_access"]["value"] == {"roles": user["realmRoles"]}
    for claim in AGENCY_CLAIMS:
        assert password["claims"][claim]["value"] == user["attributes"][claim][0]

    service = REFERENCE["cases"]["client_credentials"]
    client_id = service["request"]["client_id"]
    account = next(u for u in EXPORT["users"] if u.get("serviceAccountClientId") == client_id)
    assert service["claims"]["sub"]["value"] == account["id"]
    assert service["claims"]["preferred_username"]["value"] == account["username"]
    assert service["claims"]["realm_access"]["value"] == {"roles": account["realmRoles"]}


async def test_a_password_grant_asking_for_openid_puts_it_first_in_scope(
    identity_provider: RunningIdentityProvider,
) -> None:
    response = await identity_provider.request_token(
        {
            "grant_type": "password",
            "client_id": "homeward-demo",
            "username": "coordinator.riverton",
            "password": "demo",
            "scope": "openid",
        }
    )

    scope = claims_of(response.json()["access_token"])["scope"].split()
    assert scope[0] == "openid"
    assert sorted(scope[1:]) == ["email", "profile"]
    assert response.json()["session_state"]


async def test_a_scope_the_client_does_not_have_is_invalid_scope(
    identity_provider: RunningIdentityProvider,
) -> None:
    response = await identity_provider.request_token(
        {"grant_type": "client_credentials", "scope": "microprofile-jwt"},
        auth=("police-system", client_secret("police-system")),
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


# Every identity the realm file defines, run through the services' validator.

HUMANS = [u for u in EXPORT["users"] if not u.get("serviceAccountClientId")]
PARTNER_CLIENTS = [c for c in EXPORT["clients"] if c.get("serviceAccountsEnabled")]


def _expected_roles(realm_roles: list[str]) -> frozenset[Role]:
    known = {role.value for role in Role}
    return frozenset(Role(name) for name in realm_roles if name in known)


def _hardcoded(client: dict[str, Any]) -> dict[str, str]:
    return {
        m["config"]["claim.name"]: m["config"]["claim.value"]
        for m in client.get("protocolMappers", [])
        if m["protocolMapper"] == "oidc-hardcoded-claim-mapper"
    }


@pytest.fixture
async def validator(identity_provider: RunningIdentityProvider) -> AsyncIterator[TokenValidator]:
    validator = identity_provider.validator()
    yield validator
    await validator.aclose()


@pytest.mark.parametrize("user", HUMANS, ids=[u["username"] for u in HUMANS])
async def test_every_demo_user_is_the_principal_the_realm_file_describes(
    user: dict[str, Any],
    identity_provider: RunningIdentityProvider,
    validator: TokenValidator,
) -> None:
    token = await identity_provider.password_token(user["username"])

    principal = await validator.validate(token)

    attributes = {name: values[0] for name, values in user.get("attributes", {}).items()}
    assert principal.subject == user["id"]
    assert principal.roles == _expected_roles(user["realmRoles"])
    assert principal.roles, f"{user['username']} has no Homeward role"
    assert principal.agency_id == attributes.get("agency_id")
    assert principal.agency_type == attributes.get("agency_type")
    assert principal.municipality == attributes.get("municipality")
    assert (principal.username, principal.client_id) == (user["username"], "homeward-demo")


@pytest.mark.parametrize("client", PARTNER_CLIENTS, ids=[c["clientId"] for c in PARTNER_CLIENTS])
async def test_every_partner_system_is_the_principal_the_realm_file_describes(
    client: dict[str, Any],
    identity_provider: RunningIdentityProvider,
    validator: TokenValidator,
) -> None:
    token = await identity_provider.client_token(client["clientId"], client["secret"])

    principal = await validator.validate(token)

    account = next(
        u for u in EXPORT["users"] if u.get("serviceAccountClientId") == client["clientId"]
    )
    hardcoded = _hardcoded(client)
    assert principal.subject == account["id"]
    assert principal.roles == _expected_roles(account["realmRoles"]) == {Role.PARTNER}
    assert principal.agency_id == hardcoded["agency_id"]
    assert principal.agency_type == hardcoded["agency_type"]
    assert principal.municipality == hardcoded["municipality"]
    assert principal.client_id == client["clientId"]
    assert principal.username == f"service-account-{client['clientId']}"
    assert claims_of(token)["client_id"] == client["clientId"]
