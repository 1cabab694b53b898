"""The outbox relay: publishes committed outbox rows to Kafka, in order per key, and marks them.

Design, and why it is safe with several replicas on PostgreSQL:

- Each outbox row carries a lane, a stable hash of its key (`outbox.lane_for`); all events
  of one case share a lane. `event_outbox_lane` has one row per lane.
- A pass opens one transaction, locks up to `lanes_per_pass` lanes that have pending rows
  (`SELECT ... FOR UPDATE SKIP LOCKED`, oldest pending row first), reads the first
  `batch_size` pending rows of those lanes in id order, publishes them (acks=all), marks them
  published and commits, which releases the lanes. Another replica skips locked lanes and
  takes others, so two replicas never publish the same row, nor interleave one key: a lane is
  published by one replica at a time, always from its oldest pending row.
- Rows are taken in global id order, so the rows of a lane in a batch are always a prefix of
  that lane's backlog; a lane is never published out of order within or across passes.
- On SQLite there is one writer and one relay per database; the same statements run, the
  dialect simply renders no row locks, and the SELECTs take no write lock, so the service's
  own writes are not held up while a batch is on the wire.
- A crash (or a broker error) after publishing but before the commit leaves the rows pending;
  they are published again: delivery is at least once and consumers dedupe on the event id.

Before publishing (at most every `loss_check_interval_s`, and after any failed pass) the relay
checks that the broker still holds what it acknowledged; where it does not, it queues the
retained published rows of those topics again (`loss.py`). Each send's acknowledgements are
checked the same way.

The relay wakes right after a commit that staged outbox rows (an `after_commit` listener on
the database's own session class) and polls every `poll_interval_s` in case a wake-up was
missed (another process wrote the row, or the relay was busy). Broker errors are logged and
retried with backoff; they never end the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from sqlalchemy import event, func, update
from sqlalchemy.orm import Session
from sqlmodel import col, select

from homeward.common.db import Database, utcnow
from homeward.common.events.broker import Broker, OutgoingRecord, Producer
from homeward.common.events.deadletter import describe_error
from homeward.common.events.envelope import CloudEvent
from homeward.common.events.loss import (
    AcknowledgedMarks,
    emptied,
    published_topics,
    requeue_published,
)
from homeward.common.events.outbox import LANES, OUTBOX_STAGED, OutboxLane, OutboxRecord
from homeward.common.events.retry import backoff_delay
from homeward.common.metrics import (
    BROKER_DATA_LOSS,
    EVENTS_PUBLISHED,
    EVENTS_REQUEUED,
    OUTBOX_BACKLOG,
    OUTBOX_OLDEST_AGE,
    RELAY_FAILURES,
)

logger = logging.getLogger("homeward.events.relay")


class OutboxRelay:
    def __init__(
        self,
        database: Database,
        producer: Producer,
        source: str,
        *,
        batch_size: int = 200,
        poll_interval_s: float = 1.0,
        lanes_per_pass: int = LANES // 4,
        service: str | None = None,
        backoff_max_s: float = 30.0,
        backlog_interval_s: float = 5.0,
        broker: Broker | None = None,
        loss_check_interval_s: float = 1.0,
    ) -> None:
        self.database = database
        self.producer = producer
        self.source = source
        self.batch_size = batch_size
        self.poll_interval_s = poll_interval_s
        self.lanes_per_pass = lanes_per_pass
        # Metric label; by default the last part of the source ("/homeward/referrals").
        self.service = service or source.rstrip("/").rsplit("/", 1)[-1]
        self.backoff_max_s = backoff_max_s
        # The backlog gauge costs a COUNT: measured at most this often, not after every commit.
        self.backlog_interval_s = backlog_interval_s
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._listening = False
        self._backlog_measured_at = float("-inf")
        # Without a broker (tests of publishing alone) nothing is checked for loss.
        self.broker = broker
        self.loss_check_interval_s = loss_check_interval_s
        self._marks = AcknowledgedMarks()
        self._published_topics: set[str] | None = None  # read from the outbox at first check
        self._loss_checked_at = float("-inf")
        RELAY_FAILURES.labels(service=self.service)  # at 0 from the start, for increase()
        EVENTS_REQUEUED.labels(service=self.service)
        BROKER_DATA_LOSS.labels(self.service, "relay")

    async def start(self) -> None:
        """Start publishing in the background (the producer must be started)."""
        if self._task is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._stopping.clear()
        self.listen_for_commits()
        self._task = asyncio.create_task(self._run(), name=f"outbox-relay-{self.service}")

    async def stop(self, *, timeout_s: float = 10.0) -> None:
        """Finish the pass in hand (bounded by `timeout_s`), then stop."""
        self._stopping.set()
        self._wake.set()
        self.stop_listening()
        task, self._task = self._task, None
        if task is None:
            return
        try:
            await asyncio.wait_for(task, timeout_s)
        except TimeoutError:
            logger.warning("outbox relay did not finish its pass in %ss; cancelled", timeout_s)

    def wake(self) -> None:
        """Publish now rather than at the next poll. Safe to call from any thread."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._wake.set()
        else:
            loop.call_soon_threadsafe(self._wake.set)

    def listen_for_commits(self) -> None:
        if not self._listening:
            event.listen(self.database.session_class, "after_commit", self._after_commit)
            event.listen(self.database.session_class, "after_rollback", self._after_rollback)
            self._listening = True

    def stop_listening(self) -> None:
        if self._listening:
            event.remove(self.database.session_class, "after_commit", self._after_commit)
            event.remove(self.database.session_class, "after_rollback", self._after_rollback)
            self._listening = False

    async def publish_pending(self) -> int:
        """Publish until nothing is pending (or every pending lane is held by another relay)."""
        published = 0
        try:
            await self._recover_lost_records()
            more = True
            while more and not self._stopping.is_set():
                count, more = await self._publish_one_batch()
                published += count
        finally:
            if time.monotonic() - self._backlog_measured_at >= self.backlog_interval_s:
                await self._update_backlog()
        return published

    async def _publish_one_batch(self) -> tuple[int, bool]:
        """Publish the oldest pending rows of some lanes; says whether more may be pending.

        A batch that was not full, from fewer lanes than a pass may take, left nothing behind
        in any lane: skipping the confirming empty pass saves a transaction per commit.
        """
        async with self.database.transaction() as session:
            lanes = list(await session.exec(self._lock_pending_lanes()))
            if not lanes:
                return 0, False
            rows = list(
                await session.exec(
                    select(OutboxRecord)
                    .where(col(OutboxRecord.lane).in_(lanes))
                    .where(col(OutboxRecord.published_at).is_(None))
                    .order_by(col(OutboxRecord.id))
                    .limit(self.batch_size)
                )
            )
            if not rows:
                return 0, False
            delivered = await self.producer.send_batch([self._record(row) for row in rows])
            await session.exec(
                update(OutboxRecord)
                .where(col(OutboxRecord.id).in_([row.id for row in rows]))
                .values(published_at=utcnow())
            )
            if shrunk := self._marks.record(delivered):
                # Too late to keep this batch behind what went before it; everything of
                # these topics goes out again, in order, right after it.
                await self._requeue(session, shrunk)
        if self._published_topics is not None:
            self._published_topics.update(row.topic for row in rows)
        for row in rows:
            EVENTS_PUBLISHED.labels(service=self.service, topic=row.topic).inc()
        more = len(rows) == self.batch_size or len(lanes) == self.lanes_per_pass or bool(shrunk)
        return len(rows), more

    async def _recover_lost_records(self) -> None:
        """Queue again what the broker lost (see `loss.py` for the signals)."""
        due = time.monotonic() - self._loss_checked_at >= self.loss_check_interval_s
        if self.broker is None or not due:
            return
        if self._published_topics is None:
            async with self.database.sessions() as session:
                self._published_topics = await published_topics(session)
        watched = self._published_topics | self._marks.topics
        if not watched:
            self._loss_checked_at = time.monotonic()
            return
        ends = await self.broker.end_offsets(sorted(watched))
        shrunk = self._marks.shrunk(ends)
        unmarked = emptied(self._published_topics - self._marks.topics, ends)
        if shrunk or unmarked:
            async with self.database.transaction() as session:
                if shrunk:
                    await self._requeue(session, shrunk)
                if unmarked:
                    empty = dict.fromkeys(unmarked, "empty or gone")
                    await self._requeue(session, empty, quiet=True)
        self._loss_checked_at = time.monotonic()

    async def _requeue(self, session: Any, topics: dict[str, str], *, quiet: bool = False) -> None:
        """`topics`: what shows each lost data. `quiet`: nothing is reported when nothing
        needed queuing (an empty topic whose rows are queued already is no new loss)."""
        count = await requeue_published(session, topics=topics)
        self._marks.forget(topics)
        if quiet and not count:
            return
        BROKER_DATA_LOSS.labels(self.service, "relay").inc()
        EVENTS_REQUEUED.labels(service=self.service).inc(count)
        signals = "; ".join(f"{topic}: {signal}" for topic, signal in sorted(topics.items()))
        logger.error(
            "BROKER LOST DATA (%s); %d retained outbox event(s) queued to be published again, "
            "in order per key", signals, count,
        )  # fmt: skip

    def _lock_pending_lanes(self) -> Any:
        unpublished = col(OutboxRecord.published_at).is_(None)
        pending = (col(OutboxRecord.lane) == col(OutboxLane.lane)) & unpublished
        oldest_pending = select(func.min(OutboxRecord.id)).where(pending).scalar_subquery()
        return (
            select(OutboxLane.lane)
            .where(select(OutboxRecord.id).where(pending).exists())
            .order_by(oldest_pending)
            .limit(self.lanes_per_pass)
            .with_for_update(skip_locked=True, of=OutboxLane)
        )

    def _record(self, row: OutboxRecord) -> OutgoingRecord:
        cloud_event = CloudEvent(
            id=row.event_id,
            type=row.type,
            source=self.source,
            subject=row.subject,
            time=row.time,
            key=row.key,
            data=row.data,
            traceparent=row.traceparent,
        )
        record = cloud_event.to_kafka()
        return OutgoingRecord(
            topic=row.topic, key=record.key, value=record.value, headers=tuple(record.headers)
        )

    async def _update_backlog(self) -> None:
        self._backlog_measured_at = time.monotonic()
        try:
            async with self.database.sessions() as session:
                pending, oldest = (
                    await session.exec(
                        select(func.count(), func.min(OutboxRecord.time)).where(
                            col(OutboxRecord.published_at).is_(None)
                        )
                    )
                ).one()
            # `time` is when the row was staged (`add_event`): its age is the publishing delay.
            age = (utcnow() - oldest).total_seconds() if oldest is not None else 0.0
            OUTBOX_BACKLOG.labels(service=self.service).set(pending)
            OUTBOX_OLDEST_AGE.labels(service=self.service).set(max(age, 0.0))
        except Exception:  # a metric must never break publishing
            logger.debug("could not measure the outbox backlog", exc_info=True)

    async def _run(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                await self.publish_pending()
                failures = 0
                await self._wait(self.poll_interval_s, wake_early=True)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                failures += 1
                self._loss_checked_at = float("-inf")  # the broker may be another one now
                RELAY_FAILURES.labels(service=self.service).inc()
                delay = backoff_delay(
                    failures, initial_s=min(0.5, self.backoff_max_s), max_s=self.backoff_max_s
                )
                logger.error(
                    "outbox relay failed (%d): %s; retrying in %.1fs",
                    failures, describe_error(error), delay,
                )  # fmt: skip
                # A commit must not cut the backoff short: only a stop does.
                await self._wait(delay, wake_early=False)

    async def _wait(self, seconds: float, *, wake_early: bool) -> None:
        signal = self._wake if wake_early else self._stopping
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(signal.wait(), seconds)

    def _after_commit(self, session: Session) -> None:
        if session.info.pop(OUTBOX_STAGED, False):
            self.wake()

    def _after_rollback(self, session: Session) -> None:
        session.info.pop(OUTBOX_STAGED, None)
