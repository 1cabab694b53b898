"""The development issuer, served for real over loopback HTTP inside the test's event loop.

Tests get tokens exactly as a partner system or a demo user would (a POST to the token
endpoint), and validators fetch discovery and JWKS over HTTP, so nothing about the wire is
faked. `sign` forges tokens with the issuer's own private key for the attack tests.
"""

from __future__ import annotations

import contextlib
import html
import re
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest_asyncio

from homeward.common.auth.oidc import JwksCache, TokenValidator
from homeward.common.idp.app import create_idp_app
from homeward.common.idp.flows import s256
from homeward.common.idp.keys import SigningKeys
from homeward.common.idp.realm import DEFAULT_REALM_PATH, Realm, load_realm
from homeward.common.testing.servers import serving

CONSOLE_CLIENT = ("homeward-console", "homeward-console-secret")
CONSOLE_CALLBACK = "http://127.0.0.1:8405/auth/callback"
_FORM_ACTION = re.compile(r'<form method="post" action="([^"]+)"')


class RunningIdentityProvider:
    def __init__(self, *, base_url: str, realm: Realm, keys: SigningKeys) -> None:
        self.base_url = base_url
        self.realm = realm
        self.keys = keys
        self.issuer = f"{base_url}/realms/{realm.name}"
        endpoints = f"{self.issuer}/protocol/openid-connect"
        self.authorization_endpoint = f"{endpoints}/auth"
        self.token_endpoint = f"{endpoints}/token"
        self.jwks_uri = f"{endpoints}/certs"
        self.logout_endpoint = f"{endpoints}/logout"
        self.userinfo_endpoint = f"{endpoints}/userinfo"

    async def sign_in(
        self,
        browser: httpx.AsyncClient,
        username: str,
        password: str = "demo",  # noqa: S107 (every demo user's development password)
        *,
        client_id: str = CONSOLE_CLIENT[0],
        redirect_uri: str = CONSOLE_CALLBACK,
        code_verifier: str = "v" * 43,
        **params: str,
    ) -> httpx.Response:
        """What a browser does: open /auth, post the login form. Answers the issuer's last
        response (a redirect to `redirect_uri` when the login worked, else the page)."""
        query = {
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": "openid",
            "code_challenge": s256(code_verifier),
            "code_challenge_method": "S256",
            **params,
        }
        page = await browser.get(self.authorization_endpoint, params=query)
        if page.status_code != 200 or not (action := _FORM_ACTION.search(page.text)):
            return page
        target = page.url.join(html.unescape(action.group(1)))
        return await browser.post(target, data={"username": username, "password": password})

    async def code_flow_tokens(
        self,
        username: str,
        *,
        client: tuple[str, str] = CONSOLE_CLIENT,
        **params: str,
    ) -> dict[str, Any]:
        """The token response of a whole authorization code flow (PKCE S256) for `username`."""
        verifier = "pkce-verifier-" + "x" * 40
        async with httpx.AsyncClient(timeout=10) as browser:
            answer = await self.sign_in(
                browser, username, client_id=client[0], code_verifier=verifier, **params
            )
        if answer.status_code != 303:
            raise AssertionError(f"login failed: {answer.status_code} {answer.text[:200]}")
        code = parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": CONSOLE_CALLBACK,
            "code_verifier": verifier,
        }
        response = await self.request_token(form, auth=client)
        if response.status_code != 200:
            raise AssertionError(f"code exchange failed: {response.status_code} {response.text}")
        return response.json()

    async def request_token(
        self, form: dict[str, str], auth: tuple[str, str] | None = None
    ) -> httpx.Response:
        """The raw token-endpoint response, for tests of the issuer's errors."""
        async with httpx.AsyncClient(timeout=10) as http:
            return await http.post(self.token_endpoint, data=form, auth=auth)

    async def password_token(
        self,
        username: str,
        password: str = "demo",  # noqa: S107 (every demo user's development password)
        *,
        client_id: str = "homeward-demo",
    ) -> str:
        form = {
            "grant_type": "password",
            "client_id": client_id,
            "username": username,
            "password": password,
        }
        return _access_token(await self.request_token(form))

    async def client_token(self, client_id: str, secret: str) -> str:
        form = {"grant_type": "client_credentials"}
        return _access_token(await self.request_token(form, auth=(client_id, secret)))

    def validator(
        self,
        audience: str = "homeward-api",
        *,
        leeway_s: int = 30,
        min_refetch_s: float = 30.0,
        http_client: httpx.AsyncClient | None = None,
    ) -> TokenValidator:
        """A fresh validator (own key cache) that trusts this issuer, as a service would."""
        jwks = JwksCache(issuer=self.issuer, http_client=http_client, min_refetch_s=min_refetch_s)
        return TokenValidator(
            issuer=self.issuer,
            audience=audience,
            algorithms=("RS256",),
            leeway_s=leeway_s,
            jwks=jwks,
        )

    def sign(self, claims: dict[str, Any], header: dict[str, Any] | None = None) -> str:
        return self.keys.sign(claims, header)

    @property
    def public_key_pem(self) -> bytes:
        return self.keys.public_key_pem()

    def valid_claims(self, **overrides: Any) -> dict[str, Any]:
        """Claims a validator accepts, as the issuer would mint them; override to break one."""
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": "00000000-0000-4000-8000-000000000001",
            "aud": "homeward-api",
            "exp": now + 300,
            "iat": now,
            "jti": "forged-by-test",
            "typ": "Bearer",
            "azp": "homeward-demo",
            "preferred_username": "coordinator.riverton",
            "municipality": "riverton",
            "realm_access": {"roles": ["coordinator"]},
        }
        claims.update(overrides)
        return {key: value for key, value in claims.items() if value is not None}


def _access_token(response: httpx.Response) -> str:
    if response.status_code != 200:
        raise AssertionError(f"token request failed: {response.status_code} {response.text}")
    return response.json()["access_token"]


class CountingTransport(httpx.AsyncBaseTransport):
    """Real HTTP with every request's path recorded, to count how often the issuer is asked;
    `broken` makes the network fail."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self.paths: list[str] = []
        self.broken = False

    def count(self, path_suffix: str) -> int:
        return sum(1 for path in self.paths if path.endswith(path_suffix))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        if self.broken:
            raise httpx.ConnectError("network down (simulated)", request=request)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


@contextlib.asynccontextmanager
async def running_identity_provider(
    realm_path: Path | str = DEFAULT_REALM_PATH,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    realm: Realm | None = None,
    clock: Callable[[], float] = time.time,
) -> AsyncIterator[RunningIdentityProvider]:
    """Serve the issuer on `host:port` (0: any free port) until the block ends; `clock`
    drives its lifespans and lockouts (tests move it instead of sleeping)."""
    realm, keys = realm or load_realm(realm_path), SigningKeys()

    def issuer_app(base_url: str) -> Any:
        return create_idp_app(realm=realm, public_url=base_url, keys=keys, clock=clock)

    async with serving(issuer_app, host=host, port=port) as base_url:
        yield RunningIdentityProvider(base_url=base_url, realm=realm, keys=keys)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def identity_provider() -> AsyncIterator[RunningIdentityProvider]:
    async with running_identity_provider() as provider:
        yield provider
