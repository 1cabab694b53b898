"""Wiring of the intake service: the one place that builds its app from its adapters."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

import homeward.common.contracts  # noqa: F401  (registers the event contracts we publish)
from homeward.common.audit import audit_router
from homeward.common.contracts.intake import INTAKE_CASES_TOPIC
from homeward.common.crypto import DataKeyMissing, IdentityVault, KeyRing
from homeward.common.errors import problem_response
from homeward.common.service import create_service_app, default_parts
from homeward.intake.api import cases, consents_transfers, protected
from homeward.intake.domain.errors import RuleViolation, StateConflict
from homeward.intake.settings import IntakeSettings

MIGRATIONS = "homeward.intake.migrations"
PUBLISHED_TOPICS = [INTAKE_CASES_TOPIC]


def create_app(
    settings: IntakeSettings | None = None, *, vault: IdentityVault | None = None, **adapters: Any
) -> FastAPI:
    """Build the intake app; tests pass `broker=`, `database=`, `token_validator=`, `vault=`."""
    settings = settings or IntakeSettings()
    parts = default_parts(
        settings,
        migrations_package=MIGRATIONS,
        topics=PUBLISHED_TOPICS,
        **adapters,
    )
    app = create_service_app(
        parts,
        routers=[cases.router, protected.router, consents_transfers.router, audit_router()],
        title="Homeward intake",
        description=(
            "Where a coordinator registers a returning family: cases, persons, protected "
            "identities, needs assessments, consent and transfers. Identities are encrypted "
            "per case and read only through their own audited endpoint."
        ),
    )
    app.state.vault = vault or IdentityVault(KeyRing.from_settings(settings))
    _install_domain_errors(app)
    return app


def _install_domain_errors(app: FastAPI) -> None:
    # Domain messages say what to fix and never carry submitted values.
    @app.exception_handler(RuleViolation)
    async def _rule_violation(request: Request, exc: RuleViolation) -> JSONResponse:
        return problem_response(422, "Unprocessable content", str(exc), request)

    @app.exception_handler(StateConflict)
    async def _state_conflict(request: Request, exc: StateConflict) -> JSONResponse:
        return problem_response(409, "Conflict", str(exc), request)

    @app.exception_handler(DataKeyMissing)
    async def _key_missing(request: Request, exc: DataKeyMissing) -> JSONResponse:
        return problem_response(410, "Gone", "this case's protected data were erased", request)
