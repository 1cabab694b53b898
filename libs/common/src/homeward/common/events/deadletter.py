"""Dead letters: messages a consumer gave up on, kept whole so an admin can replay them.

A dead letter is the original message (key, value and headers untouched) plus `dlq_*`
headers saying where it came from and why it failed. The error text names the exception and
its message, truncated, and never the payload: payloads stay out of logs and headers.
Each service has one dead-letter topic, `homeward.<service>.deadletter`.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError
from sqlalchemy.exc import StatementError

from homeward.common.db import utcnow
from homeward.common.events.broker import Broker, Headers, Message, Producer
from homeward.common.events.envelope import format_time, parse_time

DLQ_PREFIX = "dlq_"
MAX_ERROR_LENGTH = 500


def dead_letter_topic(service: str) -> str:
    return f"homeward.{service}.deadletter"


# The table a failed statement wrote or read first: `INSERT INTO x`, `UPDATE x`, `FROM x`.
_STATEMENT_TABLE = re.compile(r"\b(?:INTO|UPDATE|FROM)\s+\"?([\w.]+)", re.IGNORECASE)


def describe_error(error: BaseException) -> str:
    """`Type: message`, short, without the offending values."""
    if isinstance(error, StatementError):
        # SQLAlchemy's text carries the statement's parameters and the driver's message
        # quotes values too (PostgreSQL's "Key (code)=(...) already exists"): name the
        # error classes and the table instead.
        found = _STATEMENT_TABLE.search(error.statement or "")
        driver = f" ({type(error.orig).__name__})" if error.orig is not None else ""
        table = f" on table {found.group(1)}" if found else ""
        text = f"{type(error).__name__}{driver}{table}"
    elif isinstance(error, ValidationError):
        # Pydantic's own text quotes the input values; keep only where and why.
        problems = "; ".join(
            f"{'.'.join(map(str, problem['loc'])) or '<root>'}: {problem['msg']}"
            for problem in error.errors(include_input=False, include_url=False)
        )
        text = f"ValidationError: {problems}"
    else:
        text = f"{type(error).__name__}: {error}"
    return text if len(text) <= MAX_ERROR_LENGTH else text[: MAX_ERROR_LENGTH - 1] + "…"


def dead_letter_headers(
    message: Message, *, error: BaseException, attempts: int, consumer_group: str
) -> list[tuple[str, bytes]]:
    original = [(name, value) for name, value in message.headers if not name.startswith(DLQ_PREFIX)]
    added = {
        "dlq_error": describe_error(error),
        "dlq_original_topic": message.topic,
        "dlq_original_partition": str(message.partition),
        "dlq_original_offset": str(message.offset),
        "dlq_attempts": str(attempts),
        "dlq_consumer_group": consumer_group,
        "dlq_failed_at": format_time(utcnow()),
    }
    return original + [(name, value.encode()) for name, value in added.items()]


async def publish_dead_letter(
    producer: Producer,
    *,
    topic: str,
    message: Message,
    error: BaseException,
    attempts: int,
    consumer_group: str,
) -> None:
    headers = dead_letter_headers(
        message, error=error, attempts=attempts, consumer_group=consumer_group
    )
    await producer.send(topic, key=message.key, value=message.value, headers=headers)


@dataclass(frozen=True, kw_only=True)
class DeadLetter:
    """A message on a dead-letter topic, with its origin and failure taken from the headers."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: Headers  # the original message's headers, without the dlq_* ones
    original_topic: str
    original_partition: int
    original_offset: int
    error: str
    attempts: int
    consumer_group: str
    failed_at: datetime | None
    event_id: str | None
    event_type: str | None

    @classmethod
    def from_message(cls, message: Message) -> DeadLetter:
        found = {name: value.decode(errors="replace") for name, value in message.headers}

        def number(name: str) -> int:
            return int(found.get(name) or -1)

        return cls(
            topic=message.topic,
            partition=message.partition,
            offset=message.offset,
            key=message.key,
            value=message.value,
            headers=tuple(
                (name, value) for name, value in message.headers if not name.startswith(DLQ_PREFIX)
            ),
            original_topic=found.get("dlq_original_topic", ""),
            original_partition=number("dlq_original_partition"),
            original_offset=number("dlq_original_offset"),
            error=found.get("dlq_error", ""),
            attempts=number("dlq_attempts"),
            consumer_group=found.get("dlq_consumer_group", ""),
            failed_at=parse_time(found["dlq_failed_at"]) if "dlq_failed_at" in found else None,
            event_id=found.get("ce_id"),
            event_type=found.get("ce_type"),
        )


async def read_dead_letters(
    broker: Broker, topic: str, *, limit: int = 100, timeout_s: float = 10.0
) -> list[DeadLetter]:
    """The oldest `limit` dead letters of `topic`; reads without a group, commits nothing."""
    reader = broker.consumer(
        topics=[topic], group_id=None, client_id=f"homeward-deadletters-{uuid.uuid4().hex[:8]}"
    )
    await reader.start()
    letters: list[DeadLetter] = []
    deadline = time.monotonic() + timeout_s
    try:
        while len(letters) < limit and time.monotonic() < deadline:
            batch = await reader.getmany(timeout_ms=200, max_records=limit - len(letters))
            letters.extend(DeadLetter.from_message(message) for message in batch)
            lag = await reader.lag()
            # An empty lag means partitions are not assigned yet: keep polling until the deadline.
            if not batch and lag and not any(lag.values()):
                break
            await asyncio.sleep(0)
    finally:
        await reader.stop()
    return letters[:limit]


async def replay_dead_letter(broker: Broker, dead_letter: DeadLetter) -> None:
    """Publish the original message again to its original topic.

    Every group on that topic receives it again; those that had processed it skip it by its
    event id (inbox), the one that failed gets another chance.
    """
    if not dead_letter.original_topic:
        raise ValueError("the dead letter does not name its original topic")
    producer = broker.producer(client_id="homeward-deadletter-replay")
    await producer.start()
    try:
        await producer.send(
            dead_letter.original_topic,
            key=dead_letter.key,
            value=dead_letter.value,
            headers=dead_letter.headers,
        )
    finally:
        await producer.stop()
