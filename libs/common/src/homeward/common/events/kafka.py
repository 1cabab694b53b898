"""The broker port on aiokafka: Apache Kafka in production, Tansu in the embedded stack.

Producers wait for every in-sync replica (acks=all). Idempotence is a setting because Tansu
rejects idempotent producers; without it, aiokafka still keeps per-partition order, since it
never has two requests in flight for one partition. Consumers commit by hand only, after
the database transaction of the messages before the offset (see `consumer.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka import TopicPartition as KafkaTopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError
from aiokafka.structs import ConsumerRecord

from homeward.common.events.broker import (
    BrokerError,
    CommitFailed,
    Delivered,
    Message,
    OutgoingRecord,
    TopicPartition,
)
from homeward.common.settings import CommonSettings

logger = logging.getLogger("homeward.events.kafka")


class KafkaBroker:
    def __init__(
        self,
        *,
        bootstrap_servers: str,
        idempotence: bool = False,
        session_timeout_ms: int = 10_000,
        heartbeat_interval_ms: int = 3_000,
        rebalance_timeout_ms: int | None = None,
        replication_factor: int = 1,
        request_timeout_ms: int = 30_000,
        fetch_max_wait_ms: int = 100,
        metadata_max_age_ms: int = 10_000,
    ) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.idempotence = idempotence
        self.session_timeout_ms = session_timeout_ms
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.rebalance_timeout_ms = rebalance_timeout_ms
        self.replication_factor = replication_factor
        self.request_timeout_ms = request_timeout_ms
        # Tansu answers a fetch only when its wait expires, even if records arrive sooner
        # (Kafka answers at once), so this wait is the floor of end-to-end latency there.
        self.fetch_max_wait_ms = fetch_max_wait_ms
        # How soon clients see a topic's partitions change. A topic recreated with another
        # count (Tansu, restarted empty, auto-creates topics with 4 partitions on the first
        # metadata request, before anyone creates them with 3) must be seen within seconds,
        # not Kafka's default 5 minutes: records on a partition a consumer does not know of
        # wait unread until it does.
        self.metadata_max_age_ms = metadata_max_age_ms
        self._ping_admin: AIOKafkaAdminClient | None = None
        self._ping_lock = asyncio.Lock()
        self._offsets_reader: AIOKafkaConsumer | None = None
        self._offsets_admin: AIOKafkaAdminClient | None = None
        self._offsets_lock = asyncio.Lock()

    @classmethod
    def from_settings(cls, settings: CommonSettings) -> KafkaBroker:
        return cls(
            bootstrap_servers=settings.kafka_bootstrap_servers,
            idempotence=settings.kafka_idempotence,
            session_timeout_ms=settings.kafka_session_timeout_ms,
            heartbeat_interval_ms=settings.kafka_heartbeat_interval_ms,
            fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms,
        )

    def producer(self, client_id: str) -> KafkaProducer:
        return KafkaProducer(
            AIOKafkaProducer(
                bootstrap_servers=self.bootstrap_servers,
                client_id=client_id,
                acks="all",
                enable_idempotence=self.idempotence,
                request_timeout_ms=self.request_timeout_ms,
                metadata_max_age_ms=self.metadata_max_age_ms,
            )
        )

    def consumer(
        self, topics: Sequence[str], group_id: str | None, client_id: str
    ) -> KafkaConsumer:
        options: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap_servers,
            "client_id": client_id,
            "group_id": group_id,
            "enable_auto_commit": False,
            "auto_offset_reset": "earliest",
            "session_timeout_ms": self.session_timeout_ms,
            "heartbeat_interval_ms": self.heartbeat_interval_ms,
            "request_timeout_ms": self.request_timeout_ms,
            "fetch_max_wait_ms": self.fetch_max_wait_ms,
            "metadata_max_age_ms": self.metadata_max_age_ms,
        }
        if self.rebalance_timeout_ms is not None:
            options["rebalance_timeout_ms"] = self.rebalance_timeout_ms
        probe = {k: options[k] for k in ("bootstrap_servers", "request_timeout_ms")}
        return KafkaConsumer(
            AIOKafkaConsumer(*topics, **options), has_group=group_id is not None, probe=probe
        )

    async def create_topics(self, names: Sequence[str], partitions: int) -> None:
        admin = AIOKafkaAdminClient(
            bootstrap_servers=self.bootstrap_servers, request_timeout_ms=self.request_timeout_ms
        )
        await admin.start()
        try:
            replicas = self.replication_factor
            new_topics = [NewTopic(name, partitions, replicas) for name in names]
            response = await admin.create_topics(new_topics)
        finally:
            await admin.close()
        failures = [
            f"{topic}: {message or code}"
            for topic, code, message in response.topic_errors
            if code not in (0, TopicAlreadyExistsError.errno)
        ]
        if failures:
            raise BrokerError("could not create topics: " + "; ".join(failures))

    async def ping(self, *, timeout_s: float = 5.0) -> None:
        # One admin connection kept for the readiness probes (every few seconds, on every
        # replica) rather than a new one per probe; dropped and reopened after a failure.
        async with self._ping_lock:
            try:
                if self._ping_admin is None:
                    self._ping_admin = AIOKafkaAdminClient(
                        bootstrap_servers=self.bootstrap_servers,
                        request_timeout_ms=int(timeout_s * 1000),
                    )
                    await asyncio.wait_for(self._ping_admin.start(), timeout_s)
                await asyncio.wait_for(self._ping_admin.describe_cluster(), timeout_s)
            except (KafkaError, OSError, TimeoutError) as exc:
                await self.close()
                raise BrokerError(
                    f"Kafka at {self.bootstrap_servers} does not answer: {exc!r}"
                ) from exc

    async def end_offsets(self, topics: Sequence[str]) -> dict[TopicPartition, int]:
        # The partitions come from metadata naming the topics, as producers and subscribed
        # consumers ask for it: Tansu may answer an all-topics request otherwise (after a
        # topic was deleted and recreated), and the check must see what the producer writes
        # to. One group-less reader is kept for these checks, reopened after a failure.
        async with self._offsets_lock:
            try:
                if self._offsets_reader is None:
                    reader = AIOKafkaConsumer(
                        bootstrap_servers=self.bootstrap_servers,
                        enable_auto_commit=False,
                        request_timeout_ms=self.request_timeout_ms,
                    )
                    await reader.start()
                    self._offsets_reader = reader
                reader = self._offsets_reader
                existing = {name for name in await reader.topics() if name in topics}
                described = await self._describe(sorted(existing)) if existing else []
                wanted = [
                    KafkaTopicPartition(topic["topic"], partition["partition"])
                    for topic in described
                    if topic["error_code"] == 0
                    for partition in topic["partitions"]
                ]
                ends = await reader.end_offsets(wanted) if wanted else {}
            except (KafkaError, OSError) as exc:
                await self._close_offsets_reader()
                raise BrokerError(f"end offsets unavailable: {exc!r}") from exc
        return {(tp.topic, tp.partition): offset for tp, offset in ends.items()}

    async def _describe(self, names: list[str]) -> list[dict[str, Any]]:
        if self._offsets_admin is None:
            admin = AIOKafkaAdminClient(
                bootstrap_servers=self.bootstrap_servers,
                request_timeout_ms=self.request_timeout_ms,
            )
            await admin.start()
            self._offsets_admin = admin
        return await self._offsets_admin.describe_topics(names)

    async def close(self) -> None:
        admin, self._ping_admin = self._ping_admin, None
        if admin is not None:
            with contextlib.suppress(KafkaError, OSError):
                await admin.close()
        await self._close_offsets_reader()

    async def _close_offsets_reader(self) -> None:
        reader, self._offsets_reader = self._offsets_reader, None
        admin, self._offsets_admin = self._offsets_admin, None
        with contextlib.suppress(KafkaError, OSError):
            if reader is not None:
                await reader.stop()
            if admin is not None:
                await admin.close()


class KafkaProducer:
    def __init__(self, producer: AIOKafkaProducer) -> None:
        self._producer = producer

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        await self._producer.stop()

    async def send(
        self, topic: str, *, key: bytes | None, value: bytes, headers: Sequence[tuple[str, bytes]]
    ) -> None:
        await self._producer.send_and_wait(topic, value=value, key=key, headers=list(headers))

    async def send_batch(self, records: Sequence[OutgoingRecord]) -> list[Delivered]:
        # Queue everything first (in order, so per-partition order holds), then wait for all
        # acknowledgements: one round trip per partition batch instead of one per record.
        pending = [
            await self._producer.send(
                record.topic, value=record.value, key=record.key, headers=list(record.headers)
            )
            for record in records
        ]
        results = await asyncio.gather(*pending, return_exceptions=True)
        if errors := [result for result in results if isinstance(result, BaseException)]:
            raise errors[0]
        return [
            Delivered(topic=result.topic, partition=result.partition, offset=result.offset)
            for result in results
        ]


class KafkaConsumer:
    def __init__(
        self, consumer: AIOKafkaConsumer, *, has_group: bool, probe: dict[str, Any]
    ) -> None:
        self._consumer = consumer
        self._has_group = has_group
        self._probe_options = probe
        self._probe: AIOKafkaConsumer | None = None

    async def start(self) -> None:
        await self._consumer.start()

    async def stop(self) -> None:
        await self._consumer.stop()
        probe, self._probe = self._probe, None
        if probe is not None:
            with contextlib.suppress(KafkaError, OSError):
                await probe.stop()

    async def rewind_all(self) -> None:
        if assigned := list(self._consumer.assignment()):
            await self._consumer.seek_to_beginning(*assigned)

    async def rewind_lost(self) -> list[TopicPartition]:
        # A position beyond the reported end is not enough: Tansu reports the last batch's
        # base offset + 1. So ask for the record just before the position: gone means lost.
        try:
            # Bounded: while the group rebalances, `position` waits for an assignment.
            return await asyncio.wait_for(self._rewind_lost(), timeout=5)
        except (KafkaError, TimeoutError) as exc:
            logger.debug("could not check for lost records: %r", exc)
            return []

    async def _rewind_lost(self) -> list[TopicPartition]:
        assigned = sorted(self._consumer.assignment())
        if not assigned:
            return []
        ends = await self._consumer.end_offsets(assigned)
        lost = []
        for tp in assigned:
            position = await self._consumer.position(tp)
            if position > ends[tp] and not await self._holds(tp, position - 1):
                await self._consumer.seek_to_beginning(tp)
                lost.append((tp.topic, tp.partition))
        return lost

    async def _holds(self, tp: KafkaTopicPartition, offset: int) -> bool:
        if self._probe is None:
            probe = AIOKafkaConsumer(
                enable_auto_commit=False, fetch_max_wait_ms=100, **self._probe_options
            )
            await probe.start()
            self._probe = probe
        self._probe.assign([tp])
        self._probe.seek(tp, offset)
        found = await self._probe.getmany(tp, timeout_ms=2000, max_records=1)
        return any(record.offset <= offset for record in found.get(tp, []))

    async def getmany(self, *, timeout_ms: int, max_records: int) -> list[Message]:
        batches = await self._consumer.getmany(timeout_ms=timeout_ms, max_records=max_records)
        return [message_of(record) for records in batches.values() for record in records]

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        if not self._has_group:
            raise CommitFailed("a consumer without a group cannot commit")
        if not offsets:
            return
        try:
            await self._consumer.commit(
                {KafkaTopicPartition(*tp): offset for tp, offset in offsets.items()}
            )
        except KafkaError as exc:  # CommitFailedError, a rebalance, a lost coordinator
            raise CommitFailed(str(exc)) from exc

    async def lag(self) -> dict[TopicPartition, int]:
        """Best effort. Tansu (0.6) reports a partition's end as the base offset of its last
        record batch + 1, so after multi-record batches its lag reads low; Kafka is exact.
        Bounded in time: `committed` waits for the coordinator, which may be gone."""
        try:
            return await asyncio.wait_for(self._lag(), timeout=5)
        except TimeoutError:
            return {}

    async def _lag(self) -> dict[TopicPartition, int]:
        assigned = list(self._consumer.assignment())
        if not assigned:
            return {}
        try:
            ends = await self._consumer.end_offsets(assigned)
            if self._has_group:
                starts = await self._consumer.beginning_offsets(assigned)
                for tp in assigned:
                    committed = await self._consumer.committed(tp)
                    starts[tp] = committed if committed is not None else starts[tp]
            else:
                # Without a group nothing is committed: measure from the read position.
                starts = {tp: await self._consumer.position(tp) for tp in assigned}
            return {(tp.topic, tp.partition): max(ends[tp] - starts[tp], 0) for tp in assigned}
        except KafkaError as exc:
            logger.debug("consumer lag unavailable: %r", exc)
            return {}


def message_of(record: ConsumerRecord) -> Message:
    """aiokafka's record as the broker-neutral `Message` (a tombstone's value as b"")."""
    return Message(
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        key=record.key,
        value=record.value if record.value is not None else b"",
        headers=tuple((name, value or b"") for name, value in record.headers),
    )
