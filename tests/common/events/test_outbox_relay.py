"""The outbox and its relay against the in-memory broker, on both database backends."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence

import pytest
from event_helpers import (
    Probes,
    header,
    metric,
    probe_contracts,
    stage,
    wait_for,
)
from sqlmodel import col, select

from homeward.common.db import Database
from homeward.common.events import (
    BrokerError,
    Delivered,
    EventContract,
    InMemoryBroker,
    OutboxRecord,
    OutboxRelay,
    OutgoingRecord,
    add_event,
    lane_for,
)
from homeward.common.testing.kafka import unique_topic
from homeward.common.tracing import TraceContext, current_trace

SOURCE = "/homeward/probes"


@pytest.fixture
def probes() -> Probes:
    return probe_contracts(unique_topic("outbox"))


@pytest.fixture
async def broker() -> InMemoryBroker:
    return InMemoryBroker(default_partitions=3)


@pytest.fixture
async def producer(broker: InMemoryBroker) -> AsyncIterator[object]:
    producer = broker.producer("relay")
    await producer.start()
    yield producer
    await producer.stop()


async def outbox_rows(database: Database) -> list[OutboxRecord]:
    async with database.sessions() as session:
        return list(await session.exec(select(OutboxRecord).order_by(col(OutboxRecord.id))))


async def test_add_event_stages_a_row_in_the_callers_transaction(
    database: Database, probes: Probes
) -> None:
    trace = TraceContext.new()
    token = current_trace.set(trace)
    try:
        async with database.transaction() as session:
            event_id = add_event(
                session, probes.recorded(case_id="case-1", sequence=7), key="case-1", subject="p/1"
            )
            assert session.info["homeward.outbox.staged"] is True
    finally:
        current_trace.reset(token)

    [row] = await outbox_rows(database)
    assert row.event_id == event_id
    assert (row.topic, row.key, row.type, row.subject) == (
        probes.topic,
        "case-1",
        "homeward.probe.recorded.v1",
        "p/1",
    )
    assert row.lane == lane_for("case-1")
    assert row.data == {"case_id": "case-1", "sequence": 7}
    assert row.traceparent == trace.traceparent
    assert row.time.tzinfo is not None
    assert row.published_at is None


async def test_a_rolled_back_transaction_publishes_nothing(
    database: Database, probes: Probes, broker: InMemoryBroker, producer
) -> None:
    with pytest.raises(RuntimeError):
        async with database.transaction() as session:
            add_event(session, probes.recorded(case_id="case-1", sequence=1), key="case-1")
            raise RuntimeError("the state change failed")

    relay = OutboxRelay(database, producer, SOURCE)
    assert await relay.publish_pending() == 0
    assert await outbox_rows(database) == []
    assert broker.messages(probes.topic) == []


def test_add_event_refuses_unregistered_contracts_and_missing_keys(probes: Probes) -> None:
    class Unregistered(EventContract):
        case_id: str

    with pytest.raises(TypeError, match="not a registered event contract"):
        add_event(None, Unregistered(case_id="c"), key="c")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="needs a key"):
        add_event(None, probes.recorded(case_id="c", sequence=1), key="")  # type: ignore[arg-type]


async def test_relay_publishes_each_key_in_order_and_marks_rows(
    database: Database, probes: Probes, broker: InMemoryBroker, producer
) -> None:
    staged: list[str] = []
    for round_ in range(4):
        for case in ("case-a", "case-b", "case-c"):
            staged += await stage(
                database, probes, case_id=case, sequences=[round_ * 2, round_ * 2 + 1]
            )

    relay = OutboxRelay(database, producer, SOURCE, batch_size=5, lanes_per_pass=1)
    assert await relay.publish_pending() == 24
    assert await relay.publish_pending() == 0

    messages = broker.messages(probes.topic)
    assert sorted(header(m, "ce_id") for m in messages) == sorted(staged)
    for case in ("case-a", "case-b", "case-c"):
        sequences = [json.loads(m.value)["sequence"] for m in messages if m.key == case.encode()]
        assert sequences == list(range(8)), case
    first = messages[0]
    assert header(first, "ce_source") == SOURCE
    assert header(first, "ce_type") == "homeward.probe.recorded.v1"
    assert all(row.published_at is not None for row in await outbox_rows(database))
    assert metric("homeward_outbox_backlog", service="probes") == 0


async def test_relay_wakes_right_after_a_commit_that_staged_events(
    database: Database, probes: Probes, broker: InMemoryBroker, producer
) -> None:
    relay = OutboxRelay(database, producer, SOURCE, poll_interval_s=60)
    await stage(database, probes, case_id="case-a", sequences=[1])
    await relay.start()
    try:

        def published(count: int):
            async def condition() -> bool:
                return len(broker.messages(probes.topic)) == count

            return condition

        await wait_for(published(1), timeout_s=3)  # the first pass at start
        await stage(database, probes, case_id="case-a", sequences=[2])
        # Far sooner than the 60 s poll: the after-commit listener woke the relay.
        await wait_for(published(2), timeout_s=3)
    finally:
        await relay.stop()


class FlakyProducer:
    """Fails the first `failures` batches; optionally only after the broker took them."""

    def __init__(self, inner, *, failures: int, after_sending: bool = False) -> None:
        self.inner = inner
        self.failures = failures
        self.after_sending = after_sending
        self.calls = 0

    async def start(self) -> None:
        await self.inner.start()

    async def stop(self) -> None:
        await self.inner.stop()

    async def send(self, topic: str, *, key, value, headers) -> None:
        await self.send_batch([OutgoingRecord(topic=topic, key=key, value=value, headers=headers)])

    async def send_batch(self, records: Sequence[OutgoingRecord]) -> list[Delivered]:
        self.calls += 1
        if self.calls > self.failures:
            return await self.inner.send_batch(records)
        if self.after_sending:
            await self.inner.send_batch(records)
        raise BrokerError("broker unavailable")


async def test_broker_errors_are_retried_and_never_stop_the_relay(
    database: Database, probes: Probes, broker: InMemoryBroker, producer
) -> None:
    flaky = FlakyProducer(producer, failures=3)
    relay = OutboxRelay(database, flaky, SOURCE, poll_interval_s=0.05, backoff_max_s=0.05)
    await stage(database, probes, case_id="case-a", sequences=[1, 2])
    await relay.start()
    try:

        async def published() -> bool:
            return len(broker.messages(probes.topic)) == 2

        await wait_for(published, timeout_s=5)
    finally:
        await relay.stop()
    assert flaky.calls >= 4
    assert all(row.published_at for row in await outbox_rows(database))


async def test_a_crash_between_publish_and_mark_publishes_again(
    database: Database, probes: Probes, broker: InMemoryBroker, producer
) -> None:
    """At least once: the rows stay pending and go out again (consumers dedupe by id)."""
    flaky = FlakyProducer(producer, failures=1, after_sending=True)
    [event_id] = await stage(database, probes, case_id="case-a", sequences=[1])
    relay = OutboxRelay(database, flaky, SOURCE)

    with pytest.raises(BrokerError):
        await relay.publish_pending()
    assert [row.published_at for row in await outbox_rows(database)] == [None]

    assert await relay.publish_pending() == 1
    ids = [header(message, "ce_id") for message in broker.messages(probes.topic)]
    assert ids == [event_id, event_id]


async def test_backlog_gauge_counts_what_is_left_when_the_broker_fails(
    database: Database, probes: Probes, producer
) -> None:
    await stage(database, probes, case_id="case-a", sequences=[1, 2, 3])
    relay = OutboxRelay(
        database,
        FlakyProducer(producer, failures=1),
        SOURCE,
        service="probes-backlog",
        backlog_interval_s=0,  # measured after every pass, not at most every 5 s
    )
    with pytest.raises(BrokerError):
        await relay.publish_pending()
    assert metric("homeward_outbox_backlog", service="probes-backlog") == 3
    assert await relay.publish_pending() == 3
    assert metric("homeward_outbox_backlog", service="probes-backlog") == 0
