"""Wiring of the notifications service: the one place that builds its app from its adapters."""

from __future__ import annotations

import logging
from typing import Any

import httpx
from fastapi import FastAPI

import homeward.common.contracts  # noqa: F401  (registers the event contracts we consume)
from homeward.common.audit import audit_router
from homeward.common.contracts.documents import DOCUMENTS_RECORDS_TOPIC
from homeward.common.contracts.intake import INTAKE_CASES_TOPIC
from homeward.common.contracts.referrals import REFERRALS_TOPIC
from homeward.common.crypto import KeyRing
from homeward.common.events import registry
from homeward.common.service import ConsumerSpec, create_service_app, default_parts
from homeward.notifications.adapters.addresses import Resolver, UrlPolicy, system_resolver
from homeward.notifications.adapters.mailer import SmtpMailer
from homeward.notifications.api import email, inbox, webhooks
from homeward.notifications.handlers.events import event_handler
from homeward.notifications.live import NotificationSignal
from homeward.notifications.settings import NotificationsSettings
from homeward.notifications.workers.emails import EmailSender
from homeward.notifications.workers.polling import PollingWorker
from homeward.notifications.workers.retention import NotificationsPruner
from homeward.notifications.workers.webhooks import WebhookDeliverer

MIGRATIONS = "homeward.notifications.migrations"
PUBLISHED_TOPICS: list[str] = []
CONSUMED_TOPICS = [INTAKE_CASES_TOPIC, REFERRALS_TOPIC, DOCUMENTS_RECORDS_TOPIC]


logger = logging.getLogger("homeward.notifications")


def consumer_spec(settings: NotificationsSettings) -> ConsumerSpec:
    """Every event of the consumed topics: the read models learn from all, rules pick some."""
    handler = event_handler(app_base_url=settings.app_base_url)
    handlers = {
        contract: handler for contract in registry.contracts() if contract.topic in CONSUMED_TOPICS
    }
    return ConsumerSpec(name="routing", topics=CONSUMED_TOPICS, handlers=handlers)


def create_app(
    settings: NotificationsSettings | None = None,
    *,
    webhook_http: httpx.AsyncClient | None = None,
    webhook_resolver: Resolver = system_resolver,
    **adapters: Any,
) -> FastAPI:
    """Build the notifications app; tests pass `broker=`, `database=`, `token_validator=`,
    `webhook_http=` (the HTTP client webhooks are sent with) and `webhook_resolver=` (DNS)."""
    settings = settings or NotificationsSettings()
    if settings.webhook_allow_loopback:
        logger.warning(
            "WEBHOOKS TO LOOPBACK ADDRESSES ARE ALLOWED, over plain http: a development "
            "setting (HOMEWARD_WEBHOOK_ALLOW_LOOPBACK), refused in production"
        )
    parts = default_parts(
        settings,
        migrations_package=MIGRATIONS,
        topics=PUBLISHED_TOPICS,
        consumers=[consumer_spec(settings)],
        **adapters,
    )
    keyring = KeyRing.from_settings(settings)
    signal = NotificationSignal(parts.database)
    url_policy = UrlPolicy(
        require_https=settings.webhook_requires_https,
        allow_loopback=settings.webhook_allow_loopback,
        resolve=webhook_resolver,
    )
    deliverer = WebhookDeliverer(
        database=parts.database,
        settings=settings,
        keyring=keyring,
        policy=url_policy,
        http=webhook_http,
    )
    sender = EmailSender(database=parts.database, settings=settings, mailer=SmtpMailer(settings))
    parts.background = [
        signal,
        PollingWorker(
            name="webhook-deliveries",
            signal=signal,
            poll_interval_s=settings.webhook_poll_interval_s,
            run_once=deliverer.run_once,
        ),
        PollingWorker(
            name="email-sender",
            signal=signal,
            poll_interval_s=settings.email_poll_interval_s,
            run_once=sender.run_once,
        ),
        NotificationsPruner(parts.database, settings),
    ]
    app = create_service_app(
        parts,
        routers=[inbox.router, email.router, webhooks.router, audit_router()],
        title="Homeward notifications",
        description=(
            "Who is told what: a per-user inbox, a live stream (Server-Sent Events), signed "
            "webhooks to partner systems and email to opted-in staff. Case codes, event "
            "types and links only: no personal data in any channel. Changes to webhook "
            "subscriptions and email opt-ins, and replays, are in the audit trail."
        ),
    )
    app.state.keyring, app.state.signal, app.state.deliverer = keyring, signal, deliverer
    app.state.email_sender, app.state.url_policy = sender, url_policy
    return app
