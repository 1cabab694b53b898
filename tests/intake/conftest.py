"""Intake test fixtures: the real app on a scratch database, tokens from the dev issuer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from homeward.common.testing.apps import ServiceHarness, running_service
from homeward.common.testing.idp import RunningIdentityProvider
from homeward.intake.app import create_app
from homeward.intake.settings import IntakeSettings


@asynccontextmanager
async def running_intake(
    database_url: str, identity_provider: RunningIdentityProvider, **settings: Any
) -> AsyncIterator[ServiceHarness]:
    """Intake with the tests' settings, and `settings` over them."""
    configured = IntakeSettings(database_url=database_url, oidc_issuer=identity_provider.issuer,
                                relay_poll_interval_s=0.05, **settings)  # fmt: skip
    async with running_service(create_app, configured, idp=identity_provider) as harness:
        yield harness


@pytest.fixture
async def intake(
    database_url: str, identity_provider: RunningIdentityProvider
) -> AsyncIterator[ServiceHarness]:
    async with running_intake(database_url, identity_provider) as harness:
        yield harness
