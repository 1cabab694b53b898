"""Wiring of the referrals service: the one place that builds its app from its adapters."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from homeward.common.service import create_service_app, default_parts
from homeward.referrals.settings import ReferralsSettings

MIGRATIONS = "homeward.referrals.migrations"
PUBLISHED_TOPICS = [
    "homeward.referrals.referrals",
]


def create_app(settings: ReferralsSettings | None = None, **adapters: Any) -> FastAPI:
    """Build the referrals app; tests pass `broker=`, `database=` or `token_validator=`."""
    parts = default_parts(
        settings or ReferralsSettings(),
        migrations_package=MIGRATIONS,
        topics=PUBLISHED_TOPICS,
        **adapters,
    )
    return create_service_app(
        parts,
        routers=[],
        title="Homeward referrals",
        description="Homeward referrals: the partner directory and closed-loop referrals from coordinators to partner agencies, with deadlines and escalation.",
    )
