"""The migration helpers create the event tables (lanes seeded); Tansu fails loudly."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from homeward.common.db import Database
from homeward.common.events import (
    LANES,
    BrokerError,
    KafkaBroker,
    TansuBroker,
    TansuStartError,
    create_event_tables,
    drop_event_tables,
)
from homeward.common.events.tansu import BrokerGate
from homeward.common.testing.kafka import free_port


def _run_migration(connection: Connection, step) -> None:
    step(Operations(MigrationContext.configure(connection)))


async def test_create_and_drop_event_tables_from_a_migration(database_url: str) -> None:
    database = Database(database_url)
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(_run_migration, create_event_tables)
            tables = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
            lanes = (await connection.execute(text("SELECT lane FROM event_outbox_lane"))).all()
            indexes = await connection.run_sync(
                lambda sync: {index["name"] for index in inspect(sync).get_indexes("event_outbox")}
            )
        assert {"event_outbox", "event_outbox_lane", "event_inbox"} <= tables
        assert sorted(lane for (lane,) in lanes) == list(range(LANES))
        assert "ix_event_outbox_pending" in indexes

        async with database.engine.begin() as connection:
            await connection.run_sync(_run_migration, drop_event_tables)
            tables = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
        assert not {"event_outbox", "event_outbox_lane", "event_inbox"} & tables
    finally:
        await database.dispose()


async def test_a_broker_that_dies_at_start_is_reported_with_its_output(tmp_path: Path) -> None:
    binary = tmp_path / "tansu"
    binary.write_text("#!/bin/sh\necho 'error: address already in use' >&2\nexit 3\n")
    binary.chmod(binary.stat().st_mode | stat.S_IEXEC)

    broker = TansuBroker(free_port(), binary=str(binary), startup_timeout_s=5)
    with pytest.raises(TansuStartError) as raised:
        await broker.start()
    assert "exited with code 3" in str(raised.value)
    assert "address already in use" in str(raised.value)
    assert not broker.running


async def test_the_real_broker_starts_and_stops() -> None:
    async with TansuBroker(free_port()) as broker:
        assert broker.running
        assert broker.bootstrap_servers.startswith("127.0.0.1:")
    assert not broker.running


async def test_the_gate_holds_clients_back_until_opened_and_drops_them_when_closed() -> None:
    listener, public = free_port(), free_port()
    gate = BrokerGate("127.0.0.1", public, listener)
    await gate.start()
    client = KafkaBroker(bootstrap_servers=f"127.0.0.1:{public}")
    try:
        async with TansuBroker(listener, advertised_port=public) as broker:
            await broker.create_topics(["gated"], 2)  # on Tansu's own listener: gate closed
            with pytest.raises(BrokerError):
                await client.ping(timeout_s=1)  # held at the closed gate
            gate.open()
            await client.ping(timeout_s=5)
            assert {p for t, p in await client.end_offsets(["gated"])} == {0, 1}
            gate.close()
            with pytest.raises(BrokerError):
                await client.ping(timeout_s=1)
    finally:
        await client.close()
        await gate.stop()
