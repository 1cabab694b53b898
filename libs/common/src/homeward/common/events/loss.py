"""A broker that lost records it had acknowledged: how the relay notices, and the recovery.

Tansu keeps everything in memory, so each of its restarts loses every topic, record and
committed offset; Apache Kafka can lose acknowledged records too (a topic deleted and
recreated, an unclean leader election, a restore from an older snapshot). Outbox rows stay
in the database for `outbox_retention_hours` after they are published, so whatever the
broker lost within that window can be published again; consumers skip what they had already
applied (their inbox outlives the topics), so publishing too much is harmless.

Signals, and why they suffice (each compares what the broker says now with what it said
before, and a log only ever grows, so any shrinking is a loss):

- Acknowledged marks (while the relay runs): per partition, the first offset acknowledged in
  the relay's latest send + 1. The log's end can never be below it, nor can a later
  acknowledgement. Either going below means the partition lost records (truncated,
  recreated, or a new broker). The first offset rather than the last keeps the mark below
  Tansu's reported end, which is the last record batch's base offset + 1.
- Emptied topics (at start, and for topics without marks): a topic with retained published
  outbox rows whose partitions are all empty, or that is gone, lost them. This covers the
  relay's own restart together with the broker's (every stop of `make run`).
- Consumers (`positions.py`) notice a partition whose records restart below the offset they
  themselves committed: the log began again. They read on from the earliest record (the
  group's offsets are gone or beyond the end: `auto_offset_reset=earliest`, never latest) and
  the relays republish.

Not seen: a broker restored from a snapshot that has since grown past every mark, with the
services restarted. For that, `homeward outbox republish SERVICE --since TIME`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from homeward.common.events.broker import Delivered, TopicPartition
from homeward.common.events.outbox import OutboxRecord


async def requeue_published(
    session: AsyncSession, *, topics: Collection[str] | None = None, since: datetime | None = None
) -> int:
    """Mark retained published rows (of `topics`, staged at or after `since`) unpublished, so
    the relay publishes them again: in id order per lane, so in order per key, and before
    any later event of the same key. Idempotent; returns the rows queued."""
    statement = update(OutboxRecord).where(col(OutboxRecord.published_at).is_not(None))
    if topics is not None:
        statement = statement.where(col(OutboxRecord.topic).in_(sorted(topics)))
    if since is not None:
        statement = statement.where(col(OutboxRecord.time) >= since)
    result = await session.exec(statement.values(published_at=None))  # type: ignore[call-overload]
    return result.rowcount


async def published_topics(session: AsyncSession) -> set[str]:
    """Topics with retained published rows: what the broker must still hold."""
    found = await session.exec(
        select(OutboxRecord.topic).where(col(OutboxRecord.published_at).is_not(None)).distinct()
    )
    return set(found)


class AcknowledgedMarks:
    """Per partition, a lower bound of the log's end that the broker acknowledged."""

    def __init__(self) -> None:
        self._marks: dict[TopicPartition, int] = {}

    @property
    def topics(self) -> set[str]:
        return {topic for topic, _ in self._marks}

    def record(self, delivered: Iterable[Delivered]) -> dict[str, str]:
        """Remember a send's acknowledgements; returns the topics they show as shrunk."""
        first: dict[TopicPartition, int] = {}
        for record in delivered:
            where = (record.topic, record.partition)
            first[where] = min(first.get(where, record.offset), record.offset)
        shrunk: dict[str, str] = {}
        for (topic, partition), offset in sorted(first.items()):
            if offset < (mark := self._marks.get((topic, partition), 0)):
                shrunk.setdefault(
                    topic, f"partition {partition} acknowledged {offset}, below {mark} before"
                )
            self._marks[(topic, partition)] = offset + 1
        return shrunk

    def shrunk(self, ends: Mapping[TopicPartition, int]) -> dict[str, str]:
        """Topics with a partition whose end is now below its mark (or gone), each with
        what shows it."""
        found: dict[str, str] = {}
        for (topic, partition), mark in sorted(self._marks.items()):
            if (end := ends.get((topic, partition), 0)) < mark and topic not in found:
                found[topic] = f"partition {partition} ends at {end}, below {mark} acknowledged"
        return found

    def forget(self, topics: Collection[str]) -> None:
        self._marks = {where: mark for where, mark in self._marks.items() if where[0] not in topics}


def emptied(topics: Iterable[str], ends: Mapping[TopicPartition, int]) -> set[str]:
    """Of `topics`, those the broker holds no record of (gone, or every partition empty)."""
    holding = {topic for (topic, _), end in ends.items() if end > 0}
    return set(topics) - holding
