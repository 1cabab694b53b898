"""Pruning the event tables deletes only what can no longer matter."""

from __future__ import annotations

from datetime import timedelta

from event_helpers import probe_contracts, stage
from sqlmodel import col, select, update

from homeward.common.db import Database, utcnow
from homeward.common.events import EventTablePruner, OutboxRecord, ProcessedEvent
from homeward.common.testing.kafka import unique_topic


async def test_old_published_rows_and_old_inbox_rows_go_unpublished_rows_stay(
    database: Database,
) -> None:
    probes = probe_contracts(unique_topic("retention"))
    await stage(database, probes, case_id="case-a", sequences=range(4))
    now = utcnow()
    async with database.transaction() as session:
        rows = list(await session.exec(select(OutboxRecord).order_by(col(OutboxRecord.id))))
        # 0: published long ago; 1: published recently; 2 and 3: not yet published (one old).
        rows[0].published_at = now - timedelta(days=8)
        rows[1].published_at = now - timedelta(hours=1)
        session.add_all(rows[:2])
        await session.exec(
            update(OutboxRecord)
            .where(col(OutboxRecord.id) == rows[3].id)
            .values(time=now - timedelta(days=30))
        )
        for event_id, age in (("old", timedelta(days=31)), ("recent", timedelta(days=1))):
            session.add(
                ProcessedEvent(
                    consumer_group="g", event_id=event_id, topic="t", processed_at=now - age
                )
            )
    pruner = EventTablePruner(
        database,
        outbox_retention=timedelta(days=7),
        inbox_retention=timedelta(days=30),
        interval_s=3600,
    )

    assert await pruner.run_once() == (1, 1)
    assert await pruner.run_once() == (0, 0)
    async with database.session() as session:
        left = list(await session.exec(select(OutboxRecord.id).order_by(col(OutboxRecord.id))))
        inbox = list(await session.exec(select(ProcessedEvent.event_id)))
    assert left == [row.id for row in rows[1:]]
    assert inbox == ["recent"]
