"""Wiring of the documents service: the one place that builds its app from its adapters."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

import homeward.common.contracts  # noqa: F401  (registers the event contracts we use)
from homeward.common.audit import audit_router
from homeward.common.contracts.documents import DOCUMENTS_RECORDS_TOPIC
from homeward.common.contracts.intake import INTAKE_CASES_TOPIC
from homeward.common.contracts.referrals import REFERRALS_TOPIC
from homeward.common.crypto import IdentityVault, KeyRing
from homeward.common.errors import problem_response
from homeward.common.service import ConsumerSpec, create_service_app, default_parts
from homeward.documents.api import readiness, records
from homeward.documents.catalogue import Catalogue, load_catalogue
from homeward.documents.domain.errors import RuleViolation, StateConflict
from homeward.documents.handlers.events import event_handlers
from homeward.documents.handlers.expiry import expiry_loop
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
    _run_expiry_check_alongside(app, settings=settings, catalogue=catalogue)
    _install_domain_errors(app)
    return app


def _run_expiry_check_alongside(
    app: FastAPI, *, settings: DocumentsSettings, catalogue: Catalogue
) -> None:
    if not settings.expiry_check_enabled:
        return
    service_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with service_lifespan(app):
            task = asyncio.create_task(expiry_loop(
                app.state.parts.database, catalogue=catalogue,
                interval_s=settings.expiry_check_interval_s,
                warning_days=settings.expiry_warning_days,
            ))  # fmt: skip
            try:
                yield
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    app.router.lifespan_context = lifespan


def _install_domain_errors(app: FastAPI) -> None:
    # Domain messages say what to fix and never carry submitted values.
    @app.exception_handler(RuleViolation)
    async def _rule_violation(request: Request, exc: RuleViolation) -> JSONResponse:
        return problem_response(422, "Unprocessable content", str(exc), request)

    @app.exception_handler(StateConflict)
    async def _state_conflict(request: Request, exc: StateConflict) -> JSONResponse:
        return problem_response(409, "Conflict", str(exc), request, allowed=exc.allowed)
