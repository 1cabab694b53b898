"""A service app under test, as its users reach it: over HTTP (in-process ASGI), with real
tokens from the development issuer, its lifespan run (migrations, relay, consumers), and its
database and broker at hand for what tests check behind the API.

    async with running_service(create_app, settings, idp=identity_provider) as intake:
        response = await intake.call("coordinator.riverton", "GET", "/v1/cases")
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from homeward.common.db import Database
from homeward.common.events import Broker, InMemoryBroker
from homeward.common.settings import CommonSettings
from homeward.common.testing.cloudevents import assert_every_event_is_a_cloudevent
from homeward.common.testing.idp import RunningIdentityProvider

TOKEN_REUSE_S = 120  # well inside the issuer's token lifetime
_tokens: dict[str, tuple[float, str]] = {}


async def user_token(idp: RunningIdentityProvider, username: str) -> str:
    """A password-grant token for a demo user, reused across tests while it is fresh."""
    key = f"{idp.issuer}|{username}"
    cached = _tokens.get(key)
    if cached and time.monotonic() - cached[0] < TOKEN_REUSE_S:
        return cached[1]
    token = await idp.password_token(username)
    _tokens[key] = (time.monotonic(), token)
    return token


@dataclass
class ServiceHarness:
    """The running app plus what tests look at behind it: its database and its broker."""

    app: FastAPI
    http: httpx.AsyncClient
    database: Database
    broker: Broker  # the in-memory one unless a test hands in Kafka
    idp: RunningIdentityProvider

    async def token(self, username: str) -> str:
        return await user_token(self.idp, username)

    async def call(
        self, username: str, method: str, path: str, *, json: Any = None, **kwargs: Any
    ) -> httpx.Response:
        """A request as `username` (a demo user of the realm)."""
        headers = {"Authorization": f"Bearer {await self.token(username)}"}
        headers.update(kwargs.pop("headers", {}))
        return await self.http.request(method, path, json=json, headers=headers, **kwargs)


@asynccontextmanager
async def running_service(
    create_app: Callable[..., FastAPI],
    settings: CommonSettings,
    *,
    idp: RunningIdentityProvider,
    broker: Broker | None = None,
) -> AsyncIterator[ServiceHarness]:
    """The service built by its own wiring function, on the in-memory broker by default;
    afterwards every event it published there is parsed by the CloudEvents SDK."""
    broker = broker or InMemoryBroker()
    database = Database(settings.database_url)
    app = create_app(settings, broker=broker, database=database, token_validator=idp.validator())
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=30):
        transport = httpx.ASGITransport(app=app)
        base_url = f"http://{settings.service_name}"
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as http:
            yield ServiceHarness(app=app, http=http, database=database, broker=broker, idp=idp)
    if isinstance(broker, InMemoryBroker):
        assert_every_event_is_a_cloudevent(broker)
