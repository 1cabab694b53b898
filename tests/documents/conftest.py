"""Documents test fixtures: the real app on a scratch database, tokens from the dev issuer,
events fed in through an in-memory broker."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from homeward.common.db import Database
from homeward.common.events import InMemoryBroker
from homeward.common.testing.idp import RunningIdentityProvider
from homeward.documents.app import create_app
from homeward.documents.settings import DocumentsSettings
from tests.documents.helpers import publish

TOKEN_REUSE_S = 120
_token_cache: dict[str, tuple[float, str]] = {}


@dataclass
class DocumentsHarness:
    """The running app plus what tests look at behind it: its database and its broker."""

    http: httpx.AsyncClient
    database: Database
    broker: InMemoryBroker
    idp: RunningIdentityProvider
    app: Any

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

    async def publish(self, *events: Any) -> None:
        await publish(self.broker, *events)


@pytest.fixture
async def documents(
    database_url: str, identity_provider: RunningIdentityProvider
) -> AsyncIterator[DocumentsHarness]:
    settings = DocumentsSettings(
        database_url=database_url,
        oidc_issuer=identity_provider.issuer,
        relay_poll_interval_s=0.05,
        expiry_check_enabled=False,  # tests run the check themselves, on chosen days
    )
    broker = InMemoryBroker()
    database = Database(database_url)
    app = create_app(
        settings, broker=broker, database=database, token_validator=identity_provider.validator()
    )
    async with LifespanManager(app, startup_timeout=60):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://documents") as http:
            yield DocumentsHarness(
                http=http, database=database, broker=broker, idp=identity_provider, app=app
            )
