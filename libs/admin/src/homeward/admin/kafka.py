"""Kafka clients for the operators' command, failing with one line instead of a traceback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from homeward.admin.services import AdminError

TIMEOUT_S = 10.0


def unreachable(bootstrap_servers: str, error: BaseException) -> AdminError:
    return AdminError(
        f"Kafka at {bootstrap_servers} does not answer ({type(error).__name__}): "
        "check KAFKA_BOOTSTRAP_SERVERS and that the broker is up"
    )


@asynccontextmanager
async def admin_client(bootstrap_servers: str) -> AsyncIterator[AIOKafkaAdminClient]:
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap_servers, request_timeout_ms=int(TIMEOUT_S * 1000)
    )
    try:
        try:
            await asyncio.wait_for(admin.start(), TIMEOUT_S)
        except (KafkaError, OSError, TimeoutError) as error:
            raise unreachable(bootstrap_servers, error) from None
        yield admin
    finally:
        await admin.close()


@asynccontextmanager
async def group_reader(
    bootstrap_servers: str, *, topic: str, group_id: str
) -> AsyncIterator[AIOKafkaConsumer]:
    """A consumer assigned every partition of `topic` (no group membership, so it disturbs no
    one), starting at the offsets `group_id` committed; it may commit new ones."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        group_id=group_id,
        client_id="homeward-admin",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=100,
        request_timeout_ms=int(TIMEOUT_S * 1000),
    )
    try:
        try:
            await asyncio.wait_for(consumer.start(), TIMEOUT_S)
            topics = await asyncio.wait_for(consumer.topics(), TIMEOUT_S)
        except (KafkaError, OSError, TimeoutError) as error:
            raise unreachable(bootstrap_servers, error) from None
        if topic not in topics:
            raise AdminError(f"topic {topic} does not exist: run `homeward topics create`")
        partitions = consumer.partitions_for_topic(topic) or set()
        consumer.assign([TopicPartition(topic, partition) for partition in sorted(partitions)])
        yield consumer
    finally:
        await consumer.stop()
