"""Validating OIDC access tokens locally: the signature against the issuer's JWKS, then claims.

Every service checks every token itself, without asking the issuer: the keys come from the
issuer's JWKS (found through its discovery document) and are cached by key id. A token with
an unknown key id triggers a refetch, because the issuer may have rotated its keys, but at
most once per `min_refetch_s`, so that a flood of made-up key ids cannot turn every service
into a load generator against the issuer.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import httpx
from joserfc import jwt
from joserfc.errors import ClaimError, InvalidKeyIdError, JoseError
from joserfc.jwk import JWKRegistry, Key, KeySet
from joserfc.jwt import JWTClaimsRegistry

from homeward.common.auth.principal import Principal

if TYPE_CHECKING:
    from homeward.common.settings import CommonSettings

logger = logging.getLogger("homeward.auth")

MAX_LEEWAY_S = 60
# Far above any real access token, far below anything that costs us to parse.
MAX_TOKEN_CHARS = 16 * 1024
# Headers that tell the verifier where to find the key (jku, x5u: a URL the attacker
# controls; jwk, x5c: the attacker's key inline) or which extensions it must understand
# (crit). Keycloak sends none of them; honouring any would let the token pick its own key.
FORBIDDEN_HEADERS = frozenset({"jku", "jwk", "x5u", "x5c", "crit"})
ASYMMETRIC_KEY_TYPES = frozenset({"RSA", "EC", "OKP"})


class InvalidToken(Exception):
    """A token that must not be honoured; `reason` is for the logs, never for the client."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class JwksCache:
    """The issuer's public signing keys, by key id, refetched on an unknown id now and then."""

    def __init__(
        self,
        *,
        issuer: str,
        http_client: httpx.AsyncClient | None = None,
        min_refetch_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.issuer = issuer
        self.min_refetch_s = min_refetch_s
        self._http = http_client or httpx.AsyncClient(timeout=5.0)
        self._owns_http = http_client is None
        self._clock = clock
        self._keys = KeySet([])
        self._jwks_uri: str | None = None
        self._last_fetch_at: float | None = None
        # One fetch at a time: requests that arrive during a fetch wait for its result.
        self._fetching = asyncio.Lock()

    @property
    def discovery_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"

    async def key_for(self, kid: str) -> Key | None:
        """The key with this id, fetching the JWKS if allowed; None if there is no such key."""
        if (key := self._cached(kid)) is not None:
            return key
        async with self._fetching:
            if (key := self._cached(kid)) is not None:
                return key  # brought in by the fetch we were waiting for
            if not self._may_fetch():
                return None
            await self._refresh()
            return self._cached(kid)

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    def _cached(self, kid: str) -> Key | None:
        try:
            return self._keys.get_by_kid(kid)
        except InvalidKeyIdError:
            return None

    def _may_fetch(self) -> bool:
        if self._last_fetch_at is None:
            return True
        return self._clock() - self._last_fetch_at >= self.min_refetch_s

    async def _refresh(self) -> None:
        # Counted before the attempt: an issuer that is down must not be hammered either.
        self._last_fetch_at = self._clock()
        try:
            if self._jwks_uri is None:
                self._jwks_uri = await self._discover_jwks_uri()
            response = await self._http.get(self._jwks_uri)
            response.raise_for_status()
            self._keys = _signing_keys(response.json())
        except (httpx.HTTPError, ValueError, JoseError) as exc:
            # Keep the keys we had: a failed refresh must not log everyone out.
            logger.warning("could not fetch the issuer's keys: %s", exc)

    async def _discover_jwks_uri(self) -> str:
        response = await self._http.get(self.discovery_url)
        response.raise_for_status()
        document = response.json()
        if not isinstance(document, dict) or document.get("issuer") != self.issuer:
            # OIDC Discovery 4.3: a document for another issuer must not be used.
            raise ValueError(f"discovery document at {self.discovery_url} names another issuer")
        jwks_uri = document.get("jwks_uri")
        if not isinstance(jwks_uri, str) or not jwks_uri:
            raise ValueError("discovery document has no jwks_uri")
        return jwks_uri


def _signing_keys(document: Any) -> KeySet:
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("JWKS document has no key list")
    keys: list[Key] = []
    for entry in document["keys"]:
        # Keycloak publishes an encryption key (use "enc") next to the signing key; a key
        # without an id cannot be chosen by a token's kid, and symmetric keys never verify.
        if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
            continue
        if not isinstance(entry.get("kid"), str) or entry.get("kty") not in ASYMMETRIC_KEY_TYPES:
            continue
        try:
            keys.append(JWKRegistry.import_key(entry))
        except (JoseError, ValueError) as exc:
            logger.warning("skipping an unusable key %r in the JWKS: %s", entry.get("kid"), exc)
    return KeySet(keys)


class TokenValidator:
    """Turns a bearer token into a Principal, or refuses it with InvalidToken."""

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        algorithms: Sequence[str],
        leeway_s: int,
        jwks: JwksCache,
    ) -> None:
        insecure = [a for a in algorithms if a.lower() == "none" or a.upper().startswith("HS")]
        if insecure or not algorithms:
            # HS* with a public key as the secret is the classic algorithm-confusion attack.
            raise ValueError(f"refusing token algorithms {insecure or 'none given'}")
        if not 0 <= leeway_s <= MAX_LEEWAY_S:
            raise ValueError(f"leeway must be between 0 and {MAX_LEEWAY_S} seconds")
        self.issuer = issuer
        self.audience = audience
        self.algorithms = tuple(algorithms)
        self.jwks = jwks
        # nbf is checked when present but not demanded: Keycloak access tokens carry none.
        self._claims = JWTClaimsRegistry(
            leeway=leeway_s,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": audience},
            exp={"essential": True},
            sub={"essential": True},
            # Keycloak marks access tokens "Bearer"; an ID or refresh token is not a pass.
            typ={"value": "Bearer"},
        )

    @classmethod
    def from_settings(
        cls, settings: CommonSettings, http_client: httpx.AsyncClient | None = None
    ) -> TokenValidator:
        jwks = JwksCache(
            issuer=settings.oidc_issuer,
            http_client=http_client,
            min_refetch_s=settings.oidc_jwks_min_refetch_s,
        )
        return cls(
            issuer=settings.oidc_issuer,
            audience=settings.oidc_audience,
            algorithms=settings.oidc_algorithms,
            leeway_s=settings.oidc_leeway_s,
            jwks=jwks,
        )

    async def validate(self, token: str) -> Principal:
        header = self._checked_header(token)
        key = await self.jwks.key_for(header["kid"])
        if key is None:
            raise InvalidToken(f"no issuer key with kid {header['kid'][:64]!r}")
        if key.alg is not None and key.alg != header["alg"]:
            raise InvalidToken(f"key {key.kid!r} is for {key.alg}, token says {header['alg']}")
        try:
            claims = jwt.decode(token, key, algorithms=self.algorithms).claims
            self._claims.validate(claims)
        except ClaimError as exc:
            raise InvalidToken(f"{exc.error} ({exc.claim}): {exc.description}") from None
        except JoseError as exc:
            raise InvalidToken(f"{exc.error}: {exc.description}") from None
        except (ValueError, TypeError) as exc:
            raise InvalidToken(f"malformed token: {exc}") from None
        return Principal.from_claims(claims)

    async def aclose(self) -> None:
        await self.jwks.aclose()

    def _checked_header(self, token: str) -> dict[str, Any]:
        """The header, refused before any key lookup if it asks for something we never do."""
        if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS or token.count(".") != 2:
            raise InvalidToken("not a compact JWS")
        encoded = token.split(".", 1)[0]
        try:
            header = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
        except (binascii.Error, ValueError) as exc:
            raise InvalidToken(f"unreadable header: {exc}") from None
        if not isinstance(header, dict):
            raise InvalidToken("header is not a JSON object")
        if forbidden := sorted(FORBIDDEN_HEADERS & header.keys()):
            raise InvalidToken(f"forbidden header parameters {forbidden}")
        if header.get("alg") not in self.algorithms:
            raise InvalidToken(f"algorithm {str(header.get('alg'))[:16]!r} is not allowed")
        if not isinstance(header.get("kid"), str) or not header["kid"]:
            raise InvalidToken("header has no kid")
        return header
