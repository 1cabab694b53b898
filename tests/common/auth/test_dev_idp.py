"""The development issuer over HTTP: discovery, keys, grants, errors, Keycloak's token layout."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from homeward.common.idp.realm import DEFAULT_REALM_PATH
from homeward.common.testing.idp import RunningIdentityProvider

PRIVATE_RSA_MEMBERS = {"d", "p", "q", "dp", "dq", "qi"}


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


async def test_discovery_names_the_issuer_and_its_endpoints(
    identity_provider: RunningIdentityProvider,
) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{identity_provider.issuer}/.well-known/openid-configuration")

    document = response.json()
    assert response.status_code == 200
    assert document["issuer"] == identity_provider.issuer
    assert identity_provider.issuer.endswith("/realms/homeward")
    assert document["jwks_uri"] == f"{identity_provider.issuer}/protocol/openid-connect/certs"
    assert document["token_endpoint"] == identity_provider.token_endpoint
    assert set(document["grant_types_supported"]) == {
        "authorization_code",
        "refresh_token",
        "client_credentials",
        "password",
    }
    assert document["id_token_signing_alg_values_supported"] == ["RS256"]


async def test_the_jwks_holds_public_signing_keys_only(
    identity_provider: RunningIdentityProvider,
) -> None:
    async with httpx.AsyncClient() as http:
        keys = (await http.get(identity_provider.jwks_uri)).json()["keys"]

    assert keys, "the issuer publishes at least one key"
    for key in keys:
        assert key["kty"] == "RSA"
        assert (key["use"], key["alg"]) == ("sig", "RS256")
        assert key["kid"] and key["n"] and key["e"]
        assert PRIVATE_RSA_MEMBERS.isdisjoint(key)
    assert identity_provider.keys.current.kid in {key["kid"] for key in keys}


async def test_a_token_response_is_a_bearer_token_that_must_not_be_cached(
    identity_provider: RunningIdentityProvider,
) -> None:
    response = await identity_provider.request_token(
        {"grant_type": "client_credentials"}, auth=("school-system", "school-system-secret")
    )

    body = response.json()
    assert response.status_code == 200
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 300
    assert response.headers["cache-control"] == "no-store"


async def test_a_wrong_password_is_401_invalid_grant(
    identity_provider: RunningIdentityProvider,
) -> None:
    form = {"grant_type": "password", "client_id": "homeward-demo", "username": "admin"}

    wrong = await identity_provider.request_token({**form, "password": "not-demo"})
    nobody = await identity_provider.request_token(
        {**form, "username": "nobody", "password": "demo"}
    )

    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_grant"
    # An unknown user looks the same, so usernames cannot be probed.
    assert (nobody.status_code, nobody.json()) == (401, wrong.json())


async def test_a_wrong_client_secret_is_401_invalid_client(
    identity_provider: RunningIdentityProvider,
) -> None:
    grant = {"grant_type": "client_credentials"}

    basic = await identity_provider.request_token(grant, auth=("police-system", "guess"))
    posted = await identity_provider.request_token(
        {**grant, "client_id": "police-system", "client_secret": "guess"}
    )
    unknown = await identity_provider.request_token(grant, auth=("no-such-system", "guess"))

    for response in (basic, posted, unknown):
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"
    assert basic.headers["www-authenticate"].startswith("Basic")


async def test_the_client_secret_may_also_come_in_the_form(
    identity_provider: RunningIdentityProvider,
) -> None:
    response = await identity_provider.request_token(
        {
            "grant_type": "client_credentials",
            "client_id": "religious-system",
            "client_secret": "religious-system-secret",
        }
    )

    assert response.status_code == 200
    assert claims_of(response.json()["access_token"])["agency_type"] == "religious"


@pytest.mark.parametrize("grant_type", ["implicit", "urn:ietf:params:oauth:grant-type:device_code"])
async def test_an_unsupported_grant_is_400(
    grant_type: str, identity_provider: RunningIdentityProvider
) -> None:
    response = await identity_provider.request_token(
        {"grant_type": grant_type}, auth=("police-system", "police-system-secret")
    )

    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


async def test_clients_only_get_the_grants_they_are_configured_for(
    identity_provider: RunningIdentityProvider,
) -> None:
    public_client_credentials = await identity_provider.request_token(
        {"grant_type": "client_credentials", "client_id": "homeward-demo"}
    )
    system_password = await identity_provider.request_token(
        {"grant_type": "password", "username": "police.riverton", "password": "demo"},
        auth=("police-system", "police-system-secret"),
    )
    service_account_login = await identity_provider.request_token(
        {
            "grant_type": "password",
            "client_id": "homeward-demo",
            "username": "service-account-police-system",
            "password": "",
        }
    )

    assert public_client_credentials.status_code == 400
    assert public_client_credentials.json()["error"] == "unauthorized_client"
    assert system_password.status_code == 400
    assert system_password.json()["error"] == "unauthorized_client"
    assert service_account_login.status_code == 401


async def test_a_partner_users_token_has_keycloaks_layout(
    identity_provider: RunningIdentityProvider,
) -> None:
    claims = claims_of(await identity_provider.password_token("school.riverton"))

    user = identity_provider.realm.user_named("school.riverton")
    assert user is not None
    assert claims["iss"] == identity_provider.issuer
    assert claims["sub"] == user.id
    assert claims["aud"] == "homeward-api"
    assert claims["exp"] - claims["iat"] == 300
    assert claims["jti"]
    assert claims["typ"] == "Bearer"
    assert claims["azp"] == "homeward-demo"
    assert claims["scope"] == "profile email"
    assert claims["preferred_username"] == "school.riverton"
    assert claims["realm_access"] == {"roles": ["partner"]}
    assert claims["agency_id"] == "riverton-primary-school"
    assert claims["agency_type"] == "school"
    assert claims["municipality"] == "riverton"
    assert "client_id" not in claims


async def test_a_partner_systems_token_has_keycloaks_service_account_layout(
    identity_provider: RunningIdentityProvider,
) -> None:
    claims = claims_of(
        await identity_provider.client_token("health-system", "health-system-secret")
    )

    account = identity_provider.realm.service_account_of("health-system")
    assert account is not None
    assert claims["sub"] == account.id
    assert claims["aud"] == "homeward-api"
    assert claims["azp"] == claims["client_id"] == "health-system"
    assert claims["preferred_username"] == "service-account-health-system"
    assert claims["realm_access"] == {"roles": ["partner"]}
    assert claims["agency_id"] == "riverton-health-centre"
    assert claims["agency_type"] == "health"
    assert claims["municipality"] == "riverton"


DEMO_USERS = {
    "coordinator.riverton": (["coordinator"], "riverton", None),
    "supervisor.riverton": (["supervisor"], "riverton", None),
    "coordinator.lakeside": (["coordinator"], "lakeside", None),
    "supervisor.lakeside": (["supervisor"], "lakeside", None),
    "documents.riverton": (["documents-officer"], "riverton", "riverton-civil-registry"),
    "documents.lakeside": (["documents-officer"], "lakeside", "lakeside-civil-registry"),
    "police.riverton": (["partner"], "riverton", "riverton-police"),
    "school.riverton": (["partner"], "riverton", "riverton-primary-school"),
    "health.riverton": (["partner"], "riverton", "riverton-health-centre"),
    "religious.riverton": (["partner"], "riverton", "riverton-faith-council"),
    "auditor": (["auditor"], None, None),
    "admin": (["admin"], None, None),
}


@pytest.mark.parametrize("username", list(DEMO_USERS))
async def test_every_demo_user_logs_in_with_demo(
    username: str, identity_provider: RunningIdentityProvider
) -> None:
    roles, municipality, agency_id = DEMO_USERS[username]

    claims = claims_of(await identity_provider.password_token(username))

    assert claims["realm_access"]["roles"] == roles
    assert claims.get("municipality") == municipality
    assert claims.get("agency_id") == agency_id


def test_the_realm_export_keeps_authorisation_attributes_out_of_users_hands() -> None:
    # Keycloak 24+ drops undeclared user attributes on import, and would let users edit
    # declared ones unless told otherwise: a user editing their own municipality would
    # change what the services let them see.
    export = json.loads(DEFAULT_REALM_PATH.read_text())
    provider = export["components"]["org.keycloak.userprofile.UserProfileProvider"][0]
    profile = json.loads(provider["config"]["kc.user.profile.config"][0])
    declared = {attribute["name"]: attribute for attribute in profile["attributes"]}

    for name in ("agency_id", "agency_type", "municipality"):
        assert declared[name]["permissions"]["edit"] == ["admin"]
    assert "unmanagedAttributePolicy" not in profile
    assert not any("required" in attribute for attribute in profile["attributes"])


@pytest.mark.parametrize(
    ("username", "locale"),
    [("coordinator.lakeside", "ru"), ("documents.lakeside", "kk"), ("supervisor.lakeside", "uz")],
)
async def test_a_users_locale_attribute_is_the_locale_claim(
    username: str, locale: str, identity_provider: RunningIdentityProvider
) -> None:
    with_locale = claims_of(await identity_provider.password_token(username))
    without = claims_of(await identity_provider.password_token("coordinator.riverton"))

    assert with_locale["locale"] == locale
    assert "locale" not in without
