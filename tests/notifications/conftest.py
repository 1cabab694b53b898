"""Notifications fixtures: the real app on a scratch database (the shared service harness),
the in-memory broker, tokens from the development issuer, an SMTP server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from homeward.common.testing.apps import ServiceHarness, running_service
from homeward.common.testing.idp import RunningIdentityProvider
from homeward.notifications.app import create_app
from homeward.notifications.settings import NotificationsSettings
from tests.notifications.helpers import smtp_server

# Partner systems sign in with the client-credentials grant, not as users.
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


class NotificationsHarness(ServiceHarness):
    """The shared harness, plus partner systems as callers and a look at an inbox."""

    async def token(self, username: str) -> str:
        if secret := CLIENT_SECRETS.get(username):
            return await self.idp.client_token(username, secret)
        return await super().token(username)

    async def inbox(self, username: str, **params: Any) -> list[dict[str, Any]]:
        response = await self.call(username, "GET", "/v1/notifications", params=params)
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
    async with running_service(create_app, settings, idp=identity_provider) as service:
        yield NotificationsHarness(**vars(service))
