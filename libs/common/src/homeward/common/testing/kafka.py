"""A real Kafka-compatible broker for tests: one Tansu process for the whole session.

`HOMEWARD_TEST_KAFKA_BOOTSTRAP=host:port` points the tests at an existing broker (Apache
Kafka in CI, say) instead. Tansu keeps no state across restarts and topics are shared for the
session, so each test names its own topics with `unique_topic()`.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest_asyncio

from homeward.common.events.tansu import TansuBroker
from homeward.common.testing.ports import free_port

# Short sessions: Tansu makes a joining member wait about half the session timeout.
TEST_SESSION_TIMEOUT_MS = 1000
TEST_HEARTBEAT_INTERVAL_MS = 300


def unique_topic(name: str = "events") -> str:
    return f"homeward.test.{name}-{uuid.uuid4().hex[:10]}"


async def wait_for(
    condition: Callable[[], Awaitable[bool]], *, timeout_s: float = 15.0, interval_s: float = 0.05
) -> None:
    """Poll an async condition until it holds; fail with a clear message after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout_s}s")
        await asyncio.sleep(interval_s)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def kafka_bootstrap() -> AsyncIterator[str]:
    """Bootstrap servers of a broker shared by every test of the session."""
    if external := os.environ.get("HOMEWARD_TEST_KAFKA_BOOTSTRAP"):
        yield external
        return
    async with TansuBroker(free_port()) as broker:
        yield broker.bootstrap_servers
