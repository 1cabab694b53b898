"""Two relays on one PostgreSQL database publish every event exactly once, each key in order.

SQLite has one writer and runs one relay per database, so this is PostgreSQL only.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
from event_helpers import header, metric, prepared_database, probe_contracts, read_topic, stage

from homeward.common.db import Database
from homeward.common.events import KafkaBroker, OutboxRelay
from homeward.common.testing.kafka import unique_topic

pytestmark = pytest.mark.kafka
CASES = [f"case-{n}" for n in range(12)]


@pytest.fixture
async def replicas(database_url: str) -> AsyncIterator[tuple[Database, Database]]:
    if database_url.startswith("sqlite"):
        pytest.skip("relay replicas need PostgreSQL row locks; SQLite runs one relay")
    async with prepared_database(database_url) as first:
        # A second engine on the same database: what a second service replica has.
        second = Database(database_url)
        try:
            yield first, second
        finally:
            await second.dispose()


async def test_two_relays_publish_every_event_once_and_in_order_per_key(
    kafka_bootstrap: str, replicas: tuple[Database, Database]
) -> None:
    kafka = KafkaBroker(bootstrap_servers=kafka_bootstrap)
    probes = probe_contracts(unique_topic("replicas"))
    await kafka.create_topics([probes.topic], 3)
    first_db = replicas[0]
    staged: list[str] = []
    for round_ in range(10):
        for case in CASES:
            staged += await stage(
                first_db, probes, case_id=case, sequences=[2 * round_, 2 * round_ + 1]
            )

    producers = [kafka.producer("relay-a"), kafka.producer("relay-b")]
    for producer in producers:
        await producer.start()
    # Small batches over few lanes per pass: many passes, so the replicas contend for lanes.
    relays = [
        OutboxRelay(database, producer, "/homeward/probes", batch_size=4, lanes_per_pass=2,
                    service=f"replica-{name}-{probes.topic}")
        for database, producer, name in zip(replicas, producers, "ab", strict=True)
    ]  # fmt: skip
    try:
        published = await asyncio.gather(*(relay.publish_pending() for relay in relays))
        # Whatever one saw locked and skipped, the other finished: nothing is left.
        assert sum(await asyncio.gather(*(relay.publish_pending() for relay in relays))) == 0
    finally:
        for producer in producers:
            await producer.stop()

    assert sum(published) == len(staged) == 240
    assert all(count > 0 for count in published), published  # both took part
    for relay, count in zip(relays, published, strict=True):
        assert (
            metric("homeward_events_published_total", service=relay.service, topic=probes.topic)
            == count
        )

    messages = await read_topic(kafka, probes.topic)
    assert sorted(header(message, "ce_id") for message in messages) == sorted(staged)
    for case in CASES:
        sequences = [
            json.loads(message.value)["sequence"]
            for message in messages
            if message.key == case.encode()
        ]
        assert sequences == list(range(20)), case
