"""A broker that loses what it acknowledged (issue 15): the relay notices and publishes the
retained outbox again, in order per key; consumers notice, read from the earliest record and
apply each effect once."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import timedelta

import pytest
from consumer_helpers import a_consumer, run_until_idle
from event_helpers import Probes, effects, metric, probe_contracts, stage
from sqlmodel import col, select

from homeward.common.db import Database, utcnow
from homeward.common.events import (
    InMemoryBroker,
    OutboxRecord,
    OutboxRelay,
    requeue_published,
)
from homeward.common.testing.kafka import unique_topic

SOURCE = "/homeward/lossprobe"


@pytest.fixture
def probes() -> Probes:
    return probe_contracts(unique_topic("loss"))


@pytest.fixture
def broker() -> InMemoryBroker:
    return InMemoryBroker(default_partitions=3)


@pytest.fixture
async def producer(broker: InMemoryBroker):
    producer = broker.producer("relay")
    await producer.start()
    yield producer
    await producer.stop()


def relay(database: Database, producer, broker: InMemoryBroker, **options) -> OutboxRelay:
    return OutboxRelay(
        database, producer, SOURCE, broker=broker, loss_check_interval_s=0, **options
    )


def sequences_by_case(broker: InMemoryBroker, topic: str) -> dict[str, list[int]]:
    found: dict[str, list[int]] = defaultdict(list)
    for message in broker.messages(topic):
        data = json.loads(message.value)
        found[data["case_id"]].append(data["sequence"])
    return dict(found)


def losses(component: str, *, service: str = "lossprobe") -> float:
    return metric("homeward_broker_data_loss_total", service=service, component=component)


async def stage_cases(database: Database, probes: Probes, sequences: range) -> None:
    for case in ("case-a", "case-b", "case-c"):
        await stage(database, probes, case_id=case, sequences=sequences)


async def test_a_broker_that_lost_everything_gets_the_retained_outbox_again_in_order(
    database: Database, probes: Probes, broker: InMemoryBroker, producer
) -> None:
    publisher = relay(database, producer, broker)
    await stage_cases(database, probes, range(1, 4))
    assert await publisher.publish_pending() == 9
    before = losses("relay")

    await broker.lose_everything()
    await stage_cases(database, probes, range(4, 6))  # the load goes on
    assert await publisher.publish_pending() == 15  # 9 again, then the 6 new ones

    assert losses("relay") == before + 1
    expected = {case: [1, 2, 3, 4, 5] for case in ("case-a", "case-b", "case-c")}
    assert sequences_by_case(broker, probes.topic) == expected
    assert await publisher.publish_pending() == 0  # found once, recovered once


async def test_a_relay_restarted_with_the_broker_finds_the_topics_it_wrote_empty(
    database: Database, probes: Probes, broker: InMemoryBroker, producer
) -> None:
    await stage_cases(database, probes, range(1, 3))
    assert await relay(database, producer, broker).publish_pending() == 6
    await broker.lose_everything()  # `make run` stopped and started again

    restarted = relay(database, producer, broker)
    assert await restarted.publish_pending() == 6
    assert sequences_by_case(broker, probes.topic) == {
        case: [1, 2] for case in ("case-a", "case-b", "case-c")
    }


async def test_acknowledgements_below_an_earlier_send_show_a_loss_between_checks(
    database: Database, probes: Probes, broker: InMemoryBroker, producer
) -> None:
    publisher = OutboxRelay(database, producer, SOURCE, broker=broker, loss_check_interval_s=3600)
    await stage(database, probes, case_id="case-a", sequences=[1, 2, 3])
    assert await publisher.publish_pending() == 3
    await broker.lose_everything()  # after the check: only the acknowledgements tell
    await stage(database, probes, case_id="case-a", sequences=[4])
    await publisher.publish_pending()

    # Event 4 went first, but everything retained followed: nothing is missing.
    assert sequences_by_case(broker, probes.topic) == {"case-a": [4, 1, 2, 3, 4]}
    assert await publisher.publish_pending() == 0


async def test_a_healthy_broker_is_never_taken_for_a_lossy_one(
    database: Database, probes: Probes, broker: InMemoryBroker, producer
) -> None:
    publisher = relay(database, producer, broker, batch_size=2)
    for round_ in range(3):
        await stage_cases(database, probes, range(round_ * 10, round_ * 10 + 3))
        assert await publisher.publish_pending() == 9
    # A second relay (another replica, or a restart) on the same healthy broker.
    assert await relay(database, producer, broker).publish_pending() == 0
    assert len(broker.messages(probes.topic)) == 27


async def test_consumers_notice_start_from_the_earliest_record_and_apply_each_effect_once(
    database: Database, probes: Probes, broker: InMemoryBroker, producer
) -> None:
    publisher = relay(database, producer, broker)
    consumer = a_consumer(broker, database, probes)
    await consumer.open()
    try:
        await stage_cases(database, probes, range(1, 4))
        await publisher.publish_pending()
        assert await run_until_idle(consumer) == 9
        before = losses("consumer", service="probes")

        await broker.lose_everything()
        await stage_cases(database, probes, range(4, 5))
        await publisher.publish_pending()  # 9 republished + 3 new: the 3 new end the logs
        await run_until_idle(consumer)
    finally:
        await consumer.close()

    assert losses("consumer", service="probes") > before
    applied = [(effect.case_id, effect.sequence) for effect in await effects(database)]
    assert sorted(applied) == sorted(
        (case, n) for case in ("case-a", "case-b", "case-c") for n in range(1, 5)
    )


async def test_requeueing_is_limited_to_topics_and_time_and_is_idempotent(
    database: Database, probes: Probes, broker: InMemoryBroker, producer
) -> None:
    await stage(database, probes, case_id="case-a", sequences=[1, 2])
    await relay(database, producer, broker).publish_pending()
    async with database.transaction() as session:
        assert await requeue_published(session, topics=["another.topic"]) == 0
        assert await requeue_published(session, since=utcnow() + timedelta(minutes=1)) == 0
        assert await requeue_published(session, topics=[probes.topic]) == 2
        assert await requeue_published(session) == 0  # already queued
    async with database.sessions() as session:
        pending = await session.exec(
            select(OutboxRecord).where(col(OutboxRecord.published_at).is_(None))
        )
        assert len(list(pending)) == 2
