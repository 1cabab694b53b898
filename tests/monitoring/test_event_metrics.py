"""The event metrics move on the real relay and consumer paths (in-memory broker, both
database backends): outbox backlog and age, relay failures, consumer lag (also while a
message is retried and when idle, and gone with the consumer), failures and dead letters."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from prometheus_client import REGISTRY
from sqlmodel import SQLModel

from homeward.common.db import Database
from homeward.common.events import (
    BrokerError,
    CloudEvent,
    ContractRegistry,
    Delivered,
    EventConsumer,
    EventContract,
    InMemoryBroker,
    OutboxRelay,
    OutgoingRecord,
    add_event,
    dead_letter_topic,
    event_contract,
    event_tables,
)
from homeward.common.testing.kafka import unique_topic, wait_for

SERVICE = "monitoring-probe"
DEAD_LETTERS = dead_letter_topic(SERVICE)


def sample(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


def value(name: str, **labels: str) -> float:
    return sample(name, **labels) or 0.0


class Probe:
    """A contract of its own on a topic of its own."""

    def __init__(self) -> None:
        self.topic = unique_topic("monitoring")
        self.registry = ContractRegistry()

        @event_contract("homeward.probe.recorded.v1", topic=self.topic, registry=self.registry)
        class Recorded(EventContract):
            case_id: str
            sequence: int

        self.contract = Recorded

    def event(self, sequence: int) -> CloudEvent:
        return CloudEvent(
            id=str(uuid.uuid4()),
            type=self.contract.event_type,
            source="/homeward/tests",
            time=datetime.now(UTC),
            key="case-1",
            data={"case_id": "case-1", "sequence": sequence},
        )


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    async with database.engine.begin() as connection:
        await connection.run_sync(lambda c: SQLModel.metadata.create_all(c, tables=event_tables()))
    yield database
    await database.dispose()


@pytest.fixture
async def broker() -> InMemoryBroker:
    return InMemoryBroker()


async def publish(broker: InMemoryBroker, probe: Probe, *sequences: int) -> None:
    producer = broker.producer("tests")
    await producer.start()
    for sequence in sequences:
        record = probe.event(sequence).to_kafka()
        await producer.send(probe.topic, key=record.key, value=record.value, headers=record.headers)


class BrokenProducer:
    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def send(self, *args: object, **kwargs: object) -> None:
        raise BrokerError("broker unreachable")

    async def send_batch(self, records: list[OutgoingRecord]) -> list[Delivered]:
        raise BrokerError("broker unreachable")


async def test_outbox_backlog_and_the_age_of_its_oldest_row(
    database: Database, broker: InMemoryBroker
) -> None:
    probe, service = Probe(), f"{SERVICE}-outbox"
    async with database.transaction() as session:
        for sequence in (1, 2):
            add_event(session, probe.contract(case_id="case-1", sequence=sequence), key="case-1")
    stuck = OutboxRelay(database, BrokenProducer(), "/homeward/x", service=service,
                        backlog_interval_s=0)  # fmt: skip
    with pytest.raises(BrokerError):
        await stuck.publish_pending()
    assert value("homeward_outbox_backlog", service=service) == 2
    first_age = value("homeward_outbox_oldest_pending_age_seconds", service=service)
    await asyncio.sleep(0.2)
    with pytest.raises(BrokerError):
        await stuck.publish_pending()
    assert value("homeward_outbox_oldest_pending_age_seconds", service=service) > first_age + 0.1

    producer = broker.producer("relay")
    await producer.start()
    relay = OutboxRelay(database, producer, "/homeward/x", service=service, backlog_interval_s=0)
    assert await relay.publish_pending() == 2
    assert value("homeward_outbox_backlog", service=service) == 0
    assert value("homeward_outbox_oldest_pending_age_seconds", service=service) == 0
    assert value("homeward_events_published_total", service=service, topic=probe.topic) == 2


async def test_relay_failures_are_counted_from_zero(database: Database) -> None:
    probe, service = Probe(), f"{SERVICE}-relay-{uuid.uuid4().hex[:6]}"
    relay = OutboxRelay(database, BrokenProducer(), "/homeward/x", service=service,
                        poll_interval_s=0.01, backoff_max_s=0.02)  # fmt: skip
    assert sample("homeward_outbox_relay_failures_total", service=service) == 0
    async with database.transaction() as session:
        add_event(session, probe.contract(case_id="case-1", sequence=1), key="case-1")
    await relay.start()
    try:

        async def failed_twice() -> bool:
            return value("homeward_outbox_relay_failures_total", service=service) >= 2

        await wait_for(failed_twice)
    finally:
        await relay.stop()


def a_consumer(broker, database, probe: Probe, handler, **options) -> EventConsumer:
    settings = {"max_attempts": 2, "backoff_initial_s": 0.001, "backoff_max_s": 0.01,
                "lag_interval_s": 0}  # fmt: skip
    return EventConsumer(
        broker,
        database,
        group_id=f"monitoring-{uuid.uuid4().hex[:6]}",
        topics=[probe.topic],
        handlers={probe.contract: handler},
        dead_letter_topic=DEAD_LETTERS,
        service=SERVICE,
        registry=probe.registry,
        **(settings | options),
    )


async def nothing(session, event, cloud_event) -> None:
    return None


async def broken(session, event, cloud_event) -> None:
    raise RuntimeError("the handler has a bug")


async def test_lag_is_reported_when_idle_and_gone_with_the_consumer(
    database: Database, broker: InMemoryBroker
) -> None:
    probe = Probe()
    await broker.create_topics([probe.topic, DEAD_LETTERS], 1)
    consumer = a_consumer(broker, database, probe, nothing)
    lag = {"service": SERVICE, "group": consumer.group_id, "topic": probe.topic, "partition": "0"}
    await consumer.open()
    assert await consumer.run_once(timeout_ms=10) == 0  # idle: nothing committed, lag measured
    assert sample("homeward_consumer_lag", **lag) == 0
    await publish(broker, probe, 1, 2, 3)
    assert await consumer.run_once(timeout_ms=50) == 3
    assert sample("homeward_consumer_lag", **lag) == 0
    await consumer.close()
    assert sample("homeward_consumer_lag", **lag) is None  # no stale series left behind


async def test_lag_grows_while_a_message_is_retried_and_failures_are_counted(
    database: Database, broker: InMemoryBroker
) -> None:
    probe = Probe()
    await broker.create_topics([probe.topic, DEAD_LETTERS], 1)

    consumer = a_consumer(broker, database, probe, broken, max_attempts=10_000)
    group, topic = consumer.group_id, probe.topic
    lag = {"service": SERVICE, "group": group, "topic": topic, "partition": "0"}
    failures = {"service": SERVICE, "group": group, "topic": topic, "cause": "handler"}
    await publish(broker, probe, 1)
    await consumer.start()
    try:

        async def retried() -> bool:
            return value("homeward_event_handling_failures_total", **failures) >= 3

        await wait_for(retried)
        assert sample("homeward_consumer_lag", **lag) == 1  # reported though nothing commits
        await publish(broker, probe, 2, 3)

        async def grown() -> bool:
            return sample("homeward_consumer_lag", **lag) == 3

        await wait_for(grown)
    finally:
        await consumer.stop(timeout_s=5)
    assert value("homeward_event_handling_failures_total", **failures | {"cause": "database"}) == 0


async def test_dead_letters_count_from_zero_so_the_first_one_alerts(
    database: Database, broker: InMemoryBroker
) -> None:
    probe = Probe()
    await broker.create_topics([probe.topic, DEAD_LETTERS], 1)

    consumer = a_consumer(broker, database, probe, broken)
    dead = {"service": SERVICE, "topic": probe.topic}
    await consumer.open()
    # At 0 before any message: `increase()` over a series born at 1 would show nothing.
    assert sample("homeward_dead_letters_total", **dead) == 0
    failures = {"service": SERVICE, "group": consumer.group_id, "topic": probe.topic}
    assert sample("homeward_event_handling_failures_total", **failures, cause="handler") == 0
    await publish(broker, probe, 1, 2)
    while await consumer.run_once(timeout_ms=50) or consumer.retrying:
        pass
    await consumer.close()
    assert sample("homeward_dead_letters_total", **dead) == 2
    # Each message: its first attempt (in the batch, or alone), then the last: max_attempts.
    assert sample("homeward_event_handling_failures_total", **failures, cause="handler") == 4
    consumed = {**failures, "outcome": "dead_lettered"}
    assert sample("homeward_events_consumed_total", **consumed) == 2
