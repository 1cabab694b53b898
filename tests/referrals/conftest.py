"""Referrals test fixtures: the real app on a scratch database, events through a broker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any

import pytest
from sqlmodel import col, select

from homeward.common.contracts.referrals import REFERRALS_TOPIC
from homeward.common.events import Broker, EventContract, OutboxRecord, Producer
from homeward.common.events.inbox import ProcessedEvent
from homeward.common.testing.apps import ServiceHarness, running_service
from homeward.common.testing.idp import RunningIdentityProvider
from homeward.common.testing.kafka import wait_for
from homeward.referrals.app import create_app
from homeward.referrals.settings import ReferralsSettings
from tests.referrals.helpers import Family, produce


@dataclass
class ReferralsHarness(ServiceHarness):
    """The shared harness plus a producer for intake and documents events, and the settings
    the app runs with (tests drive `check_overdue` with them)."""

    producer: Producer
    settings: ReferralsSettings

    async def token(self, username: str) -> str:
        if username.endswith("-system"):  # a partner's system: client credentials, no user
            return await self.idp.client_token(username, f"{username}-secret")
        return await super().token(username)

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

    async def consented_family(self) -> Family:
        """A family whose child consented to share education data with schools."""
        family = await self.family()
        await self.feed(family.consent(family.child, "school", ["education"]))
        return family

    async def create_referral(
        self, body: dict[str, object], *, user: str = "coordinator.riverton"
    ) -> dict[str, Any]:
        """POST /v1/referrals, which must succeed; the new referral as the API shows it."""
        response = await self.call(user, "POST", "/v1/referrals", json=body)
        assert response.status_code == 201, response.text
        return response.json()

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


@asynccontextmanager
async def running_referrals(
    settings: ReferralsSettings, *, idp: RunningIdentityProvider, broker: Broker | None = None
) -> AsyncIterator[ReferralsHarness]:
    """The referrals app without its overdue checker (tests call `check_overdue` at chosen
    times), on the in-memory broker unless given another."""
    async with running_service(
        partial(create_app, run_overdue_checker=False),
        settings,
        idp=idp,
        broker=broker,
    ) as service:
        producer = service.broker.producer("referrals-tests")
        await producer.start()
        try:
            yield ReferralsHarness(**vars(service), producer=producer, settings=settings)
        finally:
            await producer.stop()


@pytest.fixture
async def referrals(
    database_url: str, identity_provider: RunningIdentityProvider
) -> AsyncIterator[ReferralsHarness]:
    settings = make_settings(database_url, identity_provider.issuer)
    async with running_referrals(settings, idp=identity_provider) as harness:
        yield harness
