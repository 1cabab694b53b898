"""The broker port's contract: the fake and the real adapter (aiokafka on Tansu) pass
the same tests."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from event_helpers import consume, read_topic

from homeward.common.events import (
    Broker,
    BrokerError,
    CommitFailed,
    Consumer,
    InMemoryBroker,
    KafkaBroker,
    OutgoingRecord,
    TansuBroker,
)
from homeward.common.testing.kafka import (
    TEST_HEARTBEAT_INTERVAL_MS,
    TEST_SESSION_TIMEOUT_MS,
    free_port,
    unique_topic,
)


@pytest.fixture(params=["memory", "kafka"])
def broker(request: pytest.FixtureRequest) -> Broker:
    if request.param == "memory":
        return InMemoryBroker()
    return KafkaBroker(
        bootstrap_servers=request.getfixturevalue("kafka_bootstrap"),
        session_timeout_ms=TEST_SESSION_TIMEOUT_MS,
        heartbeat_interval_ms=TEST_HEARTBEAT_INTERVAL_MS,
    )


@pytest.fixture
async def topic(broker: Broker) -> str:
    name = unique_topic("contract")
    await broker.create_topics([name], 3)
    return name


@pytest.fixture
async def send(broker: Broker) -> AsyncIterator[object]:
    producer = broker.producer("contract-tests")
    await producer.start()
    yield producer
    await producer.stop()


def group() -> str:
    return f"contract-{uuid.uuid4().hex[:8]}"


async def started(broker: Broker, topic: str, group_id: str | None) -> Consumer:
    consumer = broker.consumer([topic], group_id, f"client-{uuid.uuid4().hex[:6]}")
    await consumer.start()
    return consumer


async def send_one_by_one(producer, topic: str, count: int) -> None:
    # One record per produce request: Tansu reports a partition's end offset as the last
    # batch's base offset + 1, so lag is only exact there for single-record batches.
    for n in range(count):
        await producer.send(topic, key=b"case-0", value=str(n).encode(), headers=())


def records(topic: str, count: int, *, keys: int = 1) -> list[OutgoingRecord]:
    return [
        OutgoingRecord(topic=topic, key=f"case-{n % keys}".encode(), value=str(n).encode())
        for n in range(count)
    ]


async def test_each_key_keeps_its_order_and_its_partition(broker: Broker, topic: str, send) -> None:
    await send.send_batch(records(topic, 40, keys=5))

    consumer = await started(broker, topic, group())
    try:
        messages = await consume(consumer, 40)
    finally:
        await consumer.stop()

    by_key: dict[bytes | None, list[int]] = {}
    partitions: dict[bytes | None, set[int]] = {}
    for message in messages:
        by_key.setdefault(message.key, []).append(int(message.value))
        partitions.setdefault(message.key, set()).add(message.partition)
    assert len(messages) == 40
    assert all(values == sorted(values) for values in by_key.values())
    assert sorted(v for values in by_key.values() for v in values) == list(range(40))
    assert all(len(found) == 1 for found in partitions.values())


async def test_headers_and_key_travel_unchanged(broker: Broker, topic: str, send) -> None:
    headers = (("ce_id", b"abc"), ("empty", b""), ("binary", bytes(range(5))), ("ce_id2", b"x"))
    await send.send(topic, key=b"case-1", value=b'{"a":1}', headers=headers)

    consumer = await started(broker, topic, group())
    try:
        [message] = await consume(consumer, 1)
    finally:
        await consumer.stop()

    assert message.topic == topic
    assert message.key == b"case-1"
    assert message.value == b'{"a":1}'
    assert message.headers == headers
    assert message.header("binary") == bytes(range(5))


async def test_a_new_member_resumes_from_the_committed_offset(
    broker: Broker, topic: str, send
) -> None:
    await send_one_by_one(send, topic, 6)
    group_id = group()

    first = await started(broker, topic, group_id)
    try:
        messages = await consume(first, 6)
        partition = messages[0].partition
        await first.commit({(topic, partition): 4})
        assert await first.lag() == {(topic, p): 2 if p == partition else 0 for p in range(3)}
    finally:
        await first.stop()

    second = await started(broker, topic, group_id)
    try:
        resumed = await consume(second, 2)
    finally:
        await second.stop()
    assert [message.offset for message in resumed] == [4, 5]
    assert [message.value for message in resumed] == [b"4", b"5"]


async def test_uncommitted_messages_are_delivered_again(broker: Broker, topic: str, send) -> None:
    await send_one_by_one(send, topic, 3)
    group_id = group()

    first = await started(broker, topic, group_id)
    try:
        assert len(await consume(first, 3)) == 3
    finally:
        await first.stop()  # leaves without committing

    second = await started(broker, topic, group_id)
    try:
        again = await consume(second, 3)
        assert sum((await second.lag()).values()) == 3
        await second.commit({(topic, again[0].partition): 3})
        assert sum((await second.lag()).values()) == 0
    finally:
        await second.stop()
    assert [message.value for message in again] == [b"0", b"1", b"2"]


async def test_every_group_sees_every_message(broker: Broker, topic: str, send) -> None:
    await send.send_batch(records(topic, 10, keys=4))
    seen = []
    for _ in range(2):
        consumer = await started(broker, topic, group())
        try:
            seen.append(sorted(int(message.value) for message in await consume(consumer, 10)))
        finally:
            await consumer.stop()
    assert seen == [list(range(10)), list(range(10))]


async def test_a_reader_without_group_reads_everything_and_cannot_commit(
    broker: Broker, topic: str, send
) -> None:
    await send.send_batch(records(topic, 5, keys=3))
    messages = await read_topic(broker, topic)
    assert sorted(int(message.value) for message in messages) == list(range(5))

    reader = await started(broker, topic, None)
    try:
        await consume(reader, 5)
        with pytest.raises(CommitFailed):
            await reader.commit({(topic, 0): 1})
    finally:
        await reader.stop()


async def test_creating_topics_again_keeps_them_as_they_are(broker: Broker, send) -> None:
    name = unique_topic("create")
    await broker.create_topics([name], 2)
    await send.send(name, key=b"case-1", value=b"kept", headers=())

    await broker.create_topics([name, unique_topic("another")], 2)

    messages = await read_topic(broker, name)
    assert [message.value for message in messages] == [b"kept"]


async def test_ping_answers_when_the_broker_is_up(broker: Broker) -> None:
    await broker.ping()


async def test_ping_fails_with_a_broker_error_when_kafka_is_unreachable() -> None:
    unreachable = KafkaBroker(bootstrap_servers=f"127.0.0.1:{free_port()}")
    with pytest.raises(BrokerError, match="does not answer"):
        await unreachable.ping(timeout_s=1)


async def test_readiness_follows_the_broker_down_and_back_up() -> None:
    # ping keeps one connection for the probes: it must notice a broker gone, then come back.
    port = free_port()
    watcher = KafkaBroker(bootstrap_servers=f"127.0.0.1:{port}")
    try:
        async with TansuBroker(port=port):
            await watcher.ping(timeout_s=5)
            await watcher.ping(timeout_s=5)
        with pytest.raises(BrokerError, match="does not answer"):
            await watcher.ping(timeout_s=1)
        async with TansuBroker(port=port):
            await watcher.ping(timeout_s=5)
    finally:
        await watcher.close()


async def test_a_batch_says_where_each_record_went(broker: Broker, topic: str, send) -> None:
    first = await send.send_batch(records(topic, 6, keys=2))
    second = await send.send_batch(records(topic, 2, keys=2))

    assert [record.topic for record in first] == [topic] * 6
    by_key: dict[int, set[int]] = {}
    for n, record in enumerate(first):
        by_key.setdefault(n % 2, set()).add(record.partition)
    assert all(len(found) == 1 for found in by_key.values())  # a key keeps its partition
    for n, record in enumerate(second):
        earlier = [d.offset for m, d in enumerate(first) if m % 2 == n % 2]
        assert record.offset > max(earlier)  # a log only grows


async def test_end_offsets_lie_between_the_first_record_of_the_last_send_and_the_end(
    broker: Broker, topic: str, send
) -> None:
    delivered = await send.send_batch(records(topic, 10, keys=1))
    [partition] = {record.partition for record in delivered}
    missing = unique_topic("never-created")

    try:
        ends = await broker.end_offsets([topic, missing])
        again = await broker.end_offsets([missing])
    finally:
        await broker.close()

    assert {where for where in ends if where[0] == topic} == {(topic, p) for p in range(3)}
    assert min(d.offset for d in delivered) < ends[(topic, partition)] <= 10
    assert all(end == 0 for (_, p), end in ends.items() if p != partition)
    assert not any(where[0] == missing for where in ends)
    assert not any(where[0] == missing for where in again)  # asking did not create it


async def test_a_consumer_beyond_a_recreated_log_rewinds_to_its_start(broker: Broker, send) -> None:
    name = unique_topic("recreated")
    await broker.create_topics([name], 1)
    await send_one_by_one(send, name, 5)
    group_id = group()
    consumer = await started(broker, name, group_id)
    try:
        assert len(await consume(consumer, 5)) == 5
        await consumer.commit({(name, 0): 5})
        assert await consumer.rewind_lost() == []  # the log is whole
        await recreate(broker, name)
        await send_one_by_one(send, name, 2)  # a shorter log, from offset 0 again

        assert await consumer.rewind_lost() == [(name, 0)]
        again = await consume(consumer, 2)
    finally:
        await consumer.stop()
    assert [m.offset for m in again] == [0, 1]


async def recreate(broker: Broker, name: str) -> None:
    if isinstance(broker, InMemoryBroker):
        await broker.delete_topics([name])
        await broker.create_topics([name], 1)
        return
    admin = AIOKafkaAdminClient(bootstrap_servers=broker.bootstrap_servers)
    await admin.start()
    try:
        await admin.delete_topics([name])
        await admin.create_topics([NewTopic(name, 1, 1)])
    finally:
        await admin.close()
