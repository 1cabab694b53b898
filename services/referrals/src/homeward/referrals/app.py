"""Wiring of the referrals service: the one place that builds its app from its adapters."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

import homeward.common.contracts  # noqa: F401  (registers the event contracts we use)
from homeward.common.audit import audit_router
from homeward.common.contracts.documents import DOCUMENTS_RECORDS_TOPIC
from homeward.common.contracts.intake import INTAKE_CASES_TOPIC
from homeward.common.contracts.referrals import REFERRALS_TOPIC
from homeward.common.service import BackgroundTask, ConsumerSpec, create_service_app, default_parts
from homeward.referrals.api import agency_profile, directory, referrals, suggestions
from homeward.referrals.handlers.deadlines import OverdueChecker
from homeward.referrals.handlers.directory import DemoDirectorySeeding
from homeward.referrals.handlers.events import IntakeAndDocumentsHandlers
from homeward.referrals.settings import ReferralsSettings

MIGRATIONS = "homeward.referrals.migrations"
PUBLISHED_TOPICS = [REFERRALS_TOPIC]
CONSUMED_TOPICS = [INTAKE_CASES_TOPIC, DOCUMENTS_RECORDS_TOPIC]


def create_app(
    settings: ReferralsSettings | None = None,
    *,
    run_overdue_checker: bool = True,
    **adapters: Any,
) -> FastAPI:
    """Build the referrals app; tests pass `broker=`, `database=` or `token_validator=`, and
    `run_overdue_checker=False` to drive `check_overdue` themselves."""
    settings = settings or ReferralsSettings()
    consumer = ConsumerSpec(
        name="case-events",
        topics=CONSUMED_TOPICS,
        handlers=IntakeAndDocumentsHandlers(settings).by_contract(),
    )
    parts = default_parts(
        settings,
        migrations_package=MIGRATIONS,
        # Topics we consume too: in development nobody else may have created them yet.
        topics=[*PUBLISHED_TOPICS, *CONSUMED_TOPICS],
        consumers=[consumer],
        **adapters,
    )
    background: list[BackgroundTask] = []
    if settings.should_seed_directory:
        background.append(DemoDirectorySeeding(parts.database))
    if run_overdue_checker:
        background.append(OverdueChecker(parts.database, settings))
    parts.background = background
    return create_service_app(
        parts,
        routers=[
            referrals.router,
            directory.router,
            agency_profile.router,
            suggestions.router,
            audit_router(),
        ],
        title="Homeward referrals",
        description=(
            "The partner directory and closed-loop referrals from coordinators to partner "
            "agencies (FHIR Task states), with consent and documents gates, deadlines and "
            "escalation, and outcome indicators."
        ),
    )
