"""The console's OpenID Connect client against the real development issuer: the
authorization URL it builds (code, PKCE S256, state, nonce, language), a refresh that
returns a fresh, valid access token, and a refresh token the issuer no longer honours."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from homeward.common.testing.idp import RunningIdentityProvider
from homeward.console.oidc import LoginFailed, OidcClient
from homeward.console.settings import ConsoleSettings


def client(idp: RunningIdentityProvider, http: httpx.AsyncClient) -> OidcClient:
    settings = ConsoleSettings(oidc_issuer=idp.issuer)
    return OidcClient(settings, http, idp.validator())


async def test_the_authorization_request_is_a_pkce_code_request(
    identity_provider: RunningIdentityProvider,
) -> None:
    async with httpx.AsyncClient() as http:
        pending = await client(identity_provider, http).start(locale="kk")
    query = {k: v[0] for k, v in parse_qs(urlsplit(pending.url).query).items()}
    assert query["response_type"] == "code" and query["client_id"] == "homeward-console"
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert query["state"] == pending.state and query["nonce"] == pending.nonce
    assert query["ui_locales"] == "kk" and query["scope"] == "openid"
    assert pending.code_verifier not in pending.url


async def test_a_refresh_gives_a_new_valid_access_token(
    identity_provider: RunningIdentityProvider,
) -> None:
    first = await identity_provider.code_flow_tokens("coordinator.lakeside", scope="openid")
    async with httpx.AsyncClient() as http:
        oidc = client(identity_provider, http)
        renewed = await oidc.refresh(first["refresh_token"])
        assert renewed.access_token != first["access_token"]
        assert renewed.principal.username == "coordinator.lakeside"
        assert renewed.locale == "ru"  # the token's locale claim, for the console's language
        with pytest.raises(LoginFailed):
            await oidc.refresh("not-a-refresh-token")
