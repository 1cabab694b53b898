"""`homeward deadletters`: list, inspect, replay and purge what a service's consumers gave up on.

Replaying republishes the original message to its original topic; every consumer group there
sees it again and the inbox makes it harmless where it was already applied.

Purging cannot delete records on every broker: Kafka's DeleteRecords would, but the Tansu
broker of the embedded stack does not implement it (its in-memory storage panics with "not
yet implemented"). So a purge commits, for the consumer group
`homeward-admin.deadletters.<service>`, a "purged up to" offset per partition, which list,
inspect and replay honour; the records themselves go when the dead-letter topic's retention
(30 days) expires. It works the same on Apache Kafka and on Tansu.
"""

from __future__ import annotations

import json
import time
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord

from homeward.admin.kafka import group_reader
from homeward.admin.services import AdminError, UsageError, spec
from homeward.common.events import DeadLetter, KafkaBroker, replay_dead_letter
from homeward.common.events.kafka import message_of
from homeward.common.settings import CommonSettings

READ_TIMEOUT_S = 30.0


def purge_group(service: str) -> str:
    return f"homeward-admin.deadletters.{service}"


@dataclass(frozen=True, order=True)
class Position:
    partition: int
    offset: int

    @classmethod
    def parse(cls, text: str) -> Position:
        partition, _, offset = text.partition(":")
        if not (partition.isdigit() and offset.isdigit()):
            raise UsageError(f"{text!r} is not PARTITION:OFFSET (for example 0:42)")
        return cls(int(partition), int(offset))

    def __str__(self) -> str:
        return f"{self.partition}:{self.offset}"


def position_of(letter: DeadLetter) -> Position:
    return Position(letter.partition, letter.offset)


async def list_dead_letters(settings: CommonSettings, service: str) -> list[DeadLetter]:
    """Every dead letter of the service not purged yet, by partition and offset."""
    async with _reader(settings, service) as consumer:
        return await _read_to_end(consumer)


async def find_dead_letter(
    settings: CommonSettings, service: str, position: Position
) -> DeadLetter:
    for letter in await list_dead_letters(settings, service):
        if position_of(letter) == position:
            return letter
    raise AdminError(
        f"no dead letter at {position} on {spec(service).dead_letter_topic} "
        "(purged, or never there: see `homeward deadletters list`)"
    )


async def replay(
    settings: CommonSettings, service: str, position: Position | None
) -> list[DeadLetter]:
    """Republish one dead letter (or, with no position, every one not purged) in order."""
    if position is None:
        letters = await list_dead_letters(settings, service)
    else:
        letters = [await find_dead_letter(settings, service, position)]
    broker = KafkaBroker.from_settings(settings)
    for letter in letters:
        await replay_dead_letter(broker, letter)
    return letters


async def purge(settings: CommonSettings, service: str, before: Position | None) -> int:
    """Hide the dead letters before `before` on its partition (or, with None, all of them)
    from list and replay; returns how many were purged."""
    async with _reader(settings, service) as consumer:
        partitions = {tp.partition: tp for tp in consumer.assignment()}
        if before is not None and before.partition not in partitions:
            raise UsageError(
                f"{spec(service).dead_letter_topic} has no partition {before.partition}"
            )
        letters = await _read_to_end(consumer)
        purged = [letter for letter in letters if _is_before(letter, before)]
        marks: dict[TopicPartition, int] = {}
        for letter in purged:  # in offset order: the last one per partition wins
            marks[partitions[letter.partition]] = letter.offset + 1
        if marks:
            await consumer.commit(marks)
    return len(purged)


def _is_before(letter: DeadLetter, before: Position | None) -> bool:
    if before is None:
        return True
    return letter.partition == before.partition and letter.offset < before.offset


def describe(letter: DeadLetter) -> dict[str, Any]:
    """What an operator sees of a dead letter: where it came from, why it failed, its payload
    (event payloads carry ids, codes and enums only, by design)."""
    return {
        "position": str(position_of(letter)),
        "topic": letter.topic,
        "key": letter.key.decode(errors="replace") if letter.key is not None else None,
        "original_topic": letter.original_topic,
        "original_partition": letter.original_partition,
        "original_offset": letter.original_offset,
        "consumer_group": letter.consumer_group,
        "failed_at": letter.failed_at.isoformat() if letter.failed_at else None,
        "attempts": letter.attempts,
        "error": letter.error,
        "event_type": letter.event_type,
        "event_id": letter.event_id,
        "headers": {name: value.decode(errors="replace") for name, value in letter.headers},
        "payload": _payload(letter.value),
    }


def _payload(value: bytes) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        # Not an event as Homeward writes them: show no bytes of it.
        return f"<not JSON: {len(value)} bytes>"


def _reader(
    settings: CommonSettings, service: str
) -> AbstractAsyncContextManager[AIOKafkaConsumer]:
    return group_reader(
        settings.kafka_bootstrap_servers,
        topic=spec(service).dead_letter_topic,
        group_id=purge_group(service),
    )


async def _read_to_end(consumer: AIOKafkaConsumer) -> list[DeadLetter]:
    """From the purge marks to the end of every partition."""
    partitions = sorted(consumer.assignment())
    ends = await consumer.end_offsets(partitions)
    letters: list[DeadLetter] = []
    deadline = time.monotonic() + READ_TIMEOUT_S
    while True:
        batches = await consumer.getmany(timeout_ms=200)
        for records in batches.values():
            letters.extend(_dead_letter(record) for record in records)
        # An empty poll past the end: Tansu may report an end below a batch's last record.
        if not batches and all([await consumer.position(tp) >= ends[tp] for tp in partitions]):
            break
        if time.monotonic() > deadline:
            raise AdminError(f"reading the dead letters took longer than {READ_TIMEOUT_S:.0f}s")
    return sorted(letters, key=position_of)


def _dead_letter(record: ConsumerRecord[bytes, bytes]) -> DeadLetter:
    return DeadLetter.from_message(message_of(record))
