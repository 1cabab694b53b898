"""Referrals test fixtures: the real app on a scratch database, events through a broker."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlmodel import col, select

from homeward.common.contracts.referrals import REFERRALS_TOPIC
from homeward.common.db import Database
from homeward.common.events import EventContract, InMemoryBroker, OutboxRecord, Producer
from homeward.common.events.inbox import ProcessedEvent
from homeward.common.testing.idp import RunningIdentityProvider
from homeward.common.testing.kafka import wait_for
from homeward.referrals.app import create_app
from homeward.referrals.settings import ReferralsSettings
from tests.referrals.helpers import Family, produce

TOKEN_REUSE_S = 120
_token_cache: dict[str, tuple[float, str]] = {}


@dataclass
class ReferralsHarness:
    http: httpx.AsyncClient
    database: Database
    broker: InMemoryBroker
    producer: Producer
    idp: RunningIdentityProvider
    settings: ReferralsSettings

    async def token(self, username: str) -> str:
        cached = _token_cache.get(username)
        if cached and time.monotonic() - cached[0] < TOKEN_REUSE_S:
            return cached[1]
        if username.endswith("-system"):
            token = await self.idp.client_token(username, f"{username}-secret")
        else:
            token = await self.idp.password_token(username)
        _token_cache[username] = (time.monotonic(), token)
        return token

    async def call(
        self, username: str, method: str, path: str, *, json: Any = None, **kwargs: Any
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {await self.token(username)}"}
        headers.update(kwargs.pop("headers", {}))
        return await self.http.request(method, path, json=json, headers=headers, **kwargs)

    async def feed(self, *events: EventContract) -> None:
        """Publish intake/documents events and wait until the consumer applied them all."""
        ids = [await produce(self.producer, event) for event in events]

        async def applied() -> bool:
            async with self.database.session() as session:
                found = await session.exec(
                    select(ProcessedEvent.event_id).where(col(ProcessedEvent.event_id).in_(ids))
                )
                return len(found.all()) == len(ids)

        await wait_for(applied, timeout_s=15)

    async def family(self, municipality: str = "riverton") -> Family:
        family = Family(municipality=municipality)
        await self.feed(*family.registered())
        return family

    async def outbox(self, event_type: str | None = None) -> list[OutboxRecord]:
        async with self.database.session() as session:
            query = select(OutboxRecord).where(OutboxRecord.topic == REFERRALS_TOPIC)
            if event_type:
                query = query.where(OutboxRecord.type == event_type)
            return list((await session.exec(query.order_by(col(OutboxRecord.id)))).all())


def make_settings(database_url: str, issuer: str, **overrides: Any) -> ReferralsSettings:
    return ReferralsSettings(
        database_url=database_url, oidc_issuer=issuer, relay_poll_interval_s=0.05, **overrides
    )


@pytest.fixture
async def referrals(
    database_url: str, identity_provider: RunningIdentityProvider
) -> AsyncIterator[ReferralsHarness]:
    settings = make_settings(database_url, identity_provider.issuer)
    broker = InMemoryBroker()
    database = Database(database_url)
    app = create_app(
        settings, broker=broker, database=database,
        token_validator=identity_provider.validator(), run_overdue_checker=False,
    )  # fmt: skip
    async with LifespanManager(app, startup_timeout=60):
        producer = broker.producer("tests")
        await producer.start()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://referrals") as http:
            yield ReferralsHarness(http=http, database=database, broker=broker,
                                   producer=producer, idp=identity_provider,
                                   settings=settings)  # fmt: skip
        await producer.stop()
