"""Sending one email over SMTP with aiosmtplib."""

from __future__ import annotations

from email.header import Header
from email.mime.text import MIMEText

import aiosmtplib

from homeward.notifications.settings import NotificationsSettings


class SmtpMailer:
    def __init__(self, settings: NotificationsSettings) -> None:
        self.settings = settings

    @property
    def configured(self) -> bool:
        return bool(self.settings.smtp_host)

    async def send(self, *, to: str, subject: str, body: str) -> None:
        # The legacy message class: the modern one's folding drops the space between two
        # encoded words (a long Russian subject loses one), `Header` folds inside them.
        message = MIMEText(body, "plain", "utf-8")
        message["From"] = self.settings.smtp_sender
        message["To"] = to
        message["Subject"] = Header(subject, "utf-8")
        settings = self.settings
        await aiosmtplib.send(
            message,
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            start_tls=settings.smtp_starttls,
            username=settings.smtp_username or None,
            password=settings.smtp_password or None,
            timeout=30,
        )
