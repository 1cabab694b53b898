"""The broker port: what the relay, consumers and admin tools need from Kafka, and no more.

`KafkaBroker` (aiokafka, against Apache Kafka or Tansu) and `InMemoryBroker` (unit tests)
implement it and pass the same contract tests, so code tested against the fake behaves the
same against the real broker.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

Headers = tuple[tuple[str, bytes], ...]
TopicPartition = tuple[str, int]


class BrokerError(Exception):
    """The broker refused or failed an operation."""


class CommitFailed(BrokerError):
    """Offsets were not committed (typically the group rebalanced): expect redelivery."""


@dataclass(frozen=True, kw_only=True)
class Message:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: Headers = ()

    def header(self, name: str) -> bytes | None:
        return next((value for key, value in self.headers if key == name), None)


@dataclass(frozen=True, kw_only=True)
class Delivered:
    """Where the broker put a record it acknowledged."""

    topic: str
    partition: int
    offset: int


@dataclass(frozen=True, kw_only=True)
class OutgoingRecord:
    topic: str
    key: bytes | None
    value: bytes
    headers: Headers = ()


class Producer(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def send(
        self, topic: str, *, key: bytes | None, value: bytes, headers: Sequence[tuple[str, bytes]]
    ) -> None:
        """Returns once the broker acknowledged the record (acks=all); raises otherwise."""

    async def send_batch(self, records: Sequence[OutgoingRecord]) -> list[Delivered]:
        """Sends in order (per partition) and returns once every record is acknowledged,
        with where each went (in the order of `records`)."""


class Consumer(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None:
        """Leaves the group without committing anything."""

    async def getmany(self, *, timeout_ms: int, max_records: int) -> list[Message]:
        """Up to `max_records` messages, each partition's in offset order."""

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        """Stores, per partition, the offset of the next message to read."""

    async def lag(self) -> dict[TopicPartition, int]:
        """Best effort: messages between the committed offset and the end, per partition."""

    async def rewind_all(self) -> None:
        """Move every assigned partition to its earliest record (after a loss elsewhere:
        records this consumer skipped may sit below its position)."""

    async def rewind_lost(self) -> list[TopicPartition]:
        """Assigned partitions whose log no longer holds the record before this consumer's
        position (truncated, or deleted and recreated: the broker may then serve nothing
        rather than an error) are moved to their earliest record; returns them."""


class Broker(Protocol):
    def producer(self, client_id: str) -> Producer: ...

    def consumer(self, topics: Sequence[str], group_id: str | None, client_id: str) -> Consumer:
        """A consumer in `group_id`, or, with None, a reader of every partition from the start
        that cannot commit (admin tools use it to list dead letters)."""

    async def create_topics(self, names: Sequence[str], partitions: int) -> None:
        """Creates the topics that do not exist yet; existing ones are left as they are."""

    async def end_offsets(self, topics: Sequence[str]) -> dict[TopicPartition, int]:
        """Per partition of each existing topic, a lower bound of its end: the offset after
        the first record of its last record batch at least (Tansu reports that), the offset
        after its last record at most (Kafka reports that). Absent topics are left out, and
        asking never creates one. Loss detection (`relay.py`) compares it with what was
        acknowledged; raises `BrokerError` when the broker does not answer."""

    async def ping(self) -> None:
        """Raises `BrokerError` unless the broker answers (readiness checks)."""

    async def close(self) -> None:
        """Releases what `ping` keeps open; producers and consumers are stopped by their owners."""
