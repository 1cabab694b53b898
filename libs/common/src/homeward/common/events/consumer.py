"""The consumer runner: idempotent event handling with bounded retries and dead letters.

Each poll's batch, in partition order:

1. Messages of a partition held back by an earlier failure queue behind it (`holds.py`).
2. The rest are applied in ONE database transaction, each handler's effect with the event's
   inbox row (`apply.py`); an event the inbox has is skipped, an event type this consumer
   has no handler for is skipped too (counted as `ignored`). Handlers are registered by
   contract class and receive the parsed contract of that class.
3. If anything in that transaction fails, it rolls back as a whole and the batch is replayed
   one message at a time, each in a transaction of its own (`attempts.py`), so a failing
   event never takes its neighbours down with it: it is retried, then dead-lettered.
4. Held partitions whose retry is due are tried again.
5. The Kafka offsets of the messages whose transactions committed are committed.

A crash anywhere before step 5 means redelivery, which the inbox turns into a no-op. Logs
the broker lost are noticed and read again from the earliest record (`positions.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Sequence

from homeward.common.db import Database
from homeward.common.events.apply import (
    BatchFailed,
    ContractHandler,
    Handler,
    HandlerMap,
    InboxApplier,
    Outcome,
)
from homeward.common.events.attempts import Attempts, Completed
from homeward.common.events.broker import Broker, CommitFailed, Consumer, Message, TopicPartition
from homeward.common.events.contracts import ContractRegistry, registry
from homeward.common.events.deadletter import describe_error
from homeward.common.events.positions import Positions
from homeward.common.events.retry import RetryPolicy, backoff_delay
from homeward.common.metrics import (
    BROKER_DATA_LOSS,
    DEAD_LETTERS,
    EVENTS_CONSUMED,
    HANDLING_FAILURES,
)

__all__ = ["ContractHandler", "EventConsumer", "Handler", "HandlerMap", "Outcome"]

logger = logging.getLogger("homeward.events.consumer")


class EventConsumer:
    def __init__(
        self,
        broker: Broker,
        database: Database,
        *,
        group_id: str,
        topics: Sequence[str],
        handlers: HandlerMap,
        dead_letter_topic: str,
        service: str,
        max_attempts: int = 5,
        backoff_initial_s: float = 0.2,
        backoff_max_s: float = 10.0,
        registry: ContractRegistry = registry,
        batch_size: int = 100,
        poll_timeout_ms: int = 500,
        lag_interval_s: float = 5.0,
        replay: bool = False,
    ) -> None:
        self.broker = broker
        self.group_id = group_id
        self.topics = tuple(topics)
        self.contracts = dict(handlers)
        self.service = service
        self.registry = registry
        self.batch_size = batch_size
        self.poll_timeout_ms = poll_timeout_ms
        self._check_wiring()
        self._consumer: Consumer | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self.applier = InboxApplier(
            database, group_id=group_id, handlers=self.contracts, registry=registry
        )
        self.attempts = Attempts(
            self.applier,
            service=service,
            dead_letter_topic=dead_letter_topic,
            policy=RetryPolicy(
                max_attempts=max_attempts, initial_s=backoff_initial_s, max_s=backoff_max_s
            ),
            stopping=self._stopping,
            pause=self._pause,
        )
        self.positions = Positions(
            service=service, group_id=group_id, lag_interval_s=lag_interval_s
        )
        # Replaying (`rebuild.py`): read every retained record without joining the group,
        # commit nothing, apply what the group's inbox does not have.
        self.replay = replay
        self.outcomes: Counter[Outcome] = Counter()

    def _check_wiring(self) -> None:
        """Wiring mistakes fail at start-up, not as silently ignored events."""
        for contract in self.contracts:
            event_type = getattr(contract, "event_type", None)
            model = self.registry.model_for(event_type) if event_type else None
            if model is not contract:
                raise ValueError(f"handler for unregistered contract {contract.__qualname__}")
            if model.topic not in self.topics:
                raise ValueError(
                    f"{event_type!r} is published on {model.topic!r}, which "
                    f"{self.group_id!r} does not subscribe to"
                )

    async def open(self) -> None:
        """Join the group without starting the loop (tests drive it with `run_once`)."""
        if self._consumer is not None:
            return
        client_id = f"{self.service}-{self.group_id}"
        consumer = self.broker.consumer(
            topics=self.topics, group_id=None if self.replay else self.group_id, client_id=client_id
        )
        producer = self.broker.producer(client_id=f"{client_id}-deadletters")
        await consumer.start()
        await producer.start()
        self._consumer, self.attempts.producer = consumer, producer
        self._stopping.clear()
        self._create_series()

    def _create_series(self) -> None:
        """The counters alerts watch for a first occurrence start at 0, so that `increase()`
        sees the first dead letter or failure (a series born at 1 shows no increase)."""
        BROKER_DATA_LOSS.labels(self.service, "consumer")
        for topic in self.topics:
            DEAD_LETTERS.labels(self.service, topic)
            EVENTS_CONSUMED.labels(self.service, self.group_id, topic, Outcome.HANDLED)
            for cause in ("handler", "database"):
                HANDLING_FAILURES.labels(self.service, self.group_id, topic, cause)

    async def close(self) -> None:
        """Leave the group without committing anything more."""
        consumer, producer = self._consumer, self.attempts.producer
        self._consumer = self.attempts.producer = None
        self.attempts.holds.clear()  # whoever reads these partitions next starts from the commits
        self.positions.forget_lag()
        if consumer is not None:
            await consumer.stop()
        if producer is not None:
            await producer.stop()

    async def start(self) -> None:
        await self.open()
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"consumer-{self.group_id}")

    async def stop(self, *, timeout_s: float = 30.0) -> None:
        """Finish the message in hand, commit what is done, leave the group."""
        self._stopping.set()
        task, self._task = self._task, None
        if task is not None:
            try:
                await asyncio.wait_for(task, timeout_s)
            except TimeoutError:
                logger.warning("consumer %s did not stop in %ss", self.group_id, timeout_s)
        await self.close()

    @property
    def retrying(self) -> bool:
        """Some partition waits for a failed message's next attempt."""
        return bool(self.attempts.holds)

    async def run_once(self, *, timeout_ms: int | None = None) -> int:
        """Fetch one batch, handle it and whatever retries are due, commit the offsets;
        returns the messages completed. Waits no longer than the next retry is due."""
        if self._consumer is None:
            raise RuntimeError("call open() or start() first")
        holds = self.attempts.holds
        wait_ms = self.poll_timeout_ms if timeout_ms is None else timeout_ms
        if (retry_in := holds.seconds_to_next()) is not None:
            wait_ms = min(wait_ms, int(retry_in * 1000))
        messages = await self._consumer.getmany(timeout_ms=wait_ms, max_records=self.batch_size)
        if self.positions.restarted(messages):
            # Records of other partitions may have been skipped too (a stale position served
            # by the new log, a commit the new broker took before the group rejoined): read
            # everything again from the earliest; the inbox skips what was applied.
            await self._consumer.rewind_all()
            holds.clear()
            return await self.run_once(timeout_ms=timeout_ms)  # from the earliest records
        completed = await self._handle(holds.absorb(messages))
        for where in holds.due():
            if self._stopping.is_set():
                break
            completed += await self.attempts.retry(where)
        next_offsets: dict[TopicPartition, int] = {}
        for message, outcome in completed:
            EVENTS_CONSUMED.labels(self.service, self.group_id, message.topic, outcome).inc()
            self.outcomes[outcome] += 1
            next_offsets[(message.topic, message.partition)] = message.offset + 1
        await self._commit(next_offsets)
        await self.positions.maybe_report(self._consumer)
        return len(completed)

    async def _handle(self, messages: Sequence[Message]) -> Completed:
        """Fresh messages: as one transaction if possible, else one by one."""
        if len(messages) < 2:
            return await self.attempts.one_by_one(messages)
        applied = await self.applier.apply_batch(messages, self._stopping)
        if isinstance(applied, list):
            return list(zip(messages, applied, strict=False))  # a prefix if stopped
        if isinstance(applied, BatchFailed):
            # Retries, dead letters and outage handling live in the one-by-one path; the
            # batch counts as the first attempt of the message that failed in it.
            if applied.failed is not None:
                topic = applied.failed.topic
                HANDLING_FAILURES.labels(self.service, self.group_id, topic, "handler").inc()
            logger.debug(
                "batch of %d fell back to one by one: %s",
                len(messages), describe_error(applied.error),
            )  # fmt: skip
        return await self.attempts.one_by_one(messages, applied)

    async def caught_up(self) -> bool:
        """A replay read every partition to its end (best effort: call after an empty poll,
        since Tansu may report an end below the last records)."""
        lags = await self._consumer.lag() if self._consumer is not None else {}
        return bool(lags) and not any(lags.values())

    async def _commit(self, offsets: dict[TopicPartition, int]) -> None:
        if not offsets or self._consumer is None or self.replay:
            return
        try:
            await self._consumer.commit(offsets)
            self.positions.committed(offsets)
        except CommitFailed as error:
            # Another member owns these partitions now and will redeliver; the inbox dedupes.
            logger.warning("offset commit failed for %s: %s", self.group_id, error)

    async def _run(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            try:
                await self.run_once()
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as error:
                failures += 1
                delay = backoff_delay(failures, initial_s=0.5, max_s=self.attempts.policy.max_s)
                logger.error(
                    "consumer %s failed: %s; retrying in %.1fs",
                    self.group_id, describe_error(error), delay,
                )  # fmt: skip
                await self._pause(delay)

    async def _pause(self, seconds: float) -> bool:
        """Sleep unless asked to stop; False when stopping."""
        await self.positions.maybe_report(self._consumer)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)
        return not self._stopping.is_set()
