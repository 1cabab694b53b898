"""Shared pieces of the events tests: a probe contract per test, an effect table, waiting."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

from prometheus_client import REGISTRY
from sqlalchemy import Column, Integer, String, func
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from homeward.common.db import Database
from homeward.common.events import (
    Broker,
    CloudEvent,
    Consumer,
    ContractRegistry,
    EventContract,
    Message,
    add_event,
    event_contract,
    event_tables,
)
from homeward.common.testing.kafka import wait_for

__all__ = ["wait_for"]


class ProbeEffect(SQLModel, table=True):
    """What a probe handler does: one row per handled event (no unique key, so duplicates show)."""

    __tablename__ = "test_probe_effect"

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    event_id: str = Field(sa_column=Column(String(36), nullable=False))
    case_id: str = Field(sa_column=Column(String(64), nullable=False))
    sequence: int = Field(sa_column=Column(Integer, nullable=False))


@dataclass(frozen=True)
class Probes:
    """Contracts of one test, on its own topic, in a registry of their own."""

    registry: ContractRegistry
    topic: str
    recorded: type[EventContract]
    followed_up: type[EventContract]

    @property
    def recorded_type(self) -> str:
        return self.recorded.event_type


def probe_contracts(topic: str) -> Probes:
    registry = ContractRegistry()

    @event_contract("homeward.probe.recorded.v1", topic=topic, registry=registry)
    class ProbeRecorded(EventContract):
        case_id: str
        sequence: int

    @event_contract("homeward.probe.followed_up.v1", topic=topic, registry=registry)
    class ProbeFollowedUp(EventContract):
        case_id: str
        sequence: int

    return Probes(registry, topic, ProbeRecorded, ProbeFollowedUp)


async def record_effect(
    session: AsyncSession, event: EventContract, cloud_event: CloudEvent
) -> None:
    session.add(
        ProbeEffect(event_id=cloud_event.id, case_id=event.case_id, sequence=event.sequence)  # type: ignore[attr-defined]
    )


@asynccontextmanager
async def prepared_database(url: str) -> AsyncIterator[Database]:
    database = Database(url)
    tables = [*event_tables(), ProbeEffect.__table__]
    async with database.engine.begin() as connection:
        await connection.run_sync(lambda sync: SQLModel.metadata.create_all(sync, tables=tables))
    try:
        yield database
    finally:
        await database.dispose()


async def stage(
    database: Database, probes: Probes, *, case_id: str, sequences: Sequence[int]
) -> list[str]:
    """Commit one transaction staging a probe event per sequence number."""
    async with database.transaction() as session:
        return [
            add_event(session, probes.recorded(case_id=case_id, sequence=n), key=case_id)
            for n in sequences
        ]


async def effects(database: Database) -> list[ProbeEffect]:
    async with database.sessions() as session:
        return list(await session.exec(select(ProbeEffect).order_by(col(ProbeEffect.id))))


async def count_effects(database: Database) -> int:
    async with database.sessions() as session:
        return (await session.exec(select(func.count()).select_from(ProbeEffect))).one()


async def read_topic(broker: Broker, topic: str, *, timeout_s: float = 10.0) -> list[Message]:
    """Everything on a topic, read without a group until the end."""
    reader = broker.consumer([topic], None, f"reader-{uuid.uuid4().hex[:6]}")
    await reader.start()
    found: list[Message] = []
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            batch = await reader.getmany(timeout_ms=200, max_records=500)
            found.extend(batch)
            lag = await reader.lag()
            # Both: Tansu can under-report end offsets (see kafka.py), so lag alone may say
            # "done" early; an empty poll alone may just mean the reader is still joining.
            if not batch and lag and not any(lag.values()):
                break
            await asyncio.sleep(0)
        else:
            raise AssertionError(f"could not read {topic} to its end in {timeout_s}s")
    finally:
        await reader.stop()
    return found


async def consume(consumer: Consumer, count: int, *, timeout_s: float = 15.0) -> list[Message]:
    """Poll a broker-port consumer until `count` messages arrived."""
    found: list[Message] = []

    async def enough() -> bool:
        found.extend(await consumer.getmany(timeout_ms=200, max_records=500))
        return len(found) >= count

    await wait_for(enough, timeout_s=timeout_s, interval_s=0)
    return found


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def header(message: Message, name: str) -> str | None:
    value = message.header(name)
    return None if value is None else value.decode()
