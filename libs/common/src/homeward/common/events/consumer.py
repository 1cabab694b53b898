"""The consumer runner: idempotent event handling with bounded retries and dead letters.

For each message, in partition order:

1. Parse the CloudEvent. A malformed message, or data that does not fit its contract, can
   never succeed: it goes to the dead-letter topic at once.
2. An event type this consumer has no handler for is skipped (counted as `ignored`).
   Handlers are registered by contract class and receive the parsed contract of that class.
3. In ONE database transaction: skip the event if the inbox has it, run the handler (which
   may stage events with `add_event` in the same session), record the event in the inbox,
   commit. A failure rolls everything back and is retried with exponential backoff; after
   `max_attempts` the message is dead-lettered and the partition moves on. Database outages
   are retried without limit instead (see `retry.is_infrastructure_failure`).
4. After the batch, commit the Kafka offsets of the messages whose transactions committed.

Step 3 first tries the whole batch in one transaction (one commit instead of one per event,
which is what bounds throughput on a real disk). If anything in it fails, that transaction
rolls back as a whole and the batch is replayed one message at a time as described above,
so a failing event never takes its neighbours down with it.

A crash anywhere before step 4 means redelivery, which the inbox turns into a no-op.

A partition whose records start again below the offset this consumer committed there has
lost its log (the broker lost data, see `loss.py`): that is logged loudly and counted, and
the consumer reads on from the earliest record (the broker's `auto_offset_reset`), applying
only what its inbox does not know.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import ValidationError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from homeward.common.db import Database, utcnow
from homeward.common.events.broker import Broker, CommitFailed, Consumer, Message, Producer
from homeward.common.events.contracts import ContractRegistry, EventContract, registry
from homeward.common.events.deadletter import describe_error, publish_dead_letter
from homeward.common.events.envelope import CloudEvent, MalformedEvent
from homeward.common.events.holds import Hold, Holds
from homeward.common.events.inbox import ProcessedEvent
from homeward.common.events.retry import RetryPolicy, backoff_delay, is_infrastructure_failure
from homeward.common.metrics import (
    BROKER_DATA_LOSS,
    CONSUMER_LAG,
    DEAD_LETTERS,
    EVENTS_CONSUMED,
    HANDLING_FAILURES,
)
from homeward.common.tracing import TraceContext, current_trace

logger = logging.getLogger("homeward.events.consumer")

# A member that got nothing this long after a failed commit joins its group again.
STALL_REOPEN_S = 20.0

C = TypeVar("C", bound=EventContract)
# A handler of contract C: it gets the parsed contract (typed) and the envelope's metadata.
ContractHandler = Callable[[AsyncSession, C, CloudEvent], Awaitable[None]]
Handler = ContractHandler[Any]
# How every service registers its handlers: keyed by the contract class they handle.
HandlerMap = Mapping[type[EventContract], Handler]


class Outcome(StrEnum):
    HANDLED = "handled"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"
    DEAD_LETTERED = "dead_lettered"


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
        self.database = database
        self.group_id = group_id
        self.topics = tuple(topics)
        self.contracts = dict(handlers)
        # What the loop looks up per message, by the CloudEvent's type.
        self.handlers = {
            getattr(contract, "event_type", contract.__qualname__): handler
            for contract, handler in self.contracts.items()
        }
        self.dead_letter_topic = dead_letter_topic
        self.service = service
        self.retry_policy = RetryPolicy(
            max_attempts=max_attempts, initial_s=backoff_initial_s, max_s=backoff_max_s
        )
        self.registry = registry
        self.batch_size = batch_size
        self.poll_timeout_ms = poll_timeout_ms
        self.lag_interval_s = lag_interval_s
        self._check_wiring()
        self._consumer: Consumer | None = None
        self._producer: Producer | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._lag_measured_at = float("-inf")
        self._lag_partitions: set[tuple[str, int]] = set()
        self._committed: dict[tuple[str, int], int] = {}  # what this member committed
        self._failed_in_batch: Message | None = None
        self._batch_error: BaseException | None = None
        self._holds = Holds()
        self._stalled_since: float | None = None  # since a failed commit, nothing arrived
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
        self._consumer, self._producer = consumer, producer
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
        consumer, producer = self._consumer, self._producer
        self._consumer = self._producer = None
        self._holds.clear()  # whoever reads these partitions next starts from the commits
        self._forget_lag(self._lag_partitions)
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
        return bool(self._holds)

    async def run_once(self, *, timeout_ms: int | None = None) -> int:
        """Fetch one batch, handle it and whatever retries are due, commit the offsets;
        returns the messages completed. Waits no longer than the next retry is due."""
        if self._consumer is None:
            raise RuntimeError("call open() or start() first")
        wait_ms = self.poll_timeout_ms if timeout_ms is None else timeout_ms
        if (retry_in := self._holds.seconds_to_next()) is not None:
            wait_ms = min(wait_ms, int(retry_in * 1000))
        if self._stalled_since and time.monotonic() - self._stalled_since > STALL_REOPEN_S:
            await self._reconnect()
        messages = await self._consumer.getmany(timeout_ms=wait_ms, max_records=self.batch_size)
        if messages:
            self._stalled_since = None
        if self._notice_lost_logs(messages):
            # Records of other partitions may have been skipped too (a stale position served
            # by the new log, a commit the new broker took before the group rejoined): read
            # everything again from the earliest; the inbox skips what was applied.
            await self._consumer.rewind_all()
            self._holds.clear()
            return await self.run_once(timeout_ms=timeout_ms)  # from the earliest records
        fresh = self._holds.absorb(messages)
        next_offsets: dict[tuple[str, int], int] = {}
        completed = await self._handle(fresh, next_offsets)
        for where in self._holds.due():
            if self._stopping.is_set():
                break
            completed += await self._retry(where, next_offsets)
        await self._commit(next_offsets)
        await self._maybe_report_lag()
        return completed

    async def _handle(
        self, messages: Sequence[Message], next_offsets: dict[tuple[str, int], int]
    ) -> int:
        """Fresh messages: as one transaction if possible, else one by one."""
        if len(messages) > 1 and (outcomes := await self._apply_batch(messages)):
            for message, outcome in zip(messages, outcomes, strict=False):  # a prefix if stopped
                self._completed(message, outcome, next_offsets)
            return len(outcomes)
        failed, self._failed_in_batch = self._failed_in_batch, None
        completed = 0
        for message in messages:
            if self._stopping.is_set():
                break  # the rest is not committed, so it is redelivered to whoever comes next
            if (message.topic, message.partition) in self._holds:
                self._holds.absorb([message])  # behind an earlier failure of its partition
                continue
            if message == failed and self._batch_error is not None:
                # Its first attempt was the failed batch: wait for the second, if any.
                if self.retry_policy.gives_up_after(1):
                    outcome = await self._dead_letter(message, self._batch_error, attempts=1)
                    if outcome is not None:
                        self._completed(message, outcome, next_offsets)
                        completed += 1
                else:
                    self._hold_after(message, self._batch_error, attempts=0)
                continue
            outcome = await self._process(message)
            if isinstance(outcome, Outcome):
                self._completed(message, outcome, next_offsets)
                completed += 1
        return completed

    async def _retry(self, where: tuple[str, int], next_offsets: dict[tuple[str, int], int]) -> int:
        """The held partition's messages, from its failing one, until one fails again."""
        held = self._holds.get(where)
        completed = 0
        while held.messages and not self._stopping.is_set():
            message = held.messages[0]
            outcome = await self._process(message, held=held)
            if outcome is None:
                return completed  # failed again: held, retried later
            held.messages.popleft()
            held.attempts = held.outages = 0
            self._completed(message, outcome, next_offsets)
            completed += 1
        if not held.messages:
            self._holds.release(where)
        return completed

    def _completed(
        self, message: Message, outcome: Outcome, next_offsets: dict[tuple[str, int], int]
    ) -> None:
        EVENTS_CONSUMED.labels(self.service, self.group_id, message.topic, outcome).inc()
        self.outcomes[outcome] += 1
        next_offsets[(message.topic, message.partition)] = message.offset + 1

    async def _process(self, message: Message, *, held: Hold | None = None) -> Outcome | None:
        """One attempt at a message; None when it failed and its partition is now held
        (`held`: it already was, from this message on)."""
        try:
            cloud_event = CloudEvent.from_kafka(message.key, message.value, message.headers)
        except MalformedEvent as error:
            return await self._dead_letter(message, error, attempts=1)
        handler = self.handlers.get(cloud_event.type)
        model = self.registry.model_for(cloud_event.type)
        if handler is None or model is None:
            return Outcome.IGNORED
        try:
            contract = model.model_validate(cloud_event.data)
        except ValidationError as error:
            return await self._dead_letter(message, error, attempts=1)
        try:
            return await self._apply(message, cloud_event, contract, handler)
        except Exception as error:
            cause = "database" if is_infrastructure_failure(error) else "handler"
            HANDLING_FAILURES.labels(self.service, self.group_id, message.topic, cause).inc()
            attempts = held.attempts if held else 0
            if cause == "handler" and self.retry_policy.gives_up_after(attempts + 1):
                return await self._dead_letter(message, error, attempts=attempts + 1)
            outage = cause == "database"
            self._hold_after(message, error, attempts=attempts, held=held, outage=outage)
            return None

    def _hold_after(
        self,
        message: Message,
        error: BaseException | None,
        *,
        attempts: int,
        held: Hold | None = None,
        outage: bool = False,
    ) -> None:
        """Hold `message`'s partition after a failed attempt (the failure counts unless it
        was the database's), with the backoff of the next attempt."""
        held = held or self._holds.hold(message)
        held.error = error
        if outage:
            held.outages += 1
            delay = backoff_delay(
                held.outages, initial_s=self.retry_policy.initial_s, max_s=self.retry_policy.max_s
            )
            logger.warning(
                "database unavailable handling %s[%d]@%d: %s; retrying in %.1fs",
                message.topic, message.partition, message.offset, describe_error(error), delay,
            )  # fmt: skip
        else:
            held.attempts = attempts + 1
            delay = self.retry_policy.delay_after(held.attempts)
            logger.warning(
                "handling %s[%d]@%d failed, attempt %d of %d: %s; retrying in %.1fs (only "
                "this partition waits)",
                message.topic, message.partition, message.offset, held.attempts,
                self.retry_policy.max_attempts, describe_error(error), delay,
            )  # fmt: skip
        held.due_at = time.monotonic() + delay

    async def _apply_batch(self, messages: Sequence[Message]) -> list[Outcome] | None:
        """The batch in one transaction (a prefix of it when stopping), or None to go one
        by one."""
        outcomes: list[Outcome] = []
        self._failed_in_batch = self._batch_error = None
        try:
            events = [CloudEvent.from_kafka(m.key, m.value, m.headers) for m in messages]
        except MalformedEvent:
            return None  # dead-lettered by the one-by-one path
        try:
            async with self.database.transaction() as session:
                # One query for the whole batch's inbox instead of one per event.
                seen = set(
                    await session.exec(
                        select(ProcessedEvent.event_id).where(
                            ProcessedEvent.consumer_group == self.group_id,
                            col(ProcessedEvent.event_id).in_([e.id for e in events]),
                        )
                    )
                )
                for message, cloud_event in zip(messages, events, strict=True):
                    if self._stopping.is_set():
                        break  # commit what is done; the rest goes to the next member
                    handler = self.handlers.get(cloud_event.type)
                    model = self.registry.model_for(cloud_event.type)
                    if handler is None or model is None:
                        outcomes.append(Outcome.IGNORED)
                        continue
                    if cloud_event.id in seen:
                        outcomes.append(Outcome.DUPLICATE)
                        continue
                    contract = model.model_validate(cloud_event.data)
                    trace = current_trace.set(TraceContext.continue_from(cloud_event.traceparent))
                    try:
                        await handler(session, contract, cloud_event)
                    finally:
                        current_trace.reset(trace)
                    session.add(self._inbox_row(message, cloud_event))
                    seen.add(cloud_event.id)
                    outcomes.append(Outcome.HANDLED)
        except Exception as error:
            # Retries, dead letters and outage handling live in the one-by-one path; the
            # batch counts as the first attempt of the message that failed in it.
            if not is_infrastructure_failure(error) and len(outcomes) < len(messages):
                failed = messages[len(outcomes)]
                self._failed_in_batch, self._batch_error = failed, error
                HANDLING_FAILURES.labels(self.service, self.group_id, failed.topic, "handler").inc()
            logger.debug(
                "batch of %d fell back to one by one: %s", len(messages), describe_error(error)
            )
            return None
        return outcomes

    def _inbox_row(self, message: Message, cloud_event: CloudEvent) -> ProcessedEvent:
        return ProcessedEvent(
            consumer_group=self.group_id,
            event_id=cloud_event.id,
            topic=message.topic,
            processed_at=utcnow(),
        )

    async def _apply(
        self, message: Message, cloud_event: CloudEvent, contract: EventContract, handler: Handler
    ) -> Outcome:
        trace = current_trace.set(TraceContext.continue_from(cloud_event.traceparent))
        try:
            async with self.database.transaction() as session:
                inbox_key = {"consumer_group": self.group_id, "event_id": cloud_event.id}
                if await session.get(ProcessedEvent, inbox_key) is not None:
                    return Outcome.DUPLICATE
                await handler(session, contract, cloud_event)
                session.add(self._inbox_row(message, cloud_event))
            return Outcome.HANDLED
        finally:
            current_trace.reset(trace)

    async def _dead_letter(
        self, message: Message, error: BaseException, *, attempts: int
    ) -> Outcome | None:
        assert self._producer is not None
        failures = 0
        while True:
            try:
                await publish_dead_letter(
                    self._producer,
                    topic=self.dead_letter_topic,
                    message=message,
                    error=error,
                    attempts=attempts,
                    consumer_group=self.group_id,
                )
                break
            except Exception:
                # Without the dead letter we may not move on: the message would be lost.
                failures += 1
                delay = backoff_delay(failures, initial_s=0.5, max_s=self.retry_policy.max_s)
                logger.exception("could not publish a dead letter; retrying in %.1fs", delay)
                if not await self._pause(delay):
                    return None
        DEAD_LETTERS.labels(self.service, message.topic).inc()
        logger.error(
            "dead-lettered %s[%d]@%d after %d attempt(s) to %s: %s",
            message.topic, message.partition, message.offset, attempts,
            self.dead_letter_topic, describe_error(error),
        )  # fmt: skip
        return Outcome.DEAD_LETTERED

    def _notice_lost_logs(self, messages: Sequence[Message]) -> bool:
        """Logs and counts partitions that restarted below this member's commits."""
        restarted: dict[tuple[str, int], int] = {}
        for message in messages:
            where = (message.topic, message.partition)
            if message.offset < self._committed.get(where, 0) and where not in restarted:
                restarted[where] = message.offset
        for (topic, partition), offset in restarted.items():
            BROKER_DATA_LOSS.labels(self.service, "consumer").inc()
            logger.error(
                "BROKER LOST DATA: %s[%d] restarts at offset %d, below the %d %s committed; "
                "reading on from there (what the inbox knows is skipped)",
                topic, partition, offset, self._committed.pop((topic, partition)), self.group_id,
            )  # fmt: skip
        if restarted:
            self._committed.clear()
        return bool(restarted)

    async def _reconnect(self) -> None:
        """A member that got nothing since a failed commit may be stuck rejoining a broker
        that restarted: join again with a new client (resuming from the group's commits)."""
        logger.warning(
            "consumer %s got nothing for %ss since a failed commit; joining the group again",
            self.group_id, STALL_REOPEN_S,
        )  # fmt: skip
        stale, self._stalled_since = self._consumer, None
        if stale is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(stale.stop(), 10)
        self._holds.clear()
        self._committed.clear()
        client_id = f"{self.service}-{self.group_id}"
        consumer = self.broker.consumer(
            topics=self.topics, group_id=self.group_id, client_id=client_id
        )
        await consumer.start()
        self._consumer = consumer

    async def caught_up(self) -> bool:
        """A replay read every partition to its end (best effort: call after an empty poll,
        since Tansu may report an end below the last records)."""
        lags = await self._consumer.lag() if self._consumer is not None else {}
        return bool(lags) and not any(lags.values())

    async def _commit(self, offsets: dict[tuple[str, int], int]) -> None:
        if not offsets or self._consumer is None or self.replay:
            return
        try:
            await self._consumer.commit(offsets)
            self._committed.update(offsets)
            self._stalled_since = None
        except CommitFailed as error:
            self._stalled_since = self._stalled_since or time.monotonic()
            # Another member owns these partitions now and will redeliver; the inbox dedupes.
            logger.warning("offset commit failed for %s: %s", self.group_id, error)

    async def _maybe_report_lag(self) -> None:
        """Measure lag at most every `lag_interval_s`: after busy and idle polls alike (an
        idle consumer must not keep showing the lag of its last burst), and while a message
        is being retried (lag then grows, which is what an operator must see)."""
        if time.monotonic() - self._lag_measured_at >= self.lag_interval_s:
            self._lag_measured_at = time.monotonic()
            await self._report_lag()

    async def _report_lag(self) -> None:
        if self._consumer is None:
            return
        for topic, partition in await self._consumer.rewind_lost():
            BROKER_DATA_LOSS.labels(self.service, "consumer").inc()
            self._committed.pop((topic, partition), None)
            logger.error(
                "BROKER LOST DATA: %s[%d] no longer holds what %s read; reading it again "
                "from the earliest record (what the inbox knows is skipped)",
                topic, partition, self.group_id,
            )  # fmt: skip
        try:
            lags = await self._consumer.lag()
        except Exception:  # a metric must never stop consumption
            logger.debug("consumer lag unavailable", exc_info=True)
            return
        for (topic, partition), lag in lags.items():
            CONSUMER_LAG.labels(self.service, self.group_id, topic, str(partition)).set(lag)
        # Partitions now read by another member: their lag is that member's to report.
        self._forget_lag(self._lag_partitions - set(lags))
        self._lag_partitions = set(lags)

    def _forget_lag(self, partitions: set[tuple[str, int]]) -> None:
        for topic, partition in partitions:
            with contextlib.suppress(KeyError):
                CONSUMER_LAG.remove(self.service, self.group_id, topic, str(partition))
        self._lag_partitions -= partitions

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
                delay = backoff_delay(failures, initial_s=0.5, max_s=self.retry_policy.max_s)
                logger.error(
                    "consumer %s failed: %s; retrying in %.1fs",
                    self.group_id, describe_error(error), delay,
                )  # fmt: skip
                await self._pause(delay)

    async def _pause(self, seconds: float) -> bool:
        """Sleep unless asked to stop; False when stopping."""
        await self._maybe_report_lag()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)
        return not self._stopping.is_set()
