"""The consumer runner against the in-memory broker, on both database backends: idempotent
handling, offsets, traces, lifecycle."""

from __future__ import annotations

import asyncio

import pytest
from consumer_helpers import (
    DEAD_LETTERS,
    a_consumer,
    consumed,
    left_for_the_next_member,
    probe_event,
    publish,
    run_until_idle,
)
from event_helpers import (
    Probes,
    count_effects,
    effects,
    probe_contracts,
    record_effect,
    wait_for,
)
from sqlmodel import select

from homeward.common.events import (
    EventConsumer,
    EventContract,
    InMemoryBroker,
    OutboxRecord,
    ProcessedEvent,
    add_event,
)
from homeward.common.testing.kafka import unique_topic
from homeward.common.tracing import TraceContext, current_trace


@pytest.fixture
def probes() -> Probes:
    return probe_contracts(unique_topic("consumer"))


@pytest.fixture
async def broker(probes: Probes) -> InMemoryBroker:
    broker = InMemoryBroker()
    await broker.create_topics([probes.topic, DEAD_LETTERS], 1)
    return broker


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
    class ProbeInvented(EventContract):  # never registered: no producer publishes it
        case_id: str

    with pytest.raises(ValueError, match=r"unregistered contract .*ProbeInvented"):
        EventConsumer(
            broker, database, group_id="g", topics=[probes.topic],
            handlers={ProbeInvented: record_effect},
            dead_letter_topic=DEAD_LETTERS, service="probes", registry=probes.registry,
        )  # fmt: skip
    with pytest.raises(ValueError, match="does not subscribe"):
        EventConsumer(
            broker, database, group_id="g", topics=["homeward.test.elsewhere"],
            handlers={probes.recorded: record_effect},
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
