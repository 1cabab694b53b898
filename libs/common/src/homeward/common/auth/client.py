"""Access tokens for our own outgoing calls: the OAuth 2.0 client-credentials grant.

Used by a service calling another, and by partner-system integrations and their tests. A
token is reused until shortly before it expires, so a busy caller asks the issuer about
once per token lifetime rather than once per request.
"""

from __future__ import annotations

import asyncio
import time
import warnings
from collections.abc import Callable
from typing import Any, Self

import authlib.deprecate  # noqa: F401  (installs its "always" filter before ours below)
import httpx
from authlib.integrations.base_client import OAuthError

with warnings.catch_warnings():
    # authlib 1.9 prefers the `httpx2` distribution and warns once when it falls back to
    # httpx, which is what we ship; the fallback is the supported path until we move.
    warnings.filterwarnings("ignore", message="The httpx module is deprecated")
    from authlib.integrations.httpx_client import AsyncOAuth2Client


class TokenRequestFailed(Exception):
    """The issuer refused or could not be asked; `error` is the OAuth error code if any."""

    def __init__(self, message: str, *, error: str | None = None) -> None:
        super().__init__(message)
        self.error = error


class ClientCredentialsTokenSource:
    """Hands out a valid access token for one confidential client, fetching when needed."""

    def __init__(
        self,
        *,
        token_endpoint: str,
        client_id: str,
        client_secret: str,
        scope: str | None = None,
        refresh_margin_s: float = 30.0,
        timeout_s: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token_endpoint = token_endpoint
        self.client_id = client_id
        self.refresh_margin_s = refresh_margin_s
        self._clock = clock
        self._oauth = AsyncOAuth2Client(
            client_id=client_id,
            client_secret=client_secret,
            scope=scope,
            token_endpoint_auth_method="client_secret_basic",  # noqa: S106 (a method name)
            timeout=timeout_s,
            transport=transport,
        )
        self._access_token: str | None = None
        self._fresh_until = 0.0
        # Concurrent callers with an expired token share one fetch.
        self._fetching = asyncio.Lock()

    @classmethod
    async def for_issuer(
        cls, *, issuer: str, client_id: str, client_secret: str, **options: Any
    ) -> Self:
        """Find the token endpoint through the issuer's discovery document."""
        url = issuer.rstrip("/") + "/.well-known/openid-configuration"
        async with httpx.AsyncClient(timeout=10.0, transport=options.get("transport")) as http:
            try:
                response = await http.get(url)
                response.raise_for_status()
                document = response.json()
            except (httpx.HTTPError, ValueError) as exc:
                raise TokenRequestFailed(f"cannot read the discovery document: {exc}") from exc
        if not isinstance(document, dict) or document.get("issuer") != issuer:
            raise TokenRequestFailed(f"the discovery document at {url} names another issuer")
        return cls(
            token_endpoint=document["token_endpoint"],
            client_id=client_id,
            client_secret=client_secret,
            **options,
        )

    async def access_token(self) -> str:
        if self._access_token is not None and self._clock() < self._fresh_until:
            return self._access_token
        async with self._fetching:
            if self._access_token is None or self._clock() >= self._fresh_until:
                await self._fetch()
            assert self._access_token is not None
            return self._access_token

    async def authorization_header(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {await self.access_token()}"}

    async def aclose(self) -> None:
        await self._oauth.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def _fetch(self) -> None:
        asked_at = self._clock()
        try:
            token = await self._oauth.fetch_token(
                self.token_endpoint, grant_type="client_credentials"
            )
        except OAuthError as exc:
            raise TokenRequestFailed(
                f"the issuer refused client {self.client_id!r}: {exc.description or exc.error}",
                error=exc.error,
            ) from exc
        except (httpx.HTTPError, ValueError) as exc:
            raise TokenRequestFailed(f"cannot reach the token endpoint: {exc}") from exc
        lifetime = float(token.get("expires_in") or 0)
        # Never cut a short-lived token to nothing: keep at least half its life.
        margin = min(self.refresh_margin_s, lifetime / 2)
        self._access_token = token["access_token"]
        self._fresh_until = asked_at + lifetime - margin
