"""Wiring of the notifications service: the one place that builds its app from its adapters."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from homeward.common.service import create_service_app, default_parts
from homeward.notifications.settings import NotificationsSettings

MIGRATIONS = "homeward.notifications.migrations"
PUBLISHED_TOPICS = [
]


def create_app(settings: NotificationsSettings | None = None, **adapters: Any) -> FastAPI:
    """Build the notifications app; tests pass `broker=`, `database=` or `token_validator=`."""
    parts = default_parts(
        settings or NotificationsSettings(),
        migrations_package=MIGRATIONS,
        topics=PUBLISHED_TOPICS,
        **adapters,
    )
    return create_service_app(
        parts,
        routers=[],
        title="Homeward notifications",
        description="Homeward notifications: who is told what: inbox, live stream, signed webhooks and email.",
    )
