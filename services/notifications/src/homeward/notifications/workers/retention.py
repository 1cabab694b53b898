"""Storage limitation: how long notifications keeps what it has told.

Inbox items, their read receipts and the emails made from them go after
`notification_retention_days` (default 180): long enough to look back over a case's months
of support, not for ever, since even a case code is pseudonymous personal data. Finished
webhook deliveries (delivered or failed) and their attempt logs go after
`delivery_retention_days` (default 30), long enough to investigate or replay a partner's
outage; a pending delivery is never touched. Deleting is idempotent: every replica may prune.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, delete, select

from homeward.common.background import PeriodicTask
from homeward.common.db import Database, utcnow
from homeward.notifications.adapters.tables import (
    DeliveryAttemptRow,
    DeliveryRow,
    EmailRow,
    NotificationRow,
    ReceiptRow,
)
from homeward.notifications.settings import NotificationsSettings

logger = logging.getLogger("homeward.notifications.retention")
FINISHED = ("delivered", "failed")


@dataclass(frozen=True)
class Pruned:
    notifications: int
    deliveries: int


async def prune(
    database: Database, *, notified_before: datetime, finished_before: datetime
) -> Pruned:
    async with database.transaction() as session:
        old = select(NotificationRow.id).where(col(NotificationRow.created_at) < notified_before)
        await session.exec(delete(ReceiptRow).where(col(ReceiptRow.notification_id).in_(old)))
        await session.exec(delete(EmailRow).where(col(EmailRow.notification_id).in_(old)))
        notifications = await session.exec(
            delete(NotificationRow).where(col(NotificationRow.created_at) < notified_before)
        )
        finished = select(DeliveryRow.id).where(
            col(DeliveryRow.status).in_(FINISHED), col(DeliveryRow.created_at) < finished_before
        )
        await session.exec(
            delete(DeliveryAttemptRow).where(col(DeliveryAttemptRow.delivery_id).in_(finished))
        )
        deliveries = await session.exec(
            delete(DeliveryRow).where(
                col(DeliveryRow.status).in_(FINISHED),
                col(DeliveryRow.created_at) < finished_before,
            )
        )
    return Pruned(notifications.rowcount, deliveries.rowcount)


class NotificationsPruner(PeriodicTask):
    name = "notifications retention"

    def __init__(self, database: Database, settings: NotificationsSettings) -> None:
        super().__init__(interval_s=settings.retention_interval_s)
        self.database = database
        self.notification_retention = timedelta(days=settings.notification_retention_days)
        self.delivery_retention = timedelta(days=settings.delivery_retention_days)

    async def run_once(self) -> Pruned:
        now = utcnow()
        pruned = await prune(
            self.database,
            notified_before=now - self.notification_retention,
            finished_before=now - self.delivery_retention,
        )
        if pruned.notifications or pruned.deliveries:
            logger.info(
                "pruned notifications",
                extra={"notifications": pruned.notifications, "deliveries": pruned.deliveries},
            )
        return pruned
