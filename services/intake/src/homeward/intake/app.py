"""Wiring of the intake service: the one place that builds its app from its adapters."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from homeward.common.service import create_service_app, default_parts
from homeward.intake.settings import IntakeSettings

MIGRATIONS = "homeward.intake.migrations"
PUBLISHED_TOPICS = [
    "homeward.intake.cases",
]


def create_app(settings: IntakeSettings | None = None, **adapters: Any) -> FastAPI:
    """Build the intake app; tests pass `broker=`, `database=` or `token_validator=`."""
    parts = default_parts(
        settings or IntakeSettings(),
        migrations_package=MIGRATIONS,
        topics=PUBLISHED_TOPICS,
        **adapters,
    )
    return create_service_app(
        parts,
        routers=[],
        title="Homeward intake",
        description="Homeward intake: where a coordinator registers a returning family: cases, persons, protected identities, needs assessments, consent and transfers.",
    )
