"""An in-process broker for unit tests: the semantics of Kafka that Homeward relies on.

Topics have partitions; a key always lands in the same partition, so per-key order holds.
Each consumer group keeps its committed offsets: a new member resumes from them, so
uncommitted messages are delivered again. Members of one group share the partitions (and,
as in Kafka's eager rebalancing, every member rewinds to the committed offsets when the
membership changes); several groups each see every message. Unknown topics are created on
first use with `default_partitions`, as Kafka and Tansu do by default.
"""

from __future__ import annotations

import asyncio
import itertools
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from homeward.common.events.broker import (
    BrokerError,
    CommitFailed,
    Delivered,
    Message,
    OutgoingRecord,
    TopicPartition,
)


@dataclass
class _Group:
    committed: dict[TopicPartition, int] = field(default_factory=dict)
    members: list[InMemoryConsumer] = field(default_factory=list)
    generation: int = 0


class InMemoryBroker:
    def __init__(self, *, default_partitions: int = 1) -> None:
        self.default_partitions = default_partitions
        self._partitions: dict[str, list[list[Message]]] = {}
        self._groups: dict[str, _Group] = {}
        self._round_robin = itertools.count()
        self._layout_version = 0
        self._changed = asyncio.Condition()

    def producer(self, client_id: str) -> InMemoryProducer:
        return InMemoryProducer(self)

    def consumer(
        self, topics: Sequence[str], group_id: str | None, client_id: str
    ) -> InMemoryConsumer:
        return InMemoryConsumer(self, topics=tuple(topics), group_id=group_id)

    async def create_topics(self, names: Sequence[str], partitions: int) -> None:
        for name in names:
            self._ensure_topic(name, partitions)
        await self._notify()

    async def end_offsets(self, topics: Sequence[str]) -> dict[TopicPartition, int]:
        return {
            (topic, partition): len(log)
            for topic in topics
            for partition, log in enumerate(self._partitions.get(topic, []))
        }

    async def ping(self) -> None:
        return None

    async def delete_topics(self, names: Sequence[str]) -> None:
        """Topics deleted (by an operator, say): their records go, committed offsets stay."""
        for name in names:
            self._partitions.pop(name, None)
        self._layout_version += 1
        await self._notify()

    async def lose_everything(self) -> None:
        """What a restarted in-memory broker (Tansu) or a restore to an empty cluster does:
        every topic, record and committed offset is gone. Consumers find out on their next
        poll, as after a rebalance."""
        self._partitions.clear()
        for group in self._groups.values():
            group.committed.clear()
            group.generation += 1
        self._layout_version += 1
        await self._notify()

    async def close(self) -> None:
        return None

    def topics(self) -> list[str]:
        return sorted(self._partitions)

    def messages(self, topic: str) -> list[Message]:
        """Every message of a topic, partition by partition (for assertions in tests)."""
        return [message for log in self._partitions.get(topic, []) for message in log]

    def end_offset(self, topic: str, partition: int) -> int:
        return len(self._partitions[topic][partition])

    def partition_count(self, topic: str) -> int:
        return len(self._partitions.get(topic, []))

    def _ensure_topic(self, name: str, partitions: int) -> None:
        if name not in self._partitions:
            self._partitions[name] = [[] for _ in range(partitions)]
            self._layout_version += 1

    def _append(self, record: OutgoingRecord) -> Delivered:
        self._ensure_topic(record.topic, self.default_partitions)
        logs = self._partitions[record.topic]
        if record.key is None:
            partition = next(self._round_robin) % len(logs)
        else:
            partition = zlib.crc32(record.key) % len(logs)
        log = logs[partition]
        delivered = Delivered(topic=record.topic, partition=partition, offset=len(log))
        log.append(
            Message(
                topic=record.topic,
                partition=partition,
                offset=len(log),
                key=record.key,
                value=record.value,
                headers=tuple(record.headers),
            )
        )
        return delivered

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()


class InMemoryProducer:
    def __init__(self, broker: InMemoryBroker) -> None:
        self._broker = broker
        self._started = False

    async def start(self) -> None:
        self._started = True

    async def stop(self) -> None:
        self._started = False

    async def send(
        self, topic: str, *, key: bytes | None, value: bytes, headers: Sequence[tuple[str, bytes]]
    ) -> None:
        await self.send_batch(
            [OutgoingRecord(topic=topic, key=key, value=value, headers=tuple(headers))]
        )

    async def send_batch(self, records: Sequence[OutgoingRecord]) -> list[Delivered]:
        if not self._started:
            raise BrokerError("producer is not started")
        delivered = [self._broker._append(record) for record in records]
        await self._broker._notify()
        return delivered


class InMemoryConsumer:
    def __init__(
        self, broker: InMemoryBroker, *, topics: tuple[str, ...], group_id: str | None
    ) -> None:
        self._broker = broker
        self.topics = topics
        self.group_id = group_id
        self._group = broker._groups.setdefault(group_id, _Group()) if group_id else None
        self._seen_layout: tuple[int, int] | None = None
        self._positions: dict[TopicPartition, int] = {}
        self._running = False

    async def start(self) -> None:
        self._running = True
        if self._group is not None:
            self._group.members.append(self)
            self._group.generation += 1
        await self._broker._notify()

    async def stop(self) -> None:
        if not self._running:
            return
        self._running = False
        if self._group is not None:
            self._group.members.remove(self)
            self._group.generation += 1
        await self._broker._notify()

    def assignment(self) -> set[TopicPartition]:
        return set(self._positions)

    async def getmany(self, *, timeout_ms: int, max_records: int) -> list[Message]:
        if not self._running:
            raise BrokerError("consumer is not started")
        try:
            async with self._broker._changed:
                await asyncio.wait_for(
                    self._broker._changed.wait_for(self._has_messages), timeout_ms / 1000
                )
        except TimeoutError:
            return []
        batch: list[Message] = []
        for tp in sorted(self._positions):
            log = self._broker._partitions[tp[0]][tp[1]]
            taken = log[self._positions[tp] : self._positions[tp] + max_records - len(batch)]
            batch.extend(taken)
            self._positions[tp] += len(taken)
        return batch

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        if self._group is None:
            raise CommitFailed("a consumer without a group cannot commit")
        self._sync_assignment()
        if lost := set(offsets) - set(self._positions):
            raise CommitFailed(f"partitions no longer assigned: {sorted(lost)}")
        self._group.committed.update(offsets)

    async def lag(self) -> dict[TopicPartition, int]:
        self._sync_assignment()
        start = self._group.committed if self._group else self._positions
        return {
            tp: self._broker.end_offset(*tp) - start.get(tp, 0) for tp in sorted(self._positions)
        }

    async def rewind_all(self) -> None:
        self._sync_assignment()
        self._positions = dict.fromkeys(self._positions, 0)

    async def rewind_lost(self) -> list[TopicPartition]:
        self._sync_assignment()
        lost = [
            tp for tp, at in sorted(self._positions.items()) if at > self._broker.end_offset(*tp)
        ]
        for tp in lost:
            self._positions[tp] = 0
        return lost

    def _has_messages(self) -> bool:
        self._sync_assignment()
        return any(
            position < self._broker.end_offset(*tp) for tp, position in self._positions.items()
        )

    def _sync_assignment(self) -> None:
        generation = self._group.generation if self._group else 0
        layout = (generation, self._broker._layout_version)
        if layout == self._seen_layout:
            return
        self._seen_layout = layout
        assigned = self._assigned_partitions()
        if self._group is None:
            # A group-less reader keeps its place and reads new partitions from the start;
            # a place beyond the end (the log was lost) resets to the start, as Kafka does.
            self._positions = {
                tp: place
                if (place := self._positions.get(tp, 0)) <= self._broker.end_offset(*tp)
                else 0
                for tp in assigned
            }
        else:
            self._positions = {tp: self._group.committed.get(tp, 0) for tp in assigned}

    def _assigned_partitions(self) -> list[TopicPartition]:
        topics = [topic for topic in self.topics if topic in self._broker._partitions]
        everything = [
            (topic, partition)
            for topic in topics
            for partition in range(self._broker.partition_count(topic))
        ]
        if self._group is None:
            return everything
        # Partitions of each topic dealt round-robin to the members subscribed to it.
        mine = []
        for topic, partition in everything:
            members = [member for member in self._group.members if topic in member.topics]
            if members and members[partition % len(members)] is self:
                mine.append((topic, partition))
        return mine
