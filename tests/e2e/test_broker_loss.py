"""Nothing lost when the broker loses its data (issue 15), on the embedded stack as `make run`
starts it, on SQLite and on PostgreSQL.

A steady load of families (a case, a police referral sent and accepted, a school referral
waiting for documents) runs while the in-memory Tansu broker is killed with SIGKILL (the
stack restarts it empty), or while its topics are deleted and recreated by hand and an
operator runs `homeward outbox republish`. Afterwards every effect is there exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from homeward.admin.cli import main as homeward
from homeward.common.devstack import stack_topics
from homeward.common.events.tansu import AUTO_CREATED_PARTITIONS
from homeward.common.testing.databases import scratch_database_url, selected_backends
from tests.conftest import require_backend
from tests.e2e.broker_faults import (
    Load,
    broker_pid,
    everyone_knows_everything_once,
    kill_the_broker,
)
from tests.e2e.journey import Callers, eventually
from tests.e2e.stack import SERVICES, RunningStack, running_stack

# Bounded: a run takes ~40 s per test on an idle machine, several times that on a busy one.
pytestmark = [pytest.mark.stack, pytest.mark.timeout(400)]

FAMILIES_BEFORE, FAMILIES_DURING, FAMILIES_AFTER = 6, 6, 6


@pytest.fixture(params=selected_backends())
async def service_databases(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[dict[str, str]]:
    await require_backend(request.param)
    if request.param == "sqlite":
        yield {}
        return
    async with contextlib.AsyncExitStack() as scratch:
        yield {
            f"HOMEWARD_{service.upper()}_DATABASE_URL": await scratch.enter_async_context(
                scratch_database_url("postgresql", tmp_path)
            )
            for service in SERVICES
        }


@contextlib.asynccontextmanager
async def stack_and_load(
    tmp_path: Path, databases: dict[str, str]
) -> AsyncIterator[tuple[RunningStack, Load]]:
    async with (
        running_stack(tmp_path, databases) as stack,
        httpx.AsyncClient(timeout=30) as http,
    ):
        load = Load(Callers(stack, http))
        await load.run(FAMILIES_BEFORE)
        yield stack, load


async def test_a_broker_killed_mid_load_loses_and_duplicates_nothing(
    tmp_path: Path, service_databases: dict[str, str]
) -> None:
    async with stack_and_load(tmp_path, service_databases) as (stack, load):
        port = int(stack.kafka_bootstrap.rsplit(":", 1)[1])
        during = asyncio.create_task(load.run(FAMILIES_DURING))
        await eventually(lambda: len(load.families) > FAMILIES_BEFORE, what="load under way")
        killed = kill_the_broker(port)
        await during
        await load.run(FAMILIES_AFTER)

        assert broker_pid(port) != killed  # the stack started another
        await everyone_knows_everything_once(load.callers, load.families)
        output = "".join(stack.output)
        assert output.count("broker: Tansu died (exit code -9)") == 1, output[-2000:]
        assert "BROKER LOST DATA" in stack.logs()


async def test_topics_recreated_by_hand_and_republished_lose_and_duplicate_nothing(
    tmp_path: Path, service_databases: dict[str, str]
) -> None:
    async with stack_and_load(tmp_path, service_databases) as (stack, load):
        # By hand, at once: a slower recreation races the services' clients, whose metadata
        # requests make Tansu auto-create the topics with another partition count.
        admin = AIOKafkaAdminClient(bootstrap_servers=stack.kafka_bootstrap)
        await admin.start()
        try:
            await admin.delete_topics(stack_topics())
            await admin.create_topics(
                [NewTopic(name, AUTO_CREATED_PARTITIONS, 1) for name in stack_topics()]
            )
        finally:
            await admin.close()
        env = {
            "KAFKA_BOOTSTRAP_SERVERS": stack.kafka_bootstrap,
            **{
                f"HOMEWARD_{service.upper()}_DATABASE_URL": (
                    f"sqlite+aiosqlite:///{stack.data_dir / 'data' / f'{service}.db'}"
                )
                for service in SERVICES
            },
            **service_databases,
        }
        await load.run(FAMILIES_DURING)
        for service in SERVICES:
            republish = ["outbox", "republish", service, "--wait", "60"]
            assert await asyncio.to_thread(operator, env, republish) == 0
        await load.run(FAMILIES_AFTER)
        await everyone_knows_everything_once(load.callers, load.families)


def operator(env: dict[str, str], argv: list[str]) -> int:
    """`homeward ...` as an operator runs it next to the stack."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        return homeward(argv)
