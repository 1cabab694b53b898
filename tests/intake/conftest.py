"""Intake test fixtures: the real app on a scratch database, tokens from the dev issuer."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from homeward.common.db import Database
from homeward.common.events import InMemoryBroker
from homeward.common.testing.idp import RunningIdentityProvider
from homeward.intake.app import create_app
from homeward.intake.settings import IntakeSettings

TOKEN_REUSE_S = 120  # well inside the issuer's token lifetime

_token_cache: dict[str, tuple[float, str]] = {}


@dataclass
class IntakeHarness:
    """The running app plus what tests look at behind it: its database and its broker."""

    http: httpx.AsyncClient
    database: Database
    broker: InMemoryBroker
    idp: RunningIdentityProvider
    ids: dict[str, str] = field(default_factory=dict)

    async def token(self, username: str) -> str:
        cached = _token_cache.get(username)
        if cached and time.monotonic() - cached[0] < TOKEN_REUSE_S:
            return cached[1]
        token = await self.idp.password_token(username)
        _token_cache[username] = (time.monotonic(), token)
        return token

    async def call(
        self, username: str, method: str, path: str, *, json: Any = None, **kwargs: Any
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {await self.token(username)}"}
        headers.update(kwargs.pop("headers", {}))
        return await self.http.request(method, path, json=json, headers=headers, **kwargs)


@pytest.fixture
async def intake(
    database_url: str, identity_provider: RunningIdentityProvider
) -> AsyncIterator[IntakeHarness]:
    settings = IntakeSettings(
        database_url=database_url,
        oidc_issuer=identity_provider.issuer,
        relay_poll_interval_s=0.05,
    )
    broker = InMemoryBroker()
    database = Database(database_url)
    app = create_app(
        settings,
        broker=broker,
        database=database,
        token_validator=identity_provider.validator(),
    )
    async with LifespanManager(app, startup_timeout=60):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://intake") as http:
            yield IntakeHarness(http=http, database=database, broker=broker, idp=identity_provider)
