"""Keeping the event tables small: published outbox rows and old inbox rows are deleted.

Only what can no longer matter goes: an outbox row once it is published (plus a grace period
for operators who look at what was sent), an inbox row once no broker can redeliver its event.
That second period must exceed the topics' retention, or a consumer that rewinds could apply
an event twice. Unpublished outbox rows are never touched. Deleting is idempotent, so every
replica may run a pruner.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlmodel import col, delete

from homeward.common.background import PeriodicTask
from homeward.common.db import Database, utcnow
from homeward.common.events.inbox import ProcessedEvent
from homeward.common.events.outbox import OutboxRecord
from homeward.common.idempotency import prune_idempotency_keys

logger = logging.getLogger("homeward.events.retention")


async def prune_event_tables(
    database: Database, *, published_before: datetime, processed_before: datetime
) -> tuple[int, int]:
    """Delete published outbox rows and inbox rows older than the given times."""
    async with database.transaction() as session:
        outbox = await session.exec(
            delete(OutboxRecord).where(
                col(OutboxRecord.published_at).is_not(None),
                col(OutboxRecord.published_at) < published_before,
            )
        )
        inbox = await session.exec(
            delete(ProcessedEvent).where(col(ProcessedEvent.processed_at) < processed_before)
        )
    return outbox.rowcount, inbox.rowcount


class EventTablePruner(PeriodicTask):
    """Prunes every `interval_s`; runs next to the relay in every service."""

    name = "event-table pruning"

    def __init__(
        self,
        database: Database,
        *,
        outbox_retention: timedelta,
        inbox_retention: timedelta,
        interval_s: float,
        idempotency_retention: timedelta | None = None,
    ) -> None:
        super().__init__(interval_s=interval_s)
        self.database = database
        self.outbox_retention = outbox_retention
        self.inbox_retention = inbox_retention
        # Services keep idempotency keys too (`homeward.common.idempotency`); tests of the
        # event tables alone have none.
        self.idempotency_retention = idempotency_retention

    async def run_once(self) -> tuple[int, int]:
        now = utcnow()
        outbox, inbox = await prune_event_tables(
            self.database,
            published_before=now - self.outbox_retention,
            processed_before=now - self.inbox_retention,
        )
        keys = 0
        if self.idempotency_retention is not None:
            keys = await prune_idempotency_keys(
                self.database, created_before=now - self.idempotency_retention
            )
        if outbox or inbox or keys:
            logger.info(
                "pruned event tables",
                extra={"outbox": outbox, "inbox": inbox, "idempotency_keys": keys},
            )
        return outbox, inbox
