"""The development issuer's RS256 signing keys: made at start-up, kept in memory only.

A restart therefore invalidates every token issued before it, which is what a developer
expects from a throwaway issuer and keeps private keys out of the repository.
"""

from __future__ import annotations

from typing import Any

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from joserfc.jws import JWSRegistry

ALGORITHM = "RS256"
KEYS_KEPT = 2  # the current key and its predecessor, for tokens issued just before a rotation


class SigningKeys:
    def __init__(self, *, key_size: int = 2048) -> None:
        self._key_size = key_size
        self._keys: list[RSAKey] = []
        self.rotate()

    @property
    def current(self) -> RSAKey:
        return self._keys[-1]

    def rotate(self) -> RSAKey:
        """Start signing with a new key; the previous one stays published for verification."""
        key = RSAKey.generate_key(
            self._key_size, parameters={"use": "sig", "alg": ALGORITHM}, auto_kid=True
        )
        self._keys = [*self._keys, key][-KEYS_KEPT:]
        return key

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        """The public halves only: as_dict(private=False) drops d, p, q, dp, dq and qi."""
        return {"keys": [dict(key.as_dict(private=False)) for key in reversed(self._keys)]}

    def public_key_pem(self) -> bytes:
        return self.current.as_pem(private=False)

    def verify(self, token: str) -> dict[str, Any]:
        """The claims of a token signed with a key still published; only the signature is
        checked here (joserfc raises JoseError or ValueError), the caller checks the claims."""
        decoded = jwt.decode(token, KeySet(list(self._keys)), algorithms=[ALGORITHM])
        return dict(decoded.claims)

    def sign(self, claims: dict[str, Any], header: dict[str, Any] | None = None) -> str:
        """Sign `claims` with the current key; `header` entries override the defaults.

        Tests use the overrides to forge headers a real issuer never sends (a foreign kid,
        an embedded jwk, ...), so only the algorithm is checked here, not the header names.
        """
        full_header = {"alg": ALGORITHM, "typ": "JWT", "kid": self.current.kid, **(header or {})}
        registry = JWSRegistry(algorithms=[full_header["alg"]], strict_check_header=False)
        return jwt.encode(full_header, dict(claims), self.current, registry=registry)
