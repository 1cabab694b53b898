"""The consumer runner against the in-memory broker, on both database backends."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from event_helpers import (
    Probes,
    count_effects,
    effects,
    header,
    metric,
    prepared_database,
    probe_contracts,
    record_effect,
    wait_for,
)
from sqlalchemy.exc import OperationalError
from sqlmodel import select

from homeward.common.db import Database
from homeward.common.events import (
    CloudEvent,
    EventConsumer,
    InMemoryBroker,
    OutboxRecord,
    ProcessedEvent,
    add_event,
    dead_letter_topic,
)
from homeward.common.testing.kafka import unique_topic
from homeward.common.tracing import TraceContext, current_trace

DEAD_LETTERS = dead_letter_topic("probes")


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    async with prepared_database(database_url) as database:
        yield database


@pytest.fixture
def probes() -> Probes:
    return probe_contracts(unique_topic("consumer"))


@pytest.fixture
async def broker(probes: Probes) -> InMemoryBroker:
    broker = InMemoryBroker()
    await broker.create_topics([probes.topic, DEAD_LETTERS], 1)
    return broker


def a_consumer(broker, database, probes: Probes, handler=record_effect, **options) -> EventConsumer:
    settings = {"max_attempts": 3, "backoff_initial_s": 0.001, "backoff_max_s": 0.01}
    return EventConsumer(
        broker,
        database,
        group_id=f"probes-{uuid.uuid4().hex[:6]}",
        topics=[probes.topic],
        handlers={probes.recorded_type: handler},
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
        await producer.send(probes.topic, key=record.key, value=record.value, headers=record.headers)


def probe_event(probes: Probes, *, sequence: int, type_: str | None = None, **changes) -> CloudEvent:
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
    while count := await consumer.run_once(timeout_ms=50):
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


async def test_a_duplicate_delivery_has_one_effect(database, probes, broker) -> None:
    event = probe_event(probes, sequence=1)
    await publish(broker, probes, event, event, probe_event(probes, sequence=2))
    consumer = a_consumer(broker, database, probes)
    await consumer.open()
    try:
        assert await run_until_idle(consumer) == 3
    finally:
        await consumer.close()

    done = await effects(database)
    assert [effect.sequence for effect in done] == [1, 2]
    assert done[0].event_id == event.id
    assert consumed(consumer, probes, "handled") == 2
    assert consumed(consumer, probes, "duplicate") == 1
    async with database.sessions() as session:
        inbox = list(await session.exec(select(ProcessedEvent)))
    assert sorted(row.event_id for row in inbox) == sorted(effect.event_id for effect in done)
    assert {row.consumer_group for row in inbox} == {consumer.group_id}


async def test_offsets_are_committed_after_the_batch(database, probes, broker) -> None:
    await publish(broker, probes, *(probe_event(probes, sequence=n) for n in range(3)))
    consumer = a_consumer(broker, database, probes)
    await consumer.open()
    try:
        assert await consumer.run_once(timeout_ms=100) == 3
    finally:
        await consumer.close()

    # The next member of the group starts after the committed offsets: nothing to do.
    assert await left_for_the_next_member(broker, probes, consumer) == []


async def test_a_failing_handler_is_retried_then_dead_lettered_and_the_partition_moves_on(
    database, probes, broker
) -> None:
    calls: list[int] = []

    async def fragile(session, event, cloud_event) -> None:
        calls.append(event.sequence)
        if event.sequence == 1:
            raise ValueError("cannot handle sequence 1")
        await record_effect(session, event, cloud_event)

    poison = probe_event(probes, sequence=1)
    await publish(broker, probes, poison, probe_event(probes, sequence=2))
    consumer = a_consumer(broker, database, probes, fragile)
    await consumer.open()
    try:
        assert await run_until_idle(consumer) == 2
    finally:
        await consumer.close()

    assert calls == [1, 1, 1, 2]
    assert [effect.sequence for effect in await effects(database)] == [2]
    [letter] = broker.messages(DEAD_LETTERS)
    original = broker.messages(probes.topic)[0]
    assert (letter.key, letter.value) == (original.key, original.value)
    assert header(letter, "ce_id") == poison.id
    assert header(letter, "dlq_error") == "ValueError: cannot handle sequence 1"
    assert header(letter, "dlq_original_topic") == probes.topic
    assert header(letter, "dlq_original_partition") == "0"
    assert header(letter, "dlq_original_offset") == "0"
    assert header(letter, "dlq_attempts") == "3"
    assert header(letter, "dlq_consumer_group") == consumer.group_id
    assert datetime.fromisoformat(header(letter, "dlq_failed_at")).tzinfo is not None
    assert consumed(consumer, probes, "dead_lettered") == 1
    assert metric("homeward_dead_letters_total", service="probes", topic=probes.topic) >= 1


async def test_a_handler_that_recovers_within_the_attempts_has_one_effect(
    database, probes, broker
) -> None:
    failures = iter([RuntimeError("flaky"), RuntimeError("flaky")])

    async def flaky(session, event, cloud_event) -> None:
        await record_effect(session, event, cloud_event)
        if error := next(failures, None):
            raise error  # after writing: the rollback must undo the effect

    await publish(broker, probes, probe_event(probes, sequence=1))
    consumer = a_consumer(broker, database, probes, flaky)
    await consumer.open()
    try:
        await run_until_idle(consumer)
    finally:
        await consumer.close()
    assert await count_effects(database) == 1
    assert broker.messages(DEAD_LETTERS) == []


async def test_database_outages_are_waited_out_not_dead_lettered(database, probes, broker) -> None:
    outages = iter([OperationalError("INSERT", {}, ConnectionRefusedError())] * 3)

    async def during_an_outage(session, event, cloud_event) -> None:
        if error := next(outages, None):
            raise error
        await record_effect(session, event, cloud_event)

    await publish(broker, probes, probe_event(probes, sequence=1))
    consumer = a_consumer(broker, database, probes, during_an_outage, max_attempts=1)
    await consumer.open()
    try:
        await run_until_idle(consumer)
    finally:
        await consumer.close()
    assert await count_effects(database) == 1
    assert broker.messages(DEAD_LETTERS) == []


@pytest.mark.parametrize(
    ("spoil", "error"),
    [
        ("no headers", "MalformedEvent: missing CloudEvents headers"),
        ("not json", "MalformedEvent: unreadable event"),
        ("wrong data", "ValidationError: sequence: Input should be a valid integer"),
    ],
)
async def test_unreadable_messages_are_dead_lettered_at_once(
    database, probes, broker, spoil: str, error: str
) -> None:
    record = probe_event(probes, sequence=1).to_kafka()
    headers, value = record.headers, record.value
    if spoil == "no headers":
        headers = []
    elif spoil == "not json":
        value = b"{Amina Example"
    else:
        value = b'{"case_id": "case-1", "sequence": "Amina Example"}'
    producer = broker.producer("test")
    await producer.start()
    await producer.send(probes.topic, key=record.key, value=value, headers=headers)

    calls: list[object] = []

    async def never(session, event, cloud_event) -> None:
        calls.append(event)

    consumer = a_consumer(broker, database, probes, never)
    await consumer.open()
    try:
        assert await run_until_idle(consumer) == 1
    finally:
        await consumer.close()

    assert calls == []
    [letter] = broker.messages(DEAD_LETTERS)
    assert header(letter, "dlq_attempts") == "1"
    assert header(letter, "dlq_error").startswith(error)
    assert "Amina" not in header(letter, "dlq_error")  # the payload never leaks into headers
    assert letter.value == value


async def test_unknown_event_types_are_ignored_and_committed(database, probes, broker) -> None:
    await publish(
        broker,
        probes,
        probe_event(probes, sequence=1, type_="homeward.probe.invented.v9"),
        probe_event(probes, sequence=2, type_=probes.followed_up.event_type),  # no handler
        probe_event(probes, sequence=3),
    )
    consumer = a_consumer(broker, database, probes)
    await consumer.open()
    try:
        assert await run_until_idle(consumer) == 3
    finally:
        await consumer.close()
    assert await left_for_the_next_member(broker, probes, consumer) == []
    assert [effect.sequence for effect in await effects(database)] == [3]
    assert consumed(consumer, probes, "ignored") == 2
    assert broker.messages(DEAD_LETTERS) == []


async def test_handler_events_are_staged_in_the_same_transaction(database, probes, broker) -> None:
    async def follow_up(session, event, cloud_event) -> None:
        add_event(
            session,
            probes.followed_up(case_id=event.case_id, sequence=event.sequence),
            key=cloud_event.key,
        )
        if event.sequence == 2:
            raise ValueError("the effect failed: its event must not be staged")

    await publish(broker, probes, probe_event(probes, sequence=1), probe_event(probes, sequence=2))
    consumer = a_consumer(broker, database, probes, follow_up, max_attempts=1)
    await consumer.open()
    try:
        await run_until_idle(consumer)
    finally:
        await consumer.close()

    async with database.sessions() as session:
        staged = list(await session.exec(select(OutboxRecord)))
    assert [(row.type, row.data["sequence"]) for row in staged] == [
        (probes.followed_up.event_type, 1)
    ]


async def test_the_handler_runs_in_the_events_trace(database, probes, broker) -> None:
    cause = TraceContext.new()
    seen: list[TraceContext | None] = []

    async def traced(session, event, cloud_event) -> None:
        seen.append(current_trace.get())

    await publish(broker, probes, probe_event(probes, sequence=1, traceparent=cause.traceparent))
    consumer = a_consumer(broker, database, probes, traced)
    await consumer.open()
    try:
        await run_until_idle(consumer)
    finally:
        await consumer.close()
    [trace] = seen
    assert trace is not None
    assert trace.trace_id == cause.trace_id and trace.span_id != cause.span_id
    assert current_trace.get() is None


async def test_stop_finishes_the_message_in_hand_and_commits_it(database, probes, broker) -> None:
    entered = asyncio.Event()
    release = asyncio.Event()

    async def slow(session, event, cloud_event) -> None:
        entered.set()
        await release.wait()
        await record_effect(session, event, cloud_event)

    await publish(broker, probes, *(probe_event(probes, sequence=n) for n in range(3)))
    consumer = a_consumer(broker, database, probes, slow)
    await consumer.start()
    await entered.wait()
    stopping = asyncio.create_task(consumer.stop())
    await asyncio.sleep(0.05)
    release.set()
    await stopping

    assert [effect.sequence for effect in await effects(database)] == [0]
    assert await left_for_the_next_member(broker, probes, consumer) == [1, 2]


async def test_wiring_mistakes_fail_at_construction(database, probes, broker) -> None:
    with pytest.raises(ValueError, match="unregistered event type"):
        EventConsumer(
            broker, database, group_id="g", topics=[probes.topic],
            handlers={"homeward.probe.invented.v1": record_effect},
            dead_letter_topic=DEAD_LETTERS, service="probes", registry=probes.registry,
        )  # fmt: skip
    with pytest.raises(ValueError, match="does not subscribe"):
        EventConsumer(
            broker, database, group_id="g", topics=["homeward.test.elsewhere"],
            handlers={probes.recorded_type: record_effect},
            dead_letter_topic=DEAD_LETTERS, service="probes", registry=probes.registry,
        )  # fmt: skip


async def test_background_consumer_handles_what_arrives(database, probes, broker) -> None:
    consumer = a_consumer(broker, database, probes)
    await consumer.start()
    try:
        await publish(broker, probes, *(probe_event(probes, sequence=n) for n in range(5)))

        async def all_handled() -> bool:
            return await count_effects(database) == 5

        await wait_for(all_handled, timeout_s=5)
    finally:
        await consumer.stop()
