"""Wiring of the intake service: the one place that builds its app from its adapters."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

import homeward.common.contracts  # noqa: F401  (registers the event contracts we publish)
from homeward.common.audit import audit_router
from homeward.common.contracts.intake import INTAKE_CASES_TOPIC
from homeward.common.contracts.referrals import REFERRALS_TOPIC
from homeward.common.crypto import IdentityVault, KeyRing
from homeward.common.metrics import IDENTITY_READS_REFUSED
from homeward.common.service import ConsumerSpec, create_service_app, default_parts
from homeward.intake.api import (
    cases,
    closures,
    consents_transfers,
    identity_reveals,
    protected,
    staff,
)
from homeward.intake.handlers.referral_events import referral_event_handlers
from homeward.intake.handlers.staff import StaffDirectory
from homeward.intake.settings import IntakeSettings

MIGRATIONS = "homeward.intake.migrations"
PUBLISHED_TOPICS = [INTAKE_CASES_TOPIC]
CONSUMED_TOPICS = [REFERRALS_TOPIC]


def create_app(
    settings: IntakeSettings | None = None, *, vault: IdentityVault | None = None, **adapters: Any
) -> FastAPI:
    """Build the intake app; tests pass `broker=`, `database=`, `token_validator=`, `vault=`."""
    settings = settings or IntakeSettings()
    parts = default_parts(
        settings,
        migrations_package=MIGRATIONS,
        # Topics we consume too: in development nobody else may have created them yet.
        topics=[*PUBLISHED_TOPICS, *CONSUMED_TOPICS],
        consumers=[
            ConsumerSpec(
                name="referrals", topics=CONSUMED_TOPICS, handlers=referral_event_handlers()
            )
        ],
        **adapters,
    )
    app = create_service_app(
        parts,
        routers=[
            cases.router,
            closures.router,
            protected.router,
            identity_reveals.router,
            consents_transfers.router,
            staff.router,
            audit_router(),
        ],
        title="Homeward intake",
        description=(
            "Where a coordinator registers a returning family: cases, persons, protected "
            "identities, needs assessments, consent and transfers. Identities are encrypted "
            "per case and read only through their own audited endpoint."
        ),
    )
    app.state.vault = vault or IdentityVault(KeyRing.from_settings(settings))
    app.state.staff = StaffDirectory(parts.database)
    IDENTITY_READS_REFUSED.labels(service=settings.service_name)  # at 0, for increase()
    return app
