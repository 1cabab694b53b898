"""Driving an `EventConsumer` over the in-memory broker, for the consumer unit tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from event_helpers import Probes, metric, record_effect

from homeward.common.events import CloudEvent, EventConsumer, InMemoryBroker, dead_letter_topic

DEAD_LETTERS = dead_letter_topic("probes")


def a_consumer(broker, database, probes: Probes, handler=record_effect, **options) -> EventConsumer:
    settings = {
        "max_attempts": 3,
        "backoff_initial_s": 0.001,
        "backoff_max_s": 0.01,
        "group_id": f"probes-{uuid.uuid4().hex[:6]}",
    }
    return EventConsumer(
        broker,
        database,
        topics=[probes.topic],
        handlers={probes.recorded: handler},
        dead_letter_topic=DEAD_LETTERS,
        service="probes",
        registry=probes.registry,
        **(settings | options),
    )


async def publish(broker: InMemoryBroker, probes: Probes, *events: CloudEvent) -> None:
    producer = broker.producer("test")
    await producer.start()
    for event in events:
        record = event.to_kafka()
        await producer.send(
            probes.topic, key=record.key, value=record.value, headers=record.headers
        )


def probe_event(
    probes: Probes, *, sequence: int, type_: str | None = None, **changes
) -> CloudEvent:
    fields = {
        "id": str(uuid.uuid4()),
        "type": type_ or probes.recorded_type,
        "source": "/homeward/tests",
        "time": datetime.now(UTC),
        "key": "case-1",
        "data": {"case_id": "case-1", "sequence": sequence},
    }
    return CloudEvent(**(fields | changes))


async def run_until_idle(consumer: EventConsumer) -> int:
    handled = 0
    while (count := await consumer.run_once(timeout_ms=50)) or consumer.retrying:
        handled += count
    return handled


async def left_for_the_next_member(
    broker: InMemoryBroker, probes: Probes, consumer: EventConsumer
) -> list[int]:
    """Offsets a new member of the consumer's group would be given."""
    successor = broker.consumer([probes.topic], consumer.group_id, "successor")
    await successor.start()
    try:
        return [m.offset for m in await successor.getmany(timeout_ms=50, max_records=100)]
    finally:
        await successor.stop()


def consumed(consumer: EventConsumer, probes: Probes, outcome: str) -> float:
    return metric(
        "homeward_events_consumed_total",
        service="probes",
        group=consumer.group_id,
        topic=probes.topic,
        outcome=outcome,
    )
