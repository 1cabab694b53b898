"""The realm export itself, read as Keycloak 26 imports it: roles, users, clients, scopes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from homeward.common.auth import Role
from homeward.common.idp.i18n import LANGUAGES
from homeward.common.idp.realm import DEFAULT_REALM_PATH, load_realm

EXPORT: dict[str, Any] = json.loads(DEFAULT_REALM_PATH.read_text(encoding="utf-8"))
SCOPES = {scope["name"]: scope for scope in EXPORT["clientScopes"]}
USERS = [u for u in EXPORT["users"] if not u.get("serviceAccountClientId")]
CLIENTS = {client["clientId"]: client for client in EXPORT["clients"]}
PARTNER_CLIENTS = [c for c in EXPORT["clients"] if c.get("serviceAccountsEnabled")]
AGENCY_CLAIMS = ("agency_id", "agency_type", "municipality")
# What each role needs from the token to be scoped (DESIGN.md, "Security and privacy").
NEEDED_ATTRIBUTES = {
    "partner": AGENCY_CLAIMS,
    "documents-officer": AGENCY_CLAIMS,
    "coordinator": ("municipality",),
    "supervisor": ("municipality",),
    "auditor": (),
    "admin": (),
}
# Keycloak 26's built-in scopes, as its OIDCLoginProtocolFactory creates them; the export
# declares them because an export with any clientScopes gets none created for it.
BUILT_IN_DEFAULTS = ["basic", "roles", "profile", "email", "web-origins", "acr"]
# The scopes whose names Keycloak writes into a token's `scope` claim (include.in.token.scope).
SCOPES_IN_SCOPE_CLAIM = {"profile", "email", "address", "phone", "microprofile-jwt"}


def mappers_of(entry: dict[str, Any], kind: str) -> list[dict[str, str]]:
    return [m["config"] for m in entry.get("protocolMappers", []) if m["protocolMapper"] == kind]


def client_mappers(client: dict[str, Any], kind: str) -> list[dict[str, str]]:
    """The client's own mappers and those of its default client scopes."""
    found = mappers_of(client, kind)
    for name in client.get("defaultClientScopes", EXPORT["defaultDefaultClientScopes"]):
        found += mappers_of(SCOPES[name], kind)
    return found


def test_the_six_homeward_roles_are_realm_roles() -> None:
    roles = {role["name"]: role for role in EXPORT["roles"]["realm"]}

    assert set(roles) == {role.value for role in Role}
    for role in roles.values():
        assert role["description"] and not role["composite"] and not role["clientRole"]


def test_the_realm_keeps_its_settings_and_the_dev_issuer_reads_them() -> None:
    realm = load_realm()

    assert realm.name == EXPORT["realm"] == "homeward"
    assert realm.access_token_lifespan_s == EXPORT["accessTokenLifespan"] == 300
    assert realm.roles == {role.value for role in Role}
    assert set(realm.client_scopes) == set(SCOPES)


@pytest.mark.parametrize("user", USERS, ids=[u["username"] for u in USERS])
def test_every_demo_user_has_one_role_and_the_attributes_it_needs(user: dict[str, Any]) -> None:
    (role,) = user["realmRoles"]
    attributes = user.get("attributes", {})

    for name in NEEDED_ATTRIBUTES[role]:
        values = attributes.get(name)
        assert values and len(values) == 1 and values[0], f"{user['username']}: {name}"
    # `locale` is Keycloak's own user-profile attribute once the realm has internationalisation.
    assert set(attributes) <= {*AGENCY_CLAIMS, "locale"}, "only declared user-profile attributes"
    if "locale" in attributes:
        assert EXPORT["internationalizationEnabled"] is True
        assert attributes["locale"][0] in EXPORT["supportedLocales"]
    assert user["enabled"] and not user.get("requiredActions")
    # Keycloak's password grant fails with "Account is not fully set up" on any required action.
    (credential,) = user["credentials"]
    assert credential["type"] == "password" and credential["temporary"] is False


def test_every_user_id_and_username_is_unique() -> None:
    users = EXPORT["users"]

    assert len({u["id"] for u in users}) == len(users)
    assert len({u["username"].lower() for u in users}) == len(users)


def test_the_user_profile_declares_the_agency_attributes_as_admin_only() -> None:
    # Keycloak 24+ keeps only declared attributes manageable; a user who could edit their own
    # municipality would change what the services let them see.
    (provider,) = EXPORT["components"]["org.keycloak.userprofile.UserProfileProvider"]
    profile = json.loads(provider["config"]["kc.user.profile.config"][0])
    declared = {attribute["name"]: attribute for attribute in profile["attributes"]}

    assert provider["providerId"] == "declarative-user-profile"
    for name in AGENCY_CLAIMS:
        assert declared[name]["permissions"]["edit"] == ["admin"]
        assert declared[name]["multivalued"] is False
    # Nothing required: Keycloak would otherwise force VERIFY_PROFILE on demo users, and the
    # password grant refuses accounts with a pending required action.
    assert not any("required" in attribute for attribute in profile["attributes"])


@pytest.mark.parametrize("client", PARTNER_CLIENTS, ids=[c["clientId"] for c in PARTNER_CLIENTS])
def test_every_partner_system_is_a_confidential_service_account_client(
    client: dict[str, Any],
) -> None:
    hardcoded = {m["claim.name"]: m for m in mappers_of(client, "oidc-hardcoded-claim-mapper")}
    account = [u for u in EXPORT["users"] if u.get("serviceAccountClientId") == client["clientId"]]

    assert client["publicClient"] is False and client["bearerOnly"] is False
    assert client["clientAuthenticatorType"] == "client-secret" and client["secret"]
    assert client["serviceAccountsEnabled"] is True
    assert not client["standardFlowEnabled"] and not client["directAccessGrantsEnabled"]
    assert set(hardcoded) == set(AGENCY_CLAIMS)
    for config in hardcoded.values():
        assert config["claim.value"] and config["jsonType.label"] == "String"
        assert config["access.token.claim"] == "true"
    # The service-account user is in the export, with the partner role only: Keycloak links
    # it by serviceAccountClientId and does not create another.
    assert [u["username"] for u in account] == [f"service-account-{client['clientId']}"]
    assert account[0]["realmRoles"] == ["partner"] and not account[0].get("attributes")
    # Keycloak 26.1+: client_id comes from the service_account scope, assigned when service
    # accounts are switched on through the admin API; an import that brings its own
    # service-account user skips ClientManager.enableServiceAccount, so the export names it.
    assert "service_account" in client["defaultClientScopes"]
    # No user-attribute mapper may compete with the hard-coded agency claims.
    attribute_claims = {
        m["claim.name"] for m in client_mappers(client, "oidc-usermodel-attribute-mapper")
    }
    assert attribute_claims.isdisjoint(AGENCY_CLAIMS)


@pytest.mark.parametrize("client_id", sorted(CLIENTS))
def test_every_client_gets_the_api_audience_and_keycloaks_basic_claims(client_id: str) -> None:
    client = CLIENTS[client_id]
    audiences = {
        m.get("included.custom.audience") for m in client_mappers(client, "oidc-audience-mapper")
    }

    assert audiences == {"homeward-api"}
    assert client["protocol"] == "openid-connect" and client["enabled"]
    # The scopes a token needs: sub (basic), realm_access (roles), preferred_username (profile).
    assert set(BUILT_IN_DEFAULTS) <= set(client["defaultClientScopes"])
    assert client["optionalClientScopes"] == []
    assert {
        m["claim.name"] for m in client_mappers(client, "oidc-usermodel-realm-role-mapper")
    } == {"realm_access.roles"}
    assert client_mappers(client, "oidc-sub-mapper")


def test_the_demo_client_is_a_public_password_grant_client_marked_as_development_only() -> None:
    demo = CLIENTS["homeward-demo"]
    attributes = {
        m["user.attribute"] for m in client_mappers(demo, "oidc-usermodel-attribute-mapper")
    }

    assert demo["publicClient"] is True and demo["directAccessGrantsEnabled"] is True
    assert not demo["serviceAccountsEnabled"] and not demo["standardFlowEnabled"]
    assert "development" in demo["description"].lower()
    assert "production" in demo["description"].lower()
    assert set(AGENCY_CLAIMS) <= attributes


def test_no_client_uses_the_implicit_flow() -> None:
    for client in EXPORT["clients"]:
        assert client["implicitFlowEnabled"] is False, client["clientId"]


def test_the_export_declares_every_client_scope_it_names() -> None:
    named = {
        *EXPORT["defaultDefaultClientScopes"],
        *EXPORT["defaultOptionalClientScopes"],
        *(s for c in EXPORT["clients"] for s in c["defaultClientScopes"]),
        *(s for c in EXPORT["clients"] for s in c["optionalClientScopes"]),
    }

    assert named <= set(SCOPES)
    assert EXPORT["defaultDefaultClientScopes"] == BUILT_IN_DEFAULTS
    for scope in SCOPES.values():
        assert scope["protocol"] == "openid-connect"
        in_token_scope = scope["attributes"]["include.in.token.scope"] == "true"
        assert in_token_scope == (scope["name"] in SCOPES_IN_SCOPE_CLAIM), scope["name"]


def test_the_basic_scope_carries_sub_and_auth_time_as_in_keycloak_26() -> None:
    # Without `basic`, a Keycloak 25+ access token has no `sub`, which the services require.
    basic = SCOPES["basic"]

    assert mappers_of(basic, "oidc-sub-mapper") == [
        {"access.token.claim": "true", "introspection.token.claim": "true"}
    ]
    (auth_time,) = mappers_of(basic, "oidc-usersessionmodel-note-mapper")
    assert (auth_time["user.session.note"], auth_time["claim.name"]) == ("AUTH_TIME", "auth_time")
    assert auth_time["jsonType.label"] == "long"


def test_the_service_account_scope_maps_keycloaks_session_notes() -> None:
    notes = {
        m["claim.name"]: m["user.session.note"]
        for m in mappers_of(SCOPES["service_account"], "oidc-usersessionmodel-note-mapper")
    }

    assert notes == {
        "client_id": "client_id",
        "clientHost": "clientHost",
        "clientAddress": "clientAddress",
    }


def test_an_export_without_client_scopes_is_refused_by_the_dev_issuer() -> None:
    from homeward.common.idp.realm import parse_realm

    legacy = {key: value for key, value in EXPORT.items() if key != "clientScopes"}

    with pytest.raises(ValueError, match="clientScopes"):
        parse_realm(legacy)


def test_the_console_is_a_confidential_standard_flow_client_with_pkce() -> None:
    console = CLIENTS["homeward-console"]
    attributes = console["attributes"]
    post_logout = attributes["post.logout.redirect.uris"].split("##")

    assert console["publicClient"] is False and console["bearerOnly"] is False
    assert console["clientAuthenticatorType"] == "client-secret"
    assert console["secret"] == "homeward-console-secret"
    assert console["standardFlowEnabled"] is True
    assert not console["directAccessGrantsEnabled"] and not console["serviceAccountsEnabled"]
    assert not console["implicitFlowEnabled"]
    assert attributes["pkce.code.challenge.method"] == "S256"
    # Keycloak 26 refuses wildcards anywhere but at the end of a redirect URI.
    for uri in (*console["redirectUris"], *post_logout):
        assert "*" not in uri[:-1] and uri.startswith("http"), uri
    assert set(console["redirectUris"]) == {
        "http://127.0.0.1:8405/*",
        "http://localhost:8405/*",
        "http://console:8405/*",
    }
    assert set(post_logout) == set(console["redirectUris"])
    assert "development" in console["description"].lower()


def test_the_dev_issuer_reads_the_console_client_and_the_realms_browser_settings() -> None:
    realm = load_realm()
    console = realm.clients["homeward-console"]

    assert console.standard_flow_enabled and not console.public
    assert console.pkce_method == "S256"
    assert console.redirect_uris == tuple(CLIENTS["homeward-console"]["redirectUris"])
    assert console.post_logout_redirect_uris == console.redirect_uris
    assert realm.lifespans.sso_idle == EXPORT["ssoSessionIdleTimeout"]
    assert realm.lifespans.sso_max == EXPORT["ssoSessionMaxLifespan"]
    assert realm.lifespans.access_code == EXPORT["accessCodeLifespan"]
    assert realm.brute_force.enabled is EXPORT["bruteForceProtected"] is True
    assert realm.brute_force.failure_factor == EXPORT["failureFactor"]
    # Keycloak offers the languages the development issuer's login page speaks.
    assert EXPORT["internationalizationEnabled"] is True
    assert EXPORT["supportedLocales"] == list(LANGUAGES) == ["en", "ru", "kk", "uz"]
    # Every refresh token is good once, in Keycloak as in the development issuer.
    assert EXPORT["revokeRefreshToken"] is True and EXPORT["refreshTokenMaxReuse"] == 0


# Keycloak's theme message keys the realm overrides, and the login page's English msgids.
KEYCLOAK_LOGIN_MESSAGES = {
    "loginAccountTitle": "Sign in to Homeward",
    "username": "Username",
    "password": "Password",
    "doLogIn": "Sign in",
    "invalidUserMessage": "Invalid username or password.",
    "doLogout": "Sign out",
}


@pytest.mark.parametrize("locale", ["kk", "uz"])
def test_keycloaks_login_texts_for_kazakh_and_uzbek_are_the_dev_issuers(locale: str) -> None:
    # Keycloak's own themes may lack these two languages; the realm's overrides give its
    # login page the dev issuer's translations, from the same catalogue.
    from homeward.common.idp.i18n import translations

    gettext = translations(locale).gettext
    assert EXPORT["localizationTexts"][locale] == {
        key: gettext(message) for key, message in KEYCLOAK_LOGIN_MESSAGES.items()
    }
    assert all(gettext(message) != message for message in KEYCLOAK_LOGIN_MESSAGES.values())
