"""An issuer of its own per test, on a clock the test moves (lifespans, lockouts)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest

from homeward.common.testing.clock import FakeClock
from homeward.common.testing.idp import RunningIdentityProvider, running_identity_provider


@pytest.fixture
def clock() -> FakeClock:
    # Starts at the real time: the services' validator checks the tokens' exp against it.
    return FakeClock(float(int(time.time())))


@pytest.fixture
async def own_issuer(clock: FakeClock) -> AsyncIterator[RunningIdentityProvider]:
    async with running_identity_provider(clock=clock) as provider:
        yield provider
