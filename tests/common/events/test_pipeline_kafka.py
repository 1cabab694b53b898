"""End to end on the real broker (Tansu) and both databases: outbox -> relay -> Kafka ->
consumer -> effect, and what happens when parts of that chain stop or fail."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator

import pytest
from event_helpers import (
    Probes,
    count_effects,
    effects,
    header,
    probe_contracts,
    read_topic,
    record_effect,
    stage,
    wait_for,
)
from sqlalchemy import func
from sqlmodel import col, select

from homeward.common.db import Database
from homeward.common.events import (
    EventConsumer,
    Handler,
    KafkaBroker,
    OutboxRecord,
    OutboxRelay,
    Producer,
    read_dead_letters,
    replay_dead_letter,
)
from homeward.common.testing.kafka import (
    TEST_HEARTBEAT_INTERVAL_MS,
    TEST_SESSION_TIMEOUT_MS,
    unique_topic,
)
from homeward.common.tracing import TraceContext, current_trace

pytestmark = pytest.mark.kafka
SOURCE = "/homeward/probes"


@pytest.fixture
def kafka(kafka_bootstrap: str) -> KafkaBroker:
    return KafkaBroker(
        bootstrap_servers=kafka_bootstrap,
        session_timeout_ms=TEST_SESSION_TIMEOUT_MS,
        heartbeat_interval_ms=TEST_HEARTBEAT_INTERVAL_MS,
    )


@pytest.fixture
async def probes(kafka: KafkaBroker) -> Probes:
    probes = probe_contracts(unique_topic("pipeline"))
    await kafka.create_topics([probes.topic, dead_letters_of(probes)], 3)
    return probes


@pytest.fixture
async def producer(kafka: KafkaBroker) -> AsyncIterator[Producer]:
    producer = kafka.producer("relay")
    await producer.start()
    yield producer
    await producer.stop()


def dead_letters_of(probes: Probes) -> str:
    return f"{probes.topic}.deadletter"


def a_consumer(
    kafka: KafkaBroker, database: Database, probes: Probes, handler: Handler, *, group_id: str
) -> EventConsumer:
    return EventConsumer(
        kafka,
        database,
        group_id=group_id,
        topics=[probes.topic],
        handlers={probes.recorded: handler},
        dead_letter_topic=dead_letters_of(probes),
        service="probes",
        max_attempts=3,
        backoff_initial_s=0.01,
        backoff_max_s=0.05,
        registry=probes.registry,
        poll_timeout_ms=100,
    )


async def pending(database: Database) -> int:
    async with database.sessions() as session:
        query = select(func.count()).where(col(OutboxRecord.published_at).is_(None))
        return (await session.exec(query)).one()


def effect_count_is(database: Database, expected: int):
    async def condition() -> bool:
        return await count_effects(database) == expected

    return condition


async def test_events_flow_from_the_outbox_to_the_consumers_effect(
    kafka, database, probes, producer
) -> None:
    traces: dict[str, str] = {}

    async def handler(session, event, cloud_event) -> None:
        traces[cloud_event.id] = current_trace.get().trace_id
        await record_effect(session, event, cloud_event)

    relay = OutboxRelay(database, producer, SOURCE, poll_interval_s=0.5)
    consumer = a_consumer(kafka, database, probes, handler, group_id=f"flow-{uuid.uuid4().hex[:6]}")
    await relay.start()
    await consumer.start()
    cause = TraceContext.new()
    token = current_trace.set(cause)
    try:
        for sequence in range(5):
            for case in ("case-a", "case-b", "case-c", "case-d"):
                await stage(database, probes, case_id=case, sequences=[sequence])
        current_trace.reset(token)
        await wait_for(effect_count_is(database, 20), timeout_s=20)
    finally:
        await consumer.stop()
        await relay.stop()

    done = await effects(database)
    for case in ("case-a", "case-b", "case-c", "case-d"):
        assert [e.sequence for e in done if e.case_id == case] == [0, 1, 2, 3, 4], case
    assert len({e.event_id for e in done}) == 20
    assert set(traces.values()) == {cause.trace_id}
    assert await pending(database) == 0


async def test_a_consumer_killed_mid_batch_and_restarted_has_no_duplicate_effect(
    kafka, database, probes, producer
) -> None:
    await stage(database, probes, case_id="case-a", sequences=range(10))
    assert await OutboxRelay(database, producer, SOURCE).publish_pending() == 10
    group_id = f"killed-{uuid.uuid4().hex[:6]}"
    stuck = asyncio.Event()
    block = True
    tries_of_six = 0

    async def handler(session, event, cloud_event) -> None:
        nonlocal tries_of_six
        if block and event.sequence == 6:
            tries_of_six += 1
            if tries_of_six == 1:
                # The batch transaction rolls back; one by one, 0-5 are applied and
                # committed, 6 is held and hangs at its retry.
                raise RuntimeError("a passing fault")
            stuck.set()
            await asyncio.Event().wait()  # hangs until the task is cancelled
        await record_effect(session, event, cloud_event)

    first = a_consumer(kafka, database, probes, handler, group_id=group_id)
    await first.open()

    async def run_forever() -> None:
        while True:
            await first.run_once()

    running = asyncio.create_task(run_forever())
    await asyncio.wait_for(stuck.wait(), 20)
    running.cancel()  # killed: no commit for the batch in hand
    with pytest.raises(asyncio.CancelledError):
        await running
    await first.close()
    handled_before_the_kill = await count_effects(database)
    assert handled_before_the_kill == 6

    block = False
    second = a_consumer(kafka, database, probes, handler, group_id=group_id)
    await second.start()
    try:
        await wait_for(effect_count_is(database, 10), timeout_s=20)
    finally:
        await second.stop()

    done = await effects(database)
    assert sorted(e.sequence for e in done) == list(range(10))
    assert len({e.event_id for e in done}) == 10


async def test_a_poison_message_is_dead_lettered_and_the_partition_moves_on(
    kafka, database, probes, producer
) -> None:
    attempts: Counter[int] = Counter()
    healed = False

    async def handler(session, event, cloud_event) -> None:
        attempts[event.sequence] += 1
        if event.sequence == 2 and not healed:
            raise ValueError("sequence 2 is poison")
        await record_effect(session, event, cloud_event)

    poison_id = (await stage(database, probes, case_id="case-a", sequences=[1, 2, 3]))[1]
    await stage(database, probes, case_id="case-a", sequences=[4])
    assert await OutboxRelay(database, producer, SOURCE).publish_pending() == 4
    group_id = f"poison-{uuid.uuid4().hex[:6]}"
    consumer = a_consumer(kafka, database, probes, handler, group_id=group_id)
    await consumer.start()
    try:
        await wait_for(effect_count_is(database, 3), timeout_s=20)
        assert [e.sequence for e in await effects(database)] == [1, 3, 4]
        assert attempts[2] == 3

        [letter] = await read_dead_letters(kafka, dead_letters_of(probes), limit=10)
        assert letter.event_id == poison_id
        assert letter.error == "ValueError: sequence 2 is poison"
        assert letter.attempts == 3
        assert letter.original_topic == probes.topic
        assert letter.consumer_group == group_id
        originals = [
            m for m in await read_topic(kafka, probes.topic) if header(m, "ce_id") == poison_id
        ]
        assert [(m.partition, m.offset, m.value) for m in originals] == [
            (letter.original_partition, letter.original_offset, letter.value)
        ]

        healed = True
        await replay_dead_letter(kafka, letter)
        await wait_for(effect_count_is(database, 4), timeout_s=20)
    finally:
        await consumer.stop()
    assert sorted(e.sequence for e in await effects(database)) == [1, 2, 3, 4]


async def test_events_committed_while_the_relay_is_down_are_published_once_it_restarts(
    kafka, database, probes
) -> None:
    async def run_relay() -> OutboxRelay:
        producer = kafka.producer("relay")
        await producer.start()
        relay = OutboxRelay(database, producer, SOURCE, poll_interval_s=0.2)
        await relay.start()
        return relay

    async def shut(relay: OutboxRelay) -> None:
        await relay.stop()
        await relay.producer.stop()

    async def nothing_pending() -> bool:
        return await pending(database) == 0

    relay = await run_relay()
    staged = await stage(database, probes, case_id="case-a", sequences=[1, 2, 3])
    await wait_for(nothing_pending, timeout_s=10)
    await shut(relay)

    staged += await stage(database, probes, case_id="case-a", sequences=[4, 5])
    staged += await stage(database, probes, case_id="case-b", sequences=[1, 2])
    assert await pending(database) == 4  # committed, waiting for a relay
    assert len(await read_topic(kafka, probes.topic)) == 3

    relay = await run_relay()
    await wait_for(nothing_pending, timeout_s=10)
    await shut(relay)
    relay = await run_relay()  # one more restart publishes nothing twice
    await shut(relay)

    ids = [header(message, "ce_id") for message in await read_topic(kafka, probes.topic)]
    assert sorted(ids) == sorted(staged)  # none lost, none twice
