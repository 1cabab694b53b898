"""Storage limitation: old inbox items (with receipts and emails) and finished webhook
deliveries (with their attempts) are pruned; fresh ones and pending deliveries stay."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select, update

from homeward.common.db import utcnow
from homeward.common.testing.kafka import wait_for
from homeward.notifications.adapters.tables import (
    DeliveryAttemptRow,
    DeliveryRow,
    EmailRow,
    NotificationRow,
    ReceiptRow,
)
from homeward.notifications.workers.retention import NotificationsPruner, Pruned
from tests.notifications.conftest import NotificationsHarness, fast_settings
from tests.notifications.helpers import (
    case_registered,
    publish,
    referral_event,
    webhook_receiver,
)


async def test_old_notifications_and_finished_deliveries_go_pending_ones_stay(
    notifications: NotificationsHarness,
) -> None:
    optin = {"address": "coordinator@riverton.example"}
    await notifications.call("coordinator.riverton", "PUT", "/v1/me/email", json=optin)
    async with webhook_receiver() as receiver:
        created = await notifications.call(
            "police-system", "POST", "/v1/webhooks/subscriptions", json={"url": receiver.url}
        )
        receiver.secret = created.json()["secret"]
        await publish(notifications.broker, *case_registered())
        # Work had started (no notice), then the referral was blocked and is unblocked now.
        await publish(notifications.broker, *referral_event("started"))
        await publish(notifications.broker, *referral_event("unblocked"))

        async def delivered() -> bool:
            return len(receiver.accepted) == 1

        await wait_for(delivered)
    [item] = await notifications.inbox("coordinator.riverton")
    path = f"/v1/notifications/{item['id']}/read"
    assert (await notifications.call("coordinator.riverton", "POST", path)).status_code == 200
    async with notifications.database.transaction() as session:
        [done] = (await session.exec(select(DeliveryRow))).all()
        pending = DeliveryRow(**{**done.model_dump(), "id": "msg_pending", "status": "pending"})
        session.add(pending)

    settings = fast_settings(notification_retention_days=180, delivery_retention_days=30)
    pruner = NotificationsPruner(notifications.database, settings)
    assert await pruner.run_once() == Pruned(notifications=0, deliveries=0)  # all fresh

    async with notifications.database.transaction() as session:
        old = utcnow() - timedelta(days=181)
        await session.exec(update(NotificationRow).values(created_at=old))
        await session.exec(update(DeliveryRow).values(created_at=old))
        notified = len((await session.exec(select(NotificationRow))).all())
        emailed = len((await session.exec(select(EmailRow))).all())
    assert notified >= 2 and emailed == 1  # the coordinator's (emailed) and the police's

    assert await pruner.run_once() == Pruned(notifications=notified, deliveries=1)
    assert await notifications.inbox("coordinator.riverton") == []
    async with notifications.database.sessions() as session:
        assert (await session.exec(select(ReceiptRow))).all() == []
        assert (await session.exec(select(EmailRow))).all() == []
        assert (await session.exec(select(DeliveryAttemptRow))).all() == []
        left = (await session.exec(select(DeliveryRow.id, DeliveryRow.status))).all()
    assert left == [("msg_pending", "pending")]  # never pruned before it is finished
