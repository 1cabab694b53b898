"""Wiring of the documents service: the one place that builds its app from its adapters."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from homeward.common.service import create_service_app, default_parts
from homeward.documents.settings import DocumentsSettings

MIGRATIONS = "homeward.documents.migrations"
PUBLISHED_TOPICS = [
    "homeward.documents.records",
]


def create_app(settings: DocumentsSettings | None = None, **adapters: Any) -> FastAPI:
    """Build the documents app; tests pass `broker=`, `database=` or `token_validator=`."""
    parts = default_parts(
        settings or DocumentsSettings(),
        migrations_package=MIGRATIONS,
        topics=PUBLISHED_TOPICS,
        **adapters,
    )
    return create_service_app(
        parts,
        routers=[],
        title="Homeward documents",
        description="Homeward documents: each person's legal documentation and the service readiness it gives.",
    )
