"""Intake test fixtures: the real app on a scratch database, tokens from the dev issuer."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from homeward.common.testing.apps import ServiceHarness, running_service
from homeward.common.testing.idp import RunningIdentityProvider
from homeward.intake.app import create_app
from homeward.intake.settings import IntakeSettings


@pytest.fixture
async def intake(
    database_url: str, identity_provider: RunningIdentityProvider
) -> AsyncIterator[ServiceHarness]:
    settings = IntakeSettings(
        database_url=database_url,
        oidc_issuer=identity_provider.issuer,
        relay_poll_interval_s=0.05,
    )
    async with running_service(create_app, settings, idp=identity_provider) as harness:
        yield harness
