"""The JWKS cache: refetch on an unknown key id, but never more than once per interval."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from homeward.common.auth import InvalidToken, JwksCache, TokenValidator
from homeward.common.testing.clock import FakeClock
from homeward.common.testing.idp import (
    CountingTransport,
    RunningIdentityProvider,
    running_identity_provider,
)

CERTS = "/protocol/openid-connect/certs"
DISCOVERY = "/.well-known/openid-configuration"


@pytest.fixture
async def counting_http() -> AsyncIterator[tuple[httpx.AsyncClient, CountingTransport]]:
    transport = CountingTransport()
    async with httpx.AsyncClient(transport=transport, timeout=10) as client:
        yield client, transport


def _validator(
    idp: RunningIdentityProvider, http: httpx.AsyncClient, *, min_refetch_s: float, clock: FakeClock
) -> TokenValidator:
    jwks = JwksCache(issuer=idp.issuer, http_client=http, min_refetch_s=min_refetch_s, clock=clock)
    return TokenValidator(
        issuer=idp.issuer, audience="homeward-api", algorithms=["RS256"], leeway_s=30, jwks=jwks
    )


async def _refuse_unknown_kids(
    idp: RunningIdentityProvider, validator: TokenValidator, count: int, tag: str
) -> None:
    tokens = [
        idp.sign(idp.valid_claims(), header={"kid": f"made-up-{tag}-{n}"}) for n in range(count)
    ]
    results = await asyncio.gather(
        *(validator.validate(token) for token in tokens), return_exceptions=True
    )
    assert all(isinstance(result, InvalidToken) for result in results), results


async def test_a_flood_of_unknown_kids_fetches_the_jwks_at_most_once_per_interval(
    identity_provider: RunningIdentityProvider,
    counting_http: tuple[httpx.AsyncClient, CountingTransport],
) -> None:
    http, transport = counting_http
    clock = FakeClock()
    validator = _validator(identity_provider, http, min_refetch_s=30, clock=clock)
    await validator.validate(await identity_provider.password_token("admin"))
    assert (transport.count(DISCOVERY), transport.count(CERTS)) == (1, 1)

    await _refuse_unknown_kids(identity_provider, validator, 50, "right-after-the-first-fetch")
    assert transport.count(CERTS) == 1  # the keys were fetched moments ago: no refetch at all

    clock.now += 31
    await _refuse_unknown_kids(identity_provider, validator, 50, "after-the-interval")
    assert transport.count(CERTS) == 2  # one refetch for the whole flood

    clock.now += 29
    await _refuse_unknown_kids(identity_provider, validator, 50, "within-the-next-interval")
    assert transport.count(CERTS) == 2
    assert transport.count(DISCOVERY) == 1  # discovery is not repeated once it succeeded


async def test_concurrent_first_requests_share_one_fetch(
    identity_provider: RunningIdentityProvider,
    counting_http: tuple[httpx.AsyncClient, CountingTransport],
) -> None:
    http, transport = counting_http
    validator = _validator(identity_provider, http, min_refetch_s=30, clock=FakeClock())
    token = await identity_provider.password_token("supervisor.lakeside")

    principals = await asyncio.gather(*(validator.validate(token) for _ in range(50)))

    assert {p.municipality for p in principals} == {"lakeside"}
    assert (transport.count(DISCOVERY), transport.count(CERTS)) == (1, 1)


async def test_a_rotated_key_is_picked_up_once_the_interval_has_passed(
    counting_http: tuple[httpx.AsyncClient, CountingTransport],
) -> None:
    # Its own issuer: rotating the shared one would disturb other tests.
    http, transport = counting_http
    async with running_identity_provider() as idp:
        clock = FakeClock()
        validator = _validator(idp, http, min_refetch_s=30, clock=clock)
        await validator.validate(await idp.password_token("documents.riverton"))
        idp.keys.rotate()
        rotated = await idp.password_token("documents.riverton")

        with pytest.raises(InvalidToken, match="no issuer key"):
            await validator.validate(rotated)  # too soon to ask the issuer again
        assert transport.count(CERTS) == 1

        clock.now += 30
        principal = await validator.validate(rotated)

    assert principal.username == "documents.riverton"
    assert transport.count(CERTS) == 2


async def test_a_failed_refetch_keeps_the_keys_already_known(
    identity_provider: RunningIdentityProvider,
    counting_http: tuple[httpx.AsyncClient, CountingTransport],
) -> None:
    http, transport = counting_http
    clock = FakeClock()
    validator = _validator(identity_provider, http, min_refetch_s=30, clock=clock)
    token = await identity_provider.password_token("coordinator.lakeside")
    await validator.validate(token)

    transport.broken = True
    clock.now += 31
    await _refuse_unknown_kids(identity_provider, validator, 5, "while-the-network-is-down")
    principal = await validator.validate(token)

    assert principal.municipality == "lakeside"
    assert transport.count(CERTS) == 2  # the attempt was made, once, and failed


async def test_a_discovery_document_for_another_issuer_is_not_trusted(
    identity_provider: RunningIdentityProvider,
    counting_http: tuple[httpx.AsyncClient, CountingTransport],
) -> None:
    # Same discovery URL, but the document names the issuer without the trailing slash.
    http, transport = counting_http
    issuer = identity_provider.issuer + "/"
    jwks = JwksCache(issuer=issuer, http_client=http)

    assert await jwks.key_for(identity_provider.keys.current.kid) is None
    assert transport.count(DISCOVERY) == 1
    assert transport.count(CERTS) == 0
