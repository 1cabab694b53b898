"""Wiring of the documents service: the one place that builds its app from its adapters."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

import homeward.common.contracts  # noqa: F401  (registers the event contracts we use)
from homeward.common.audit import audit_router
from homeward.common.contracts.documents import DOCUMENTS_RECORDS_TOPIC
from homeward.common.contracts.intake import INTAKE_CASES_TOPIC
from homeward.common.contracts.referrals import REFERRALS_TOPIC
from homeward.common.crypto import IdentityVault, KeyRing
from homeward.common.service import ConsumerSpec, create_service_app, default_parts
from homeward.documents.api import readiness, records
from homeward.documents.catalogue import Catalogue, load_catalogue
from homeward.documents.handlers.events import event_handlers
from homeward.documents.handlers.expiry import ExpiryCheck
from homeward.documents.settings import DocumentsSettings

MIGRATIONS = "homeward.documents.migrations"
PUBLISHED_TOPICS = [DOCUMENTS_RECORDS_TOPIC]
CONSUMED_TOPICS = [INTAKE_CASES_TOPIC, REFERRALS_TOPIC]


def create_app(
    settings: DocumentsSettings | None = None,
    *,
    vault: IdentityVault | None = None,
    catalogue: Catalogue | None = None,
    **adapters: Any,
) -> FastAPI:
    """Build the documents app; tests pass `broker=`, `database=`, `token_validator=`, `vault=`.

    A rule file that does not validate raises RuleFileError here: the service refuses to start.
    """
    settings = settings or DocumentsSettings()
    catalogue = catalogue or load_catalogue(settings)
    vault = vault or IdentityVault(KeyRing.from_settings(settings))
    parts = default_parts(
        settings,
        migrations_package=MIGRATIONS,
        topics=PUBLISHED_TOPICS,
        consumers=[
            ConsumerSpec(
                name="intake-and-referrals",
                topics=CONSUMED_TOPICS,
                handlers=event_handlers(catalogue=catalogue, vault=vault),
            )
        ],
        **adapters,
    )
    if settings.expiry_check_enabled:
        parts.background = [
            ExpiryCheck(
                parts.database,
                catalogue=catalogue,
                interval_s=settings.expiry_check_interval_s,
                warning_days=settings.expiry_warning_days,
            )
        ]
    app = create_service_app(
        parts,
        routers=[records.router, readiness.router, audit_router()],
        title="Homeward documents",
        description=(
            "Each person's legal documentation (records, statuses, history; reference numbers "
            "sealed per case), the readiness for services it gives, documentation tasks for "
            "referrals blocked on documents, and a suppressed overview."
        ),
    )
    app.state.vault, app.state.catalogue = vault, catalogue
    return app
