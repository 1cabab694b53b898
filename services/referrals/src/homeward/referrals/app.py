"""Wiring of the referrals service: the one place that builds its app from its adapters."""

from __future__ import annotations

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
from homeward.common.errors import problem_response
from homeward.common.service import ConsumerSpec, ServiceParts, create_service_app, default_parts
from homeward.referrals.api import directory, referrals
from homeward.referrals.domain.errors import RuleViolation, TransitionNotAllowed
from homeward.referrals.handlers.deadlines import OverdueChecker
from homeward.referrals.handlers.directory import seed_demo_directory
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
        handlers=IntakeAndDocumentsHandlers(settings).by_event_type(),  # type: ignore[arg-type]
    )
    parts = default_parts(
        settings,
        migrations_package=MIGRATIONS,
        # Topics we consume too: in development nobody else may have created them yet.
        topics=[*PUBLISHED_TOPICS, *CONSUMED_TOPICS],
        consumers=[consumer],
        **adapters,
    )
    app = create_service_app(
        parts,
        routers=[referrals.router, directory.router, audit_router()],
        title="Homeward referrals",
        description=(
            "The partner directory and closed-loop referrals from coordinators to partner "
            "agencies (FHIR Task states), with consent and documents gates, deadlines and "
            "escalation, and outcome indicators."
        ),
    )
    _add_background_work(app, parts, settings, run_overdue_checker=run_overdue_checker)
    _install_domain_errors(app)
    return app


def _add_background_work(
    app: FastAPI, parts: ServiceParts, settings: ReferralsSettings, *, run_overdue_checker: bool
) -> None:
    # Wraps the common lifespan (migrations, relay, consumers) rather than replacing it.
    common_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with common_lifespan(app):
            if settings.should_seed_directory:
                async with parts.database.session() as session:
                    await seed_demo_directory(session)
            checker = OverdueChecker(parts.database, settings)
            if run_overdue_checker:
                checker.start()
            try:
                yield
            finally:
                await checker.stop()

    app.router.lifespan_context = lifespan


def _install_domain_errors(app: FastAPI) -> None:
    @app.exception_handler(RuleViolation)
    async def _rule_violation(request: Request, exc: RuleViolation) -> JSONResponse:
        return problem_response(422, "Unprocessable content", str(exc), request)

    @app.exception_handler(TransitionNotAllowed)
    async def _transition(request: Request, exc: TransitionNotAllowed) -> JSONResponse:
        return problem_response(409, "Conflict", str(exc), request,
                                allowed_next_states=exc.allowed_next_states)  # fmt: skip
