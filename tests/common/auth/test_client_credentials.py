"""The client-credentials token source against the development issuer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from homeward.common.auth import (
    ClientCredentialsTokenSource,
    Role,
    TokenRequestFailed,
    TokenValidator,
)
from homeward.common.testing.clock import FakeClock
from homeward.common.testing.idp import CountingTransport, RunningIdentityProvider

TOKEN_PATH = "/protocol/openid-connect/token"


@pytest.fixture
async def validator(identity_provider: RunningIdentityProvider) -> AsyncIterator[TokenValidator]:
    validator = identity_provider.validator()
    yield validator
    await validator.aclose()


def token_source(
    idp: RunningIdentityProvider, transport: CountingTransport, clock: FakeClock
) -> ClientCredentialsTokenSource:
    return ClientCredentialsTokenSource(
        token_endpoint=idp.token_endpoint,
        client_id="police-system",
        client_secret="police-system-secret",
        refresh_margin_s=30,
        transport=transport,
        clock=clock,
    )


async def test_a_token_is_fetched_once_and_reused_until_shortly_before_expiry(
    identity_provider: RunningIdentityProvider, validator: TokenValidator
) -> None:
    transport, clock = CountingTransport(), FakeClock(500.0)
    async with token_source(identity_provider, transport, clock) as source:
        first = await source.access_token()
        clock.now += 269  # 300 s lifetime, 30 s margin: still fresh
        again = await source.access_token()
        clock.now += 1
        renewed = await source.access_token()

    assert first == again
    assert renewed != first
    assert transport.count(TOKEN_PATH) == 2
    principal = await validator.validate(renewed)
    assert principal.roles == {Role.PARTNER}
    assert principal.agency_id == "riverton-police"


async def test_concurrent_callers_share_one_fetch(
    identity_provider: RunningIdentityProvider,
) -> None:
    transport = CountingTransport()
    async with token_source(identity_provider, transport, FakeClock(500.0)) as source:
        tokens = await asyncio.gather(*(source.access_token() for _ in range(20)))
        header = await source.authorization_header()

    assert len(set(tokens)) == 1
    assert header == {"Authorization": f"Bearer {tokens[0]}"}
    assert transport.count(TOKEN_PATH) == 1


async def test_a_wrong_secret_fails_with_the_oauth_error(
    identity_provider: RunningIdentityProvider,
) -> None:
    source = ClientCredentialsTokenSource(
        token_endpoint=identity_provider.token_endpoint,
        client_id="police-system",
        client_secret="not-the-secret",
    )
    async with source:
        with pytest.raises(TokenRequestFailed) as failed:
            await source.access_token()

    assert failed.value.error == "invalid_client"


async def test_the_token_endpoint_can_be_discovered_from_the_issuer(
    identity_provider: RunningIdentityProvider, validator: TokenValidator
) -> None:
    source = await ClientCredentialsTokenSource.for_issuer(
        issuer=identity_provider.issuer,
        client_id="religious-system",
        client_secret="religious-system-secret",
    )
    async with source:
        principal = await validator.validate(await source.access_token())

    assert source.token_endpoint == identity_provider.token_endpoint
    assert principal.agency_type == "religious"
    assert principal.client_id == "religious-system"
