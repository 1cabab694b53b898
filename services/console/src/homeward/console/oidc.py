"""OpenID Connect for the console: authorization code with PKCE (S256), refresh, logout.

authlib's client builds the authorization URL and exchanges the code; the discovery document
is read once. The access token is validated as every service validates it (it is the one the
APIs will see); the ID token, received straight from the token endpoint over the back
channel, is checked for our nonce and kept only as the logout hint.
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.integrations.httpx_client import AsyncOAuth2Client

from homeward.common.auth import Principal, TokenValidator
from homeward.common.db import utcnow
from homeward.console.settings import ConsoleSettings


class LoginFailed(Exception):
    """The identity provider said no, or its answer does not hold together."""


@dataclass(frozen=True)
class PendingLogin:
    state: str
    code_verifier: str
    nonce: str
    url: str


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str | None
    id_token: str | None
    expires_at: datetime
    principal: Principal
    locale: str | None

    def secrets(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "id_token": self.id_token,
        }


class OidcClient:
    def __init__(
        self, settings: ConsoleSettings, http: httpx.AsyncClient, validator: TokenValidator
    ) -> None:
        self.settings, self.http, self.validator = settings, http, validator
        self._discovery: dict[str, Any] | None = None

    async def discovery(self) -> dict[str, Any]:
        if self._discovery is None:
            url = f"{self.settings.oidc_issuer.rstrip('/')}/.well-known/openid-configuration"
            response = await self.http.get(url)
            response.raise_for_status()
            self._discovery = response.json()
        return self._discovery

    def _client(self) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(
            client_id=self.settings.oidc_client_id,
            client_secret=self.settings.oidc_client_secret.get_secret_value(),
            redirect_uri=self.settings.redirect_uri,
            scope="openid",
            code_challenge_method="S256",
            timeout=self.settings.api_timeout_s,
        )

    async def start(self, *, locale: str) -> PendingLogin:
        endpoint = (await self.discovery())["authorization_endpoint"]
        verifier, state, nonce = (secrets.token_urlsafe(48) for _ in range(3))
        async with self._client() as client:
            url, _ = client.create_authorization_url(
                endpoint, state=state, code_verifier=verifier, nonce=nonce, ui_locales=locale
            )
        return PendingLogin(state=state, code_verifier=verifier, nonce=nonce, url=url)

    async def finish(self, *, code: str, verifier: str, nonce: str) -> Tokens:
        endpoint = (await self.discovery())["token_endpoint"]
        async with self._client() as client:
            try:
                token = await client.fetch_token(endpoint, code=code, code_verifier=verifier)
            except Exception as exc:  # authlib raises its OAuthError or httpx errors
                raise LoginFailed(type(exc).__name__) from None
        tokens = await self._tokens(token)
        claims = _payload(tokens.id_token) if tokens.id_token else {}
        if claims.get("nonce") != nonce:
            raise LoginFailed("the ID token does not carry our nonce")
        return tokens

    async def refresh(self, refresh_token: str) -> Tokens:
        endpoint = (await self.discovery())["token_endpoint"]
        async with self._client() as client:
            try:
                token = await client.refresh_token(endpoint, refresh_token=refresh_token)
            except Exception as exc:
                raise LoginFailed(type(exc).__name__) from None
        return await self._tokens(token)

    async def _tokens(self, token: dict[str, Any]) -> Tokens:
        access = token.get("access_token")
        if not isinstance(access, str):
            raise LoginFailed("no access token")
        try:
            principal = await self.validator.validate(access)
        except Exception as exc:
            raise LoginFailed(f"access token refused: {type(exc).__name__}") from None
        id_token = token.get("id_token")
        claims = _payload(id_token) if isinstance(id_token, str) else {}
        lifetime = int(token.get("expires_in") or 300)
        return Tokens(
            access_token=access,
            refresh_token=token.get("refresh_token"),
            id_token=id_token if isinstance(id_token, str) else None,
            expires_at=utcnow() + timedelta(seconds=lifetime),
            principal=principal,
            locale=claims.get("locale") or _payload(access).get("locale"),
        )

    async def logout_url(self, *, id_token: str | None, post_logout: str) -> str | None:
        """RP-initiated logout at the issuer, when it offers it."""
        endpoint = (await self.discovery()).get("end_session_endpoint")
        if not endpoint:
            return None
        query = {"client_id": self.settings.oidc_client_id, "post_logout_redirect_uri": post_logout}
        if id_token:
            query["id_token_hint"] = id_token
        return f"{endpoint}?{urlencode(query)}"

    async def revoke(self, refresh_token: str | None) -> None:
        """End the session at the issuer from the back channel too (best effort)."""
        endpoint = (await self.discovery()).get("revocation_endpoint")
        if not endpoint or not refresh_token:
            return
        auth = (self.settings.oidc_client_id, self.settings.oidc_client_secret.get_secret_value())
        try:
            await self.http.post(endpoint, data={"token": refresh_token}, auth=auth)
        except httpx.HTTPError:
            pass


def _payload(token: str) -> dict[str, Any]:
    """The claims of a JWT we received from the token endpoint itself (over TLS)."""
    try:
        part = token.split(".")[1]
        value = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (IndexError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}
