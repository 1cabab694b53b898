"""The authorization code flow with PKCE, driven by an off-the-shelf OIDC client (authlib)
against the development issuer over HTTP, the login form posted as a browser posts it."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import httpx
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import AsyncOAuth2Client
from authlib.oidc.core import CodeIDToken
from authlib.oidc.discovery import OpenIDProviderMetadata
from joserfc import jwt
from joserfc.jwk import KeySet

from homeward.common.testing.idp import RunningIdentityProvider

CONSOLE = "homeward-console"
CONSOLE_SECRET = "homeward-console-secret"
CALLBACK = "http://127.0.0.1:8405/auth/callback"
SIGNED_OUT = "http://127.0.0.1:8405/signed-out"


def form_action(page: str) -> str:
    match = re.search(r'<form method="post" action="([^"]+)"', page)
    assert match, "the page has a login form"
    return html.unescape(match.group(1))


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


async def metadata(provider: RunningIdentityProvider) -> dict[str, object]:
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{provider.issuer}/.well-known/openid-configuration")
    return response.json()


async def test_the_discovery_document_passes_authlibs_provider_metadata_validation(
    identity_provider: RunningIdentityProvider,
) -> None:
    document = await metadata(identity_provider)

    OpenIDProviderMetadata(document).validate()
    assert document["response_types_supported"] == ["code"]
    assert document["code_challenge_methods_supported"] == ["S256"]
    endpoints = f"{identity_provider.issuer}/protocol/openid-connect"
    assert document["authorization_endpoint"] == f"{endpoints}/auth"
    assert document["userinfo_endpoint"] == f"{endpoints}/userinfo"
    assert document["end_session_endpoint"] == f"{endpoints}/logout"
    assert {"authorization_code", "refresh_token"} <= set(document["grant_types_supported"])


async def test_authlib_signs_in_with_code_and_pkce_refreshes_and_logs_out(
    identity_provider: RunningIdentityProvider,
) -> None:
    document = await metadata(identity_provider)
    nonce, verifier = generate_token(20), generate_token(48)
    async with (
        AsyncOAuth2Client(
            CONSOLE,
            CONSOLE_SECRET,
            scope="openid",
            redirect_uri=CALLBACK,
            code_challenge_method="S256",
        ) as client,
        httpx.AsyncClient() as browser,
    ):
        url, state = client.create_authorization_url(
            document["authorization_endpoint"], code_verifier=verifier, nonce=nonce
        )
        login_page = await browser.get(url)
        assert login_page.status_code == 200
        assert 'name="username"' in login_page.text and 'name="password"' in login_page.text

        posted = await browser.post(
            httpx.URL(url).join(form_action(login_page.text)),
            data={"username": "coordinator.lakeside", "password": "demo"},
        )
        assert posted.status_code == 303
        location = posted.headers["location"]
        assert location.startswith(CALLBACK + "?")
        assert query_of(location)["state"] == state
        assert query_of(location)["iss"] == identity_provider.issuer

        token = await client.fetch_token(
            document["token_endpoint"], authorization_response=location, code_verifier=verifier
        )

        async with httpx.AsyncClient() as http:
            jwks = KeySet.import_key_set((await http.get(document["jwks_uri"])).json())
        decoded = jwt.decode(token["id_token"], jwks, algorithms=["RS256"])
        id_token = CodeIDToken(
            decoded.claims,
            decoded.header,
            options={"iss": {"essential": True, "value": identity_provider.issuer}},
            params={"nonce": nonce, "client_id": CONSOLE, "access_token": token["access_token"]},
        )
        id_token.validate()
        user = identity_provider.realm.user_named("coordinator.lakeside")
        assert user is not None
        assert id_token["sub"] == user.id
        assert id_token["aud"] == CONSOLE and id_token["typ"] == "ID"
        assert id_token["locale"] == "ru"
        assert id_token["sid"] == query_of(location)["session_state"]
        assert isinstance(id_token["auth_time"], int)

        principal = await identity_provider.validator().validate(token["access_token"])
        assert principal.municipality == "lakeside" and principal.client_id == CONSOLE

        userinfo = await client.get(document["userinfo_endpoint"])
        assert userinfo.status_code == 200
        assert userinfo.json()["sub"] == user.id
        assert userinfo.json()["municipality"] == "lakeside"

        refreshed = await client.refresh_token(document["token_endpoint"])
        assert refreshed["access_token"] != token["access_token"]
        assert refreshed["refresh_token"] != token["refresh_token"]
        assert 0 < refreshed["refresh_expires_in"] <= 1800

        again = await browser.get(
            client.create_authorization_url(
                document["authorization_endpoint"], code_verifier=verifier, nonce=nonce
            )[0]
        )
        assert again.status_code == 302, "the SSO session signs in without the form"

        logout = await browser.get(
            document["end_session_endpoint"],
            params={
                "id_token_hint": token["id_token"],
                "post_logout_redirect_uri": SIGNED_OUT,
                "state": "bye",
            },
        )
        assert logout.status_code == 302
        assert logout.headers["location"] == f"{SIGNED_OUT}?state=bye"

        after = await browser.get(
            client.create_authorization_url(
                document["authorization_endpoint"], code_verifier=verifier, nonce=nonce
            )[0]
        )
        assert after.status_code == 200 and 'name="password"' in after.text
        stale = await client.post(
            document["token_endpoint"],
            data={"grant_type": "refresh_token", "refresh_token": refreshed["refresh_token"]},
            auth=(CONSOLE, CONSOLE_SECRET),
        )
        assert stale.status_code == 400 and stale.json()["error"] == "invalid_grant"
