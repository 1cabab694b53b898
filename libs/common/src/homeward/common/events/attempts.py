"""Messages one at a time: each attempt, the retries of a failed one, its dead letter.

A malformed message, or data that does not fit its contract, can never succeed: it goes to
the dead-letter topic at once. A handler that fails holds back its partition (`holds.py`)
and is retried with exponential backoff; after `max_attempts` the message is dead-lettered
and the partition moves on. Database outages are retried without limit instead (see
`retry.is_infrastructure_failure`): they are not the message's fault.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence

from pydantic import ValidationError

from homeward.common.events.apply import BatchFailed, InboxApplier, Outcome
from homeward.common.events.broker import Message, Producer, TopicPartition
from homeward.common.events.deadletter import describe_error, publish_dead_letter
from homeward.common.events.envelope import CloudEvent, MalformedEvent
from homeward.common.events.holds import Hold, Holds
from homeward.common.events.retry import RetryPolicy, backoff_delay, is_infrastructure_failure
from homeward.common.metrics import DEAD_LETTERS, HANDLING_FAILURES

logger = logging.getLogger("homeward.events.consumer")

Completed = list[tuple[Message, Outcome]]


class Attempts:
    def __init__(
        self,
        applier: InboxApplier,
        *,
        service: str,
        dead_letter_topic: str,
        policy: RetryPolicy,
        stopping: asyncio.Event,
        pause: Callable[[float], Awaitable[bool]],
    ) -> None:
        self.applier = applier
        self.service = service
        self.group_id = applier.group_id
        self.dead_letter_topic = dead_letter_topic
        self.policy = policy
        self.holds = Holds()
        self.producer: Producer | None = None  # the consumer's, while it is open
        self._stopping = stopping
        self._pause = pause  # False when the consumer is stopping

    async def one_by_one(
        self, messages: Sequence[Message], batch: BatchFailed | None = None
    ) -> Completed:
        """Fresh messages; `batch`: they were first tried as a batch, which failed."""
        completed: Completed = []
        for message in messages:
            if self._stopping.is_set():
                break  # the rest is not committed, so it is redelivered to whoever comes next
            if (message.topic, message.partition) in self.holds:
                self.holds.absorb([message])  # behind an earlier failure of its partition
                continue
            if batch is not None and message == batch.failed:
                # Its first attempt was the failed batch: wait for the second, if any.
                if self.policy.gives_up_after(1):
                    outcome = await self._dead_letter(message, batch.error, attempts=1)
                    if outcome is not None:
                        completed.append((message, outcome))
                else:
                    self._hold_after(message, batch.error, attempts=0)
                continue
            if (outcome := await self._attempt(message)) is not None:
                completed.append((message, outcome))
        return completed

    async def retry(self, where: TopicPartition) -> Completed:
        """The held partition's messages, from its failing one, until one fails again."""
        held = self.holds.get(where)
        completed: Completed = []
        while held.messages and not self._stopping.is_set():
            message = held.messages[0]
            if (outcome := await self._attempt(message, held=held)) is None:
                return completed  # failed again: held, retried later
            held.messages.popleft()
            held.attempts = held.outages = 0
            completed.append((message, outcome))
        if not held.messages:
            self.holds.release(where)
        return completed

    async def _attempt(self, message: Message, *, held: Hold | None = None) -> Outcome | None:
        """One attempt at a message; None when it failed and its partition is now held
        (`held`: it already was, from this message on)."""
        try:
            cloud_event = CloudEvent.from_kafka(message.key, message.value, message.headers)
        except MalformedEvent as error:
            return await self._dead_letter(message, error, attempts=1)
        if (found := self.applier.handler_for(cloud_event)) is None:
            return Outcome.IGNORED
        handler, model = found
        try:
            contract = model.model_validate(cloud_event.data)
        except ValidationError as error:
            return await self._dead_letter(message, error, attempts=1)
        try:
            return await self.applier.apply_one(message, cloud_event, contract, handler)
        except Exception as error:
            cause = "database" if is_infrastructure_failure(error) else "handler"
            HANDLING_FAILURES.labels(self.service, self.group_id, message.topic, cause).inc()
            attempts = held.attempts if held else 0
            if cause == "handler" and self.policy.gives_up_after(attempts + 1):
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
        held = held or self.holds.hold(message)
        held.error = error
        if outage:
            held.outages += 1
            delay = backoff_delay(
                held.outages, initial_s=self.policy.initial_s, max_s=self.policy.max_s
            )
            logger.warning(
                "database unavailable handling %s[%d]@%d: %s; retrying in %.1fs",
                message.topic, message.partition, message.offset, describe_error(error), delay,
            )  # fmt: skip
        else:
            held.attempts = attempts + 1
            delay = self.policy.delay_after(held.attempts)
            logger.warning(
                "handling %s[%d]@%d failed, attempt %d of %d: %s; retrying in %.1fs (only "
                "this partition waits)",
                message.topic, message.partition, message.offset, held.attempts,
                self.policy.max_attempts, describe_error(error), delay,
            )  # fmt: skip
        held.due_at = time.monotonic() + delay

    async def _dead_letter(
        self, message: Message, error: BaseException, *, attempts: int
    ) -> Outcome | None:
        """None: the consumer stopped before the dead letter could be published."""
        assert self.producer is not None
        failures = 0
        while True:
            try:
                await publish_dead_letter(
                    self.producer,
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
                delay = backoff_delay(failures, initial_s=0.5, max_s=self.policy.max_s)
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
