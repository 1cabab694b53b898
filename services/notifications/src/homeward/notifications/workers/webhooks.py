"""Delivering webhooks: sign, POST, record every attempt, retry with backoff and jitter,
disable a subscription whose deliveries keep failing and tell the agency and the admins.

Due deliveries are claimed with a conditional update (a lease on `next_attempt_at`), so
several replicas never send the same attempt twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta

import httpx
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from homeward.common.crypto import KeyRing
from homeward.common.db import Database, utcnow
from homeward.common.metrics import (
    WEBHOOK_ATTEMPT_DURATION,
    WEBHOOK_DELIVERIES,
    WEBHOOK_OUTCOMES,
)
from homeward.notifications.adapters.addresses import UrlPolicy
from homeward.notifications.adapters.tables import (
    DeliveryAttemptRow,
    DeliveryRow,
    SubscriptionRow,
)
from homeward.notifications.domain.content import Content
from homeward.notifications.domain.languages import WEBHOOK_DISABLED
from homeward.notifications.domain.scopes import PLATFORM_ADMINS, Recipient
from homeward.notifications.domain.webhooks import UnsafeTarget, retry_delay, sign
from homeward.notifications.handlers.dispatch import dispatch
from homeward.notifications.handlers.subscriptions import open_secret
from homeward.notifications.settings import NotificationsSettings
from homeward.notifications.workers.polling import claim_due

logger = logging.getLogger("homeward.notifications.webhooks")
BATCH = 20
USER_AGENT = "Homeward-Webhooks/1"


class WebhookDeliverer:
    def __init__(
        self,
        *,
        database: Database,
        settings: NotificationsSettings,
        keyring: KeyRing,
        policy: UrlPolicy,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.database = database
        self.settings = settings
        self.keyring = keyring
        self.policy = policy
        # No connection is reused: requests go to a checked address (see addresses.py), and a
        # pooled connection to an address is keyed by it alone, so one opened (and its TLS
        # verified) for one receiver's name could otherwise carry another's delivery.
        self.http = http or httpx.AsyncClient(
            timeout=settings.webhook_timeout_s,
            follow_redirects=False,
            limits=httpx.Limits(max_keepalive_connections=0),
        )

    async def run_once(self) -> int:
        """Attempt every due delivery once; returns how many were attempted."""
        claimed = await self._claim_due()
        await asyncio.gather(*(self._attempt(delivery_id) for delivery_id in claimed))
        return len(claimed)

    async def close(self) -> None:
        await self.http.aclose()

    async def _claim_due(self) -> list[str]:
        now = utcnow()
        lease_until = now + timedelta(seconds=self.settings.webhook_timeout_s + 30)
        due = (
            select(DeliveryRow.id, DeliveryRow.next_attempt_at)
            .join(SubscriptionRow, col(SubscriptionRow.id) == col(DeliveryRow.subscription_id))
            .where(
                DeliveryRow.status == "pending",
                col(DeliveryRow.next_attempt_at) <= now,
                SubscriptionRow.status == "active",
            )
            .order_by(col(DeliveryRow.next_attempt_at))
            .limit(BATCH)
        )
        async with self.database.transaction() as session:
            return await claim_due(session, DeliveryRow, due=due, lease_until=lease_until)

    async def _attempt(self, delivery_id: str) -> None:
        async with self.database.sessions() as session:
            delivery = await session.get(DeliveryRow, delivery_id)
            assert delivery is not None
            subscription = await session.get(SubscriptionRow, delivery.subscription_id)
            assert subscription is not None
            secret = open_secret(self.keyring, subscription)
            url = subscription.url
            body = delivery.payload.encode()
            agency = delivery.agency_id
        status_code: int | None = None
        error: str | None = None
        started = time.monotonic()
        try:
            target = await self.policy.target(url)
            timestamp = int(time.time())
            headers = {
                "host": target.host_header,
                "content-type": "application/json",
                "user-agent": USER_AGENT,
                "webhook-id": delivery_id,
                "webhook-timestamp": str(timestamp),
                "webhook-signature": sign(
                    secret=secret, message_id=delivery_id, timestamp=timestamp, body=body
                ),
            }
            response = await self.http.post(
                target.connect_url,
                content=body,
                headers=headers,
                extensions=target.request_extensions,
            )
            status_code = response.status_code
            if not 200 <= status_code < 300:
                error = f"receiver answered {status_code}"
        except UnsafeTarget as refused:
            error = f"refused target: {refused}"[:200]
        except httpx.HTTPError as failure:
            error = f"{type(failure).__name__}"[:200]
        elapsed = time.monotonic() - started
        WEBHOOK_ATTEMPT_DURATION.labels(agency=agency).observe(elapsed)
        await self._record(
            delivery_id, status_code=status_code, error=error, duration_ms=int(elapsed * 1000)
        )

    async def _record(
        self, delivery_id: str, *, status_code: int | None, error: str | None, duration_ms: int
    ) -> None:
        async with self.database.transaction() as session:
            delivery = await session.get(DeliveryRow, delivery_id)
            assert delivery is not None
            now = utcnow()
            delivery.attempts += 1
            delivery.last_status_code = status_code
            session.add(
                DeliveryAttemptRow(
                    delivery_id=delivery_id,
                    attempt=delivery.attempts,
                    attempted_at=now,
                    status_code=status_code,
                    error=error,
                    duration_ms=duration_ms,
                )
            )
            if error is None:
                delivery.status, delivery.delivered_at, delivery.next_attempt_at = (
                    "delivered", now, None
                )  # fmt: skip
                outcome = "delivered"
            elif delivery.attempts >= self.settings.webhook_max_attempts:
                delivery.status, delivery.next_attempt_at = "failed", None
                await self._disable(session, delivery=delivery)
                outcome = "gave_up"
            else:
                outcome = "failed_attempt"
                delay = retry_delay(
                    delivery.attempts,
                    initial_s=self.settings.webhook_backoff_initial_s,
                    max_s=self.settings.webhook_backoff_max_s,
                )
                delivery.next_attempt_at = now + timedelta(seconds=delay)
            session.add(delivery)
            agency = delivery.agency_id
        # Counted once the attempt is on record: labelled by agency, never by URL or case.
        # Every outcome of the agency exists from its first attempt, at 0, so that alerts
        # on `increase()` see the first give-up.
        for each in WEBHOOK_OUTCOMES:
            WEBHOOK_DELIVERIES.labels(agency=agency, outcome=each)
        WEBHOOK_DELIVERIES.labels(agency=agency, outcome=outcome).inc()

    async def _disable(self, session: AsyncSession, *, delivery: DeliveryRow) -> None:
        subscription = await session.get(SubscriptionRow, delivery.subscription_id)
        if subscription is None or subscription.status != "active":
            return
        now = utcnow()
        subscription.status, subscription.disabled_at = "disabled", now
        subscription.disabled_reason = f"delivery {delivery.id} failed {delivery.attempts} times"
        session.add(subscription)
        logger.warning("disabled webhook subscription %s", subscription.id)
        content = Content(
            event_type="homeward.webhook_subscription.disabled",
            summary=WEBHOOK_DISABLED,
            case_code=None,
            details={"subscription_id": subscription.id, "agency_id": subscription.agency_id},
            link=f"{self.settings.app_base_url.rstrip('/')}/webhooks/{subscription.id}",
        )
        await dispatch(
            session,
            event_id=f"subscription-disabled:{subscription.id}:{now.isoformat()}",
            content=content,
            recipients=[Recipient.agency(subscription.agency_id), PLATFORM_ADMINS],
        )
