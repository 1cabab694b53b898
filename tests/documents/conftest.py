"""Documents test fixtures: the real app on a scratch database, tokens from the dev issuer,
events fed in through an in-memory broker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from homeward.common.events import EventContract
from homeward.common.testing.apps import ServiceHarness, running_service
from homeward.common.testing.idp import RunningIdentityProvider
from homeward.documents.app import create_app
from homeward.documents.settings import DocumentsSettings
from tests.documents.helpers import publish


@dataclass
class DocumentsHarness(ServiceHarness):
    """The shared harness, plus intake and referrals events fed in as if from their topics."""

    async def publish(self, *events: EventContract) -> None:
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
    async with running_service(create_app, settings, idp=identity_provider) as service:
        yield DocumentsHarness(**vars(service))
