"""Token validation against the real development issuer, over HTTP: what passes, what never does."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey
from joserfc.jws import JWSRegistry
from pydantic import ValidationError

from homeward.common.auth import InvalidToken, JwksCache, Principal, Role, TokenValidator
from homeward.common.settings import CommonSettings
from homeward.common.testing.idp import RunningIdentityProvider


@pytest.fixture
async def validator(identity_provider: RunningIdentityProvider) -> AsyncIterator[TokenValidator]:
    validator = identity_provider.validator()
    yield validator
    await validator.aclose()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segment(value: dict[str, Any]) -> str:
    return _b64(json.dumps(value, separators=(",", ":")).encode())


async def test_a_demo_users_password_token_yields_their_roles_and_municipality(
    identity_provider: RunningIdentityProvider, validator: TokenValidator
) -> None:
    token = await identity_provider.password_token("coordinator.riverton")

    principal = await validator.validate(token)

    user = identity_provider.realm.user_named("coordinator.riverton")
    assert user is not None
    assert principal == Principal(
        issuer=identity_provider.issuer,
        subject=user.id,
        roles=frozenset({Role.COORDINATOR}),
        municipality="riverton",
        username="coordinator.riverton",
        client_id="homeward-demo",
        expires_at=principal.expires_at,
    )
    assert principal.actor == f"{identity_provider.issuer}#{user.id}"
    # The token's `exp`, for connections that outlive a request (the live stream).
    assert principal.expires_at is not None
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert principal.expires_at.timestamp() == claims["exp"]


async def test_a_partner_staff_token_carries_the_agency(
    identity_provider: RunningIdentityProvider, validator: TokenValidator
) -> None:
    principal = await validator.validate(await identity_provider.password_token("health.riverton"))

    assert principal.roles == {Role.PARTNER}
    assert (principal.agency_id, principal.agency_type, principal.municipality) == (
        "riverton-health-centre",
        "health",
        "riverton",
    )


async def test_a_partner_systems_client_credentials_token_yields_its_agency(
    identity_provider: RunningIdentityProvider, validator: TokenValidator
) -> None:
    token = await identity_provider.client_token("police-system", "police-system-secret")

    principal = await validator.validate(token)

    assert principal.roles == {Role.PARTNER}
    assert principal.agency_id == "riverton-police"
    assert principal.agency_type == "police"
    assert principal.municipality == "riverton"
    assert principal.client_id == "police-system"
    assert principal.username == "service-account-police-system"
    assert principal.has_any(Role.PARTNER, Role.ADMIN)
    assert not principal.has_any(Role.COORDINATOR)


async def test_a_token_just_past_expiry_is_accepted_within_the_leeway(
    identity_provider: RunningIdentityProvider, validator: TokenValidator
) -> None:
    now = int(time.time())
    token = identity_provider.sign(identity_provider.valid_claims(exp=now - 10, iat=now - 310))

    principal = await validator.validate(token)

    assert principal.municipality == "riverton"


# Each builder forges one token a service must refuse. Tokens signed with the issuer's own
# key (idp.sign) prove that the claim or header alone causes the refusal, not the signature.
def _alg_none(idp: RunningIdentityProvider) -> str:
    header = {"alg": "none", "typ": "JWT", "kid": idp.keys.current.kid}
    return f"{_segment(header)}.{_segment(idp.valid_claims())}."


def _hs256_with_the_public_key_as_secret(idp: RunningIdentityProvider) -> str:
    header = {"alg": "HS256", "typ": "JWT", "kid": idp.keys.current.kid}
    signing_input = (
        f"{_segment(header)}.{_segment(idp.valid_claims(realm_access={'roles': ['admin']}))}"
    )
    signature = hmac.new(idp.public_key_pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def _tampered_payload(idp: RunningIdentityProvider) -> str:
    header, _, signature = idp.sign(idp.valid_claims()).split(".")
    escalated = idp.valid_claims(realm_access={"roles": ["admin"]})
    return f"{header}.{_segment(escalated)}.{signature}"


def _expired(idp: RunningIdentityProvider) -> str:
    now = int(time.time())
    return idp.sign(idp.valid_claims(exp=now - 120, iat=now - 420))


def _not_yet_valid(idp: RunningIdentityProvider) -> str:
    return idp.sign(idp.valid_claims(nbf=int(time.time()) + 120))


def _issued_in_the_future(idp: RunningIdentityProvider) -> str:
    now = int(time.time())
    return idp.sign(idp.valid_claims(iat=now + 300, exp=now + 600))


def _without_exp(idp: RunningIdentityProvider) -> str:
    return idp.sign(idp.valid_claims(exp=None))


def _another_issuer(idp: RunningIdentityProvider) -> str:
    return idp.sign(idp.valid_claims(iss="https://issuer.example/realms/homeward"))


def _another_audience(idp: RunningIdentityProvider) -> str:
    return idp.sign(idp.valid_claims(aud=["account", "another-api"]))


def _without_aud(idp: RunningIdentityProvider) -> str:
    return idp.sign(idp.valid_claims(aud=None))


def _without_sub(idp: RunningIdentityProvider) -> str:
    return idp.sign(idp.valid_claims(sub=None))


def _an_id_token(idp: RunningIdentityProvider) -> str:
    return idp.sign(idp.valid_claims(typ="ID"))


def _unknown_kid(idp: RunningIdentityProvider) -> str:
    return idp.sign(idp.valid_claims(), header={"kid": "not-a-key-of-this-issuer"})


def _without_kid(idp: RunningIdentityProvider) -> str:
    header = {"alg": "RS256", "typ": "JWT"}
    registry = JWSRegistry(algorithms=["RS256"])
    return jwt.encode(header, idp.valid_claims(), idp.keys.current, registry=registry)


def _jku_header(idp: RunningIdentityProvider) -> str:
    return idp.sign(idp.valid_claims(), header={"jku": "https://attacker.example/jwks.json"})


def _x5u_header(idp: RunningIdentityProvider) -> str:
    return idp.sign(idp.valid_claims(), header={"x5u": "https://attacker.example/cert.pem"})


def _crit_header(idp: RunningIdentityProvider) -> str:
    return idp.sign(idp.valid_claims(), header={"crit": ["kid"]})


def _embedded_attacker_jwk(idp: RunningIdentityProvider) -> str:
    attacker = RSAKey.generate_key(2048, parameters={"kid": idp.keys.current.kid})
    header = {
        "alg": "RS256",
        "typ": "JWT",
        "kid": idp.keys.current.kid,
        "jwk": attacker.as_dict(private=False),
    }
    registry = JWSRegistry(algorithms=["RS256"], strict_check_header=False)
    claims = idp.valid_claims(realm_access={"roles": ["admin"]})
    return jwt.encode(header, claims, attacker, registry=registry)


ATTACKS: dict[str, tuple[Callable[[RunningIdentityProvider], str], str]] = {
    "alg none": (_alg_none, "algorithm 'none' is not allowed"),
    "HS256 with the RSA public key": (
        _hs256_with_the_public_key_as_secret,
        "'HS256' is not allowed",
    ),
    "tampered payload": (_tampered_payload, "bad_signature"),
    "expired": (_expired, "expired_token"),
    "nbf in the future": (_not_yet_valid, "nbf"),
    "iat in the future": (_issued_in_the_future, "iat"),
    "missing exp": (_without_exp, "exp"),
    "wrong iss": (_another_issuer, "iss"),
    "wrong aud": (_another_audience, "aud"),
    "missing aud": (_without_aud, "aud"),
    "missing sub": (_without_sub, "sub"),
    "an ID token": (_an_id_token, "typ"),
    "unknown kid": (_unknown_kid, "no issuer key with kid"),
    "no kid": (_without_kid, "no kid"),
    "jku header": (_jku_header, "forbidden header parameters ['jku']"),
    "x5u header": (_x5u_header, "forbidden header parameters ['x5u']"),
    "crit header": (_crit_header, "forbidden header parameters ['crit']"),
    "attacker's jwk embedded": (_embedded_attacker_jwk, "forbidden header parameters ['jwk']"),
}


@pytest.mark.parametrize("attack", list(ATTACKS))
async def test_a_forged_or_broken_token_is_refused(
    attack: str, identity_provider: RunningIdentityProvider, validator: TokenValidator
) -> None:
    build, expected_reason = ATTACKS[attack]
    token = build(identity_provider)

    with pytest.raises(InvalidToken) as refused:
        await validator.validate(token)

    assert expected_reason in refused.value.reason


@pytest.mark.parametrize("garbage", ["", "abc", "a.b", "a.b.c", "x" * 20_000, "ey.J9.e30"])
async def test_garbage_is_refused_without_an_unexpected_error(
    garbage: str, validator: TokenValidator
) -> None:
    with pytest.raises(InvalidToken):
        await validator.validate(garbage)


async def test_the_attackers_jwk_token_would_verify_with_the_embedded_key_alone(
    identity_provider: RunningIdentityProvider,
) -> None:
    # The control for the jwk attack above: the forged token is well-formed and correctly
    # signed by the embedded key, so only the header rule stands between it and admin access.
    token = _embedded_attacker_jwk(identity_provider)
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    embedded = RSAKey.import_key(header["jwk"])
    registry = JWSRegistry(algorithms=["RS256"], strict_check_header=False)
    registry.max_header_length = 4096  # an inline RSA key makes a long header

    decoded = jwt.decode(token, embedded, registry=registry)

    assert decoded.claims["realm_access"] == {"roles": ["admin"]}


def test_leeway_above_sixty_seconds_is_refused_by_settings() -> None:
    with pytest.raises(ValidationError, match="oidc_leeway_s"):
        CommonSettings(oidc_leeway_s=61)
    assert CommonSettings(oidc_leeway_s=60).oidc_leeway_s == 60


def test_the_validator_refuses_a_leeway_above_sixty_seconds_too() -> None:
    with pytest.raises(ValueError, match="leeway"):
        TokenValidator(
            issuer="https://issuer.example",
            audience="homeward-api",
            algorithms=["RS256"],
            leeway_s=61,
            jwks=JwksCache(issuer="https://issuer.example"),
        )


@pytest.mark.parametrize("algorithms", [["RS256", "HS256"], ["none"], ["HS512"], []])
def test_the_validator_refuses_symmetric_or_no_algorithms(algorithms: list[str]) -> None:
    with pytest.raises(ValueError, match="refusing token algorithms"):
        TokenValidator(
            issuer="https://issuer.example",
            audience="homeward-api",
            algorithms=algorithms,
            leeway_s=30,
            jwks=JwksCache(issuer="https://issuer.example"),
        )


async def test_from_settings_validates_tokens_of_the_configured_issuer(
    identity_provider: RunningIdentityProvider,
) -> None:
    settings = CommonSettings(oidc_issuer=identity_provider.issuer, oidc_leeway_s=10)
    validator = TokenValidator.from_settings(settings)
    try:
        token = await identity_provider.password_token("auditor")
        principal = await validator.validate(token)
    finally:
        await validator.aclose()

    assert principal.roles == {Role.AUDITOR}
    assert validator.audience == "homeward-api"
    assert validator.jwks.min_refetch_s == settings.oidc_jwks_min_refetch_s
