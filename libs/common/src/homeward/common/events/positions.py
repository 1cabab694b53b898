"""Where a consumer is in its partitions: lost logs noticed, and the lag it reports.

A partition whose records start again below the offset this member committed there has
lost its log (the broker lost data, see `loss.py`); so has one whose log no longer holds
what the member read (a topic deleted and recreated: Tansu then serves nothing, not an
error). Both are logged loudly and counted, and the partitions are read again from the
earliest record (the broker's `auto_offset_reset`): the inbox skips what was applied.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Mapping, Sequence

from homeward.common.events.broker import Consumer, Message, TopicPartition
from homeward.common.metrics import BROKER_DATA_LOSS, CONSUMER_LAG

logger = logging.getLogger("homeward.events.consumer")


class Positions:
    def __init__(self, *, service: str, group_id: str, lag_interval_s: float) -> None:
        self.service = service
        self.group_id = group_id
        self.lag_interval_s = lag_interval_s
        self._committed: dict[TopicPartition, int] = {}  # what this member committed
        self._lag_partitions: set[TopicPartition] = set()
        self._lag_measured_at = float("-inf")

    def committed(self, offsets: Mapping[TopicPartition, int]) -> None:
        self._committed.update(offsets)

    def restarted(self, messages: Sequence[Message]) -> bool:
        """Logs and counts partitions that restarted below this member's commits."""
        restarted: dict[TopicPartition, int] = {}
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

    async def maybe_report(self, consumer: Consumer | None) -> None:
        """Measure lag at most every `lag_interval_s`: after busy and idle polls alike (an
        idle consumer must not keep showing the lag of its last burst), and while a message
        is being retried (lag then grows, which is what an operator must see)."""
        if time.monotonic() - self._lag_measured_at >= self.lag_interval_s:
            self._lag_measured_at = time.monotonic()
            if consumer is not None:
                await self._report(consumer)

    async def _report(self, consumer: Consumer) -> None:
        for topic, partition in await consumer.rewind_lost():
            BROKER_DATA_LOSS.labels(self.service, "consumer").inc()
            self._committed.pop((topic, partition), None)
            logger.error(
                "BROKER LOST DATA: %s[%d] no longer holds what %s read; reading it again "
                "from the earliest record (what the inbox knows is skipped)",
                topic, partition, self.group_id,
            )  # fmt: skip
        try:
            lags = await consumer.lag()
        except Exception:  # a metric must never stop consumption
            logger.debug("consumer lag unavailable", exc_info=True)
            return
        for (topic, partition), lag in lags.items():
            CONSUMER_LAG.labels(self.service, self.group_id, topic, str(partition)).set(lag)
        # Partitions now read by another member: their lag is that member's to report.
        self._forget_lag(self._lag_partitions - set(lags))
        self._lag_partitions = set(lags)

    def forget_lag(self) -> None:
        """Leaving the group: whoever reads these partitions next reports their lag."""
        self._forget_lag(self._lag_partitions)

    def _forget_lag(self, partitions: set[TopicPartition]) -> None:
        for topic, partition in partitions:
            with contextlib.suppress(KeyError):
                CONSUMER_LAG.remove(self.service, self.group_id, topic, str(partition))
        self._lag_partitions -= partitions
