"""What the consumer does with failures: retries, dead letters, unreadable and unknown
messages (in-memory broker, both database backends)."""

from __future__ import annotations

import json
import zlib
from datetime import datetime

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
    header,
    metric,
    probe_contracts,
    record_effect,
)
from sqlalchemy.exc import OperationalError

from homeward.common.events import InMemoryBroker
from homeward.common.testing.kafka import unique_topic


@pytest.fixture
def probes() -> Probes:
    return probe_contracts(unique_topic("consumer"))


@pytest.fixture
async def broker(probes: Probes) -> InMemoryBroker:
    broker = InMemoryBroker()
    await broker.create_topics([probes.topic, DEAD_LETTERS], 1)
    return broker


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


async def test_a_failing_message_holds_up_only_its_own_partition(database, probes) -> None:
    broker = InMemoryBroker()
    await broker.create_topics([probes.topic, DEAD_LETTERS], 2)
    poison_key, other_key = "case-1", "case-4"
    assert zlib.crc32(poison_key.encode()) % 2 != zlib.crc32(other_key.encode()) % 2
    attempts_of_poison: list[int] = []

    async def fragile(session, event, cloud_event) -> None:
        if event.case_id == poison_key:
            attempts_of_poison.append(event.sequence)
            raise ValueError("never works")
        await record_effect(session, event, cloud_event)

    def event(case: str, sequence: int):
        return probe_event(
            probes, sequence=sequence, key=case, data={"case_id": case, "sequence": sequence}
        )

    await publish(broker, probes, event(poison_key, 1), event(poison_key, 2), event(other_key, 1))
    consumer = a_consumer(broker, database, probes, fragile, max_attempts=5,
                          backoff_initial_s=0.05, backoff_max_s=0.2)  # fmt: skip
    await consumer.open()
    try:
        assert await consumer.run_once(timeout_ms=50) == 1  # the other partition's event
        assert consumer.retrying
        # Events arriving on the other partition meanwhile are handled at once.
        await publish(broker, probes, event(other_key, 2), event(other_key, 3))
        assert await consumer.run_once(timeout_ms=50) == 2
        assert len(attempts_of_poison) < 5  # the poison is still being retried
        await run_until_idle(consumer)
    finally:
        await consumer.close()

    handled = [(e.case_id, e.sequence) for e in await effects(database)]
    assert handled == [(other_key, 1), (other_key, 2), (other_key, 3)]
    # Its partition waited: the poison went to the dead letters, then the event behind it.
    assert [header(m, "ce_id") for m in broker.messages(DEAD_LETTERS)] == [
        broker.messages(probes.topic)[n].header("ce_id").decode()
        for n in range(len(broker.messages(probes.topic)))
        if json.loads(broker.messages(probes.topic)[n].value)["case_id"] == poison_key
    ]
    assert attempts_of_poison.count(1) == 5 and attempts_of_poison.count(2) == 5
