"""Sending queued emails, with bounded retries; the inbox stays the source of truth."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlmodel import col, select

from homeward.common.db import Database, utcnow
from homeward.common.metrics import EMAIL_DELIVERIES, EMAIL_OUTCOMES
from homeward.notifications.adapters.mailer import SmtpMailer
from homeward.notifications.adapters.tables import EmailRow
from homeward.notifications.domain.webhooks import retry_delay
from homeward.notifications.settings import NotificationsSettings
from homeward.notifications.workers.polling import claim_due

logger = logging.getLogger("homeward.notifications.email")
BATCH = 20


class EmailSender:
    def __init__(
        self, *, database: Database, settings: NotificationsSettings, mailer: SmtpMailer
    ) -> None:
        self.database = database
        self.settings = settings
        self.mailer = mailer
        for outcome in EMAIL_OUTCOMES:  # every outcome is a series from the start, at 0
            EMAIL_DELIVERIES.labels(outcome=outcome)

    async def run_once(self) -> int:
        if not self.mailer.configured:
            return 0
        sent = 0
        for email_id in await self._claim_due():
            await self._send(email_id)
            sent += 1
        return sent

    async def _claim_due(self) -> list[int]:
        now = utcnow()
        due = (
            select(EmailRow.id, EmailRow.next_attempt_at)
            .where(EmailRow.status == "pending", col(EmailRow.next_attempt_at) <= now)
            .order_by(col(EmailRow.id))
            .limit(BATCH)
        )
        async with self.database.transaction() as session:
            return await claim_due(
                session, EmailRow, due=due, lease_until=now + timedelta(minutes=2)
            )

    async def _send(self, email_id: int) -> None:
        async with self.database.sessions() as session:
            email = await session.get(EmailRow, email_id)
            assert email is not None
        error: str | None = None
        try:
            await self.mailer.send(to=email.address, subject=email.subject, body=email.body)
        except Exception as failure:  # any SMTP or network failure is retried later
            error = type(failure).__name__
            logger.warning("email %s not sent: %s", email_id, error)
        async with self.database.transaction() as session:
            email = await session.get(EmailRow, email_id)
            assert email is not None
            email.attempts += 1
            now = utcnow()
            if error is None:
                email.status, email.sent_at, email.next_attempt_at = "sent", now, None
                outcome = "sent"
            elif email.attempts >= self.settings.email_max_attempts:
                email.status, email.next_attempt_at, email.last_error = "failed", None, error
                outcome = "gave_up"
            else:
                outcome = "failed_attempt"
                delay = retry_delay(
                    email.attempts,
                    initial_s=self.settings.email_backoff_initial_s,
                    max_s=self.settings.email_backoff_max_s,
                )
                email.next_attempt_at, email.last_error = now + timedelta(seconds=delay), error
            session.add(email)
        EMAIL_DELIVERIES.labels(outcome=outcome).inc()  # never the address
