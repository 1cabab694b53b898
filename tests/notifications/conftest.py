"""Notifications fixtures: the real app on a scratch database, the in-memory broker, tokens
from the development issuer, an SMTP server."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from homeward.common.db import Database
from homeward.common.events import InMemoryBroker
from homeward.common.testing.idp import RunningIdentityProvider
from homeward.notifications.app import create_app
from homeward.notifications.settings import NotificationsSettings
from tests.notifications.helpers import smtp_server

TOKEN_REUSE_S = 120
_token_cache: dict[str, tuple[float, str]] = {}

CLIENT_SECRETS = {
    "police-system": "police-system-secret",
    "school-system": "school-system-secret",
}


def fast_settings(**overrides: Any) -> NotificationsSettings:
    """Tiny delays everywhere, loopback webhooks allowed (development setting)."""
    values: dict[str, Any] = {
        "relay_poll_interval_s": 0.05,
        "consumer_backoff_initial_s": 0.01,
        "consumer_backoff_max_s": 0.05,
        "webhook_allow_loopback": True,
        "webhook_backoff_initial_s": 0.05,
        "webhook_backoff_max_s": 0.2,
        "webhook_max_attempts": 4,
        "webhook_poll_interval_s": 0.05,
        "webhook_timeout_s": 5,
        "email_backoff_initial_s": 0.05,
        "email_backoff_max_s": 0.2,
        "email_poll_interval_s": 0.05,
        "stream_poll_interval_s": 0.2,
        "app_base_url": "https://homeward.example/app",
    }
    values.update(overrides)
    return NotificationsSettings(**values)


@dataclass
class NotificationsHarness:
    app: FastAPI
    http: httpx.AsyncClient
    database: Database
    broker: InMemoryBroker
    idp: RunningIdentityProvider

    async def token(self, who: str) -> str:
        cached = _token_cache.get(who)
        if cached and time.monotonic() - cached[0] < TOKEN_REUSE_S:
            return cached[1]
        if who in CLIENT_SECRETS:
            token = await self.idp.client_token(who, CLIENT_SECRETS[who])
        else:
            token = await self.idp.password_token(who)
        _token_cache[who] = (time.monotonic(), token)
        return token

    async def call(
        self, who: str, method: str, path: str, *, json: Any = None, **kwargs: Any
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {await self.token(who)}"}
        headers.update(kwargs.pop("headers", {}))
        return await self.http.request(method, path, json=json, headers=headers, **kwargs)

    async def inbox(self, who: str, **params: Any) -> list[dict[str, Any]]:
        response = await self.call(who, "GET", "/v1/notifications", params=params)
        assert response.status_code == 200, response.text
        return response.json()["items"]


@pytest.fixture
def smtp() -> Iterator[tuple[Any, int]]:
    with smtp_server() as server:
        yield server


@pytest.fixture
async def notifications(
    database_url: str, identity_provider: RunningIdentityProvider, smtp: tuple[Any, int]
) -> AsyncIterator[NotificationsHarness]:
    _, smtp_port = smtp
    settings = fast_settings(
        database_url=database_url,
        oidc_issuer=identity_provider.issuer,
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
    )
    broker = InMemoryBroker()
    database = Database(database_url)
    app = create_app(
        settings, broker=broker, database=database, token_validator=identity_provider.validator()
    )
    # Stopping waits for the consumer's message in hand; on a loaded machine that can exceed
    # the default 5 s.
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=30):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://notifications") as http:
            yield NotificationsHarness(
                app=app, http=http, database=database, broker=broker, idp=identity_provider
            )
