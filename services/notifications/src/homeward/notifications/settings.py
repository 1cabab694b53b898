"""Settings of the notifications service (environment prefix `HOMEWARD_`)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, model_validator

from homeward.common.settings import CommonSettings, Environment


class NotificationsSettings(CommonSettings):
    service_name: ClassVar[str] = "notifications"

    # Where links in notifications point (the coordinator's web client).
    app_base_url: str = "http://127.0.0.1:8400/app"

    # Live stream: how often a connected client's query runs when no local commit woke it
    # (another replica wrote the notification), and how often a keep-alive comment is sent.
    stream_poll_interval_s: float = 1.0
    stream_keepalive_s: float = 15.0

    # Webhooks: retries spread over hours (60 s doubling, capped at 4 h: about 8 h in all).
    webhook_max_attempts: int = Field(default=10, ge=1)
    webhook_backoff_initial_s: float = 60.0
    webhook_backoff_max_s: float = 4 * 3600.0
    webhook_timeout_s: float = 10.0
    webhook_poll_interval_s: float = 1.0
    # Development and tests only: deliver to loopback receivers over plain http.
    webhook_allow_loopback: bool = False

    # Email over SMTP; empty host: email is not sent (opt-ins are kept).
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_sender: str = "Homeward <notifications@homeward.invalid>"
    email_max_attempts: int = Field(default=5, ge=1)
    email_backoff_initial_s: float = 30.0
    email_backoff_max_s: float = 1800.0
    email_poll_interval_s: float = 1.0
    # Storage limitation (workers/retention.py): inbox items with their receipts and emails,
    # then finished webhook deliveries with their attempt logs.
    notification_retention_days: int = Field(default=180, ge=1)
    delivery_retention_days: int = Field(default=30, ge=1)
    retention_interval_s: float = Field(default=3600.0, gt=0)

    @property
    def webhook_requires_https(self) -> bool:
        return self.environment is Environment.PRODUCTION

    @model_validator(mode="after")
    def _no_loopback_webhooks_in_production(self) -> NotificationsSettings:
        if self.environment is Environment.PRODUCTION and self.webhook_allow_loopback:
            raise ValueError("webhook_allow_loopback is a development setting")
        return self
