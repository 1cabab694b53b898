"""What every Homeward service app has, built once: a service's wiring function supplies the
parts that differ (its routers, topics, consumers, migrations) and gets back a FastAPI app
whose lifespan migrates (in development), creates topics, and runs the outbox relay and the
event consumers next to the API.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlmodel.ext.asyncio.session import AsyncSession

import homeward.common.contracts  # noqa: F401 (registers every service's event contracts)
from homeward.common.auth import CurrentPrincipal, TokenValidator, install_auth
from homeward.common.db import Database
from homeward.common.docs import install_docs
from homeward.common.errors import BodySizeLimit, install_problem_handlers
from homeward.common.events import (
    Broker,
    EventConsumer,
    HandlerMap,
    KafkaBroker,
    OutboxRelay,
    asyncapi_document,
    dead_letter_topic,
)
from homeward.common.events.contracts import registry as contract_registry
from homeward.common.events.retention import EventTablePruner
from homeward.common.idempotency import IdempotentRequests
from homeward.common.migrations import upgrade
from homeward.common.observability import RequestContext
from homeward.common.openapi import document_errors
from homeward.common.settings import CommonSettings
from homeward.common.storable import StorableTextOnly

logger = logging.getLogger("homeward.service")


@dataclass(frozen=True, kw_only=True)
class ConsumerSpec:
    """One consumer group of a service: the topics it reads and a handler per contract class."""

    name: str
    topics: Sequence[str]
    handlers: HandlerMap


class BackgroundTask(Protocol):
    """Work a service runs next to its API (a delivery worker, a sender): started after the
    consumers, stopped before them."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass(kw_only=True)
class ServiceParts:
    """Everything a service app runs on; tests pass real or fake parts through here."""

    settings: CommonSettings
    database: Database
    broker: Broker
    token_validator: TokenValidator
    migrations_package: str
    topics: Sequence[str] = ()
    consumers: Sequence[ConsumerSpec] = ()
    extra_readiness: Mapping[str, Callable[[], Awaitable[None]]] = field(default_factory=dict)
    background: Sequence[BackgroundTask] = ()

    @property
    def service(self) -> str:
        return self.settings.service_name

    @property
    def dead_letter_topic(self) -> str:
        return dead_letter_topic(self.service)


def create_service_app(
    parts: ServiceParts, *, routers: Sequence[APIRouter], title: str, description: str
) -> FastAPI:
    settings = parts.settings
    app = FastAPI(
        title=title,
        description=description,
        version="0.1.0",
        debug=False,  # never a traceback in a response, whatever the environment
        lifespan=_lifespan(parts),
        docs_url=None,  # installed below, with Swagger UI's files served from here
        redoc_url=None,
        openapi_url="/openapi.json" if settings.show_docs else None,
        generate_unique_id_function=lambda route: route.name,
        # Starlette builds a slash redirect's Location from the Host header: an attacker's
        # host in a link to us would answer with a redirect to theirs. Paths are exact.
        redirect_slashes=False,
    )
    if settings.show_docs:
        install_docs(app, openapi_url="/openapi.json")
    app.state.parts = parts
    install_problem_handlers(app)
    app.add_middleware(IdempotentRequests)  # inside the size limit: it reads whole bodies
    app.add_middleware(StorableTextOnly)  # before the idempotency key reaches the database
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    install_auth(app, parts.token_validator)  # outside the body limit: 401 before even 413
    app.add_middleware(RequestContext, service=parts.service)
    me = me_router()
    document_errors(app, [me, *routers])
    app.include_router(operations_router())
    if settings.show_docs:
        app.include_router(asyncapi_router())
    app.include_router(me, prefix="/v1")
    for router in routers:
        app.include_router(router)
    return app


def event_consumer(
    parts: ServiceParts, spec: ConsumerSpec, *, replay: bool = False
) -> EventConsumer:
    """The consumer of one of the service's groups (`replay`: see `events/rebuild.py`)."""
    settings = parts.settings
    return EventConsumer(
        parts.broker,
        parts.database,
        group_id=f"homeward.{parts.service}.{spec.name}",
        topics=list(spec.topics),
        handlers=spec.handlers,
        dead_letter_topic=parts.dead_letter_topic,
        max_attempts=settings.consumer_max_attempts,
        backoff_initial_s=settings.consumer_backoff_initial_s,
        backoff_max_s=settings.consumer_backoff_max_s,
        service=parts.service,
        replay=replay,
    )


def _lifespan(parts: ServiceParts) -> Callable[[FastAPI], Any]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings = parts.settings
        if settings.should_migrate_on_start:
            await upgrade(parts.database.url_string, parts.migrations_package)
        if settings.is_development:
            # Tansu keeps topics in memory only; production topics come from deploy/.
            await parts.broker.create_topics(
                [*parts.topics, parts.dead_letter_topic], settings.kafka_default_partitions
            )
        producer = parts.broker.producer(client_id=f"homeward-{parts.service}")
        await producer.start()
        relay = OutboxRelay(
            parts.database,
            producer,
            source=f"/homeward/{parts.service}",
            batch_size=settings.relay_batch_size,
            poll_interval_s=settings.relay_poll_interval_s,
            broker=parts.broker,
        )
        consumers = [event_consumer(parts, spec) for spec in parts.consumers]
        pruner = EventTablePruner(
            parts.database,
            outbox_retention=timedelta(hours=settings.outbox_retention_hours),
            inbox_retention=timedelta(hours=settings.inbox_retention_hours),
            idempotency_retention=timedelta(hours=settings.idempotency_retention_hours),
            interval_s=settings.event_pruning_interval_s,
        )
        await relay.start()
        await pruner.start()
        for consumer in consumers:
            await consumer.start()
        for task in parts.background:
            await task.start()
        app.state.relay, app.state.consumers, app.state.producer = relay, consumers, producer
        logger.info("service started", extra={"consumers": len(consumers)})
        try:
            yield
        finally:
            for task in reversed(parts.background):
                await task.stop()
            for consumer in consumers:
                await consumer.stop()
            await pruner.stop()
            await relay.stop()
            await producer.stop()
            await parts.broker.close()
            await parts.database.dispose()
            logger.info("service stopped")

    return lifespan


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.parts.database.sessions() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(_session)]


def operations_router() -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", name="alive", response_model=dict[str, str])
    async def alive() -> dict[str, str]:
        """The process is alive (no dependency is checked)."""
        return {"status": "ok"}

    @router.get("/readyz", name="ready", response_model=dict[str, Any])
    async def ready(request: Request) -> JSONResponse:
        """Ready to serve: the database and the broker answer."""
        parts: ServiceParts = request.app.state.parts
        checks = {"database": parts.database.ping, "broker": parts.broker.ping}
        checks.update(parts.extra_readiness)
        results = await asyncio.gather(*(_check(fn) for fn in checks.values()))
        report = dict(zip(checks, results, strict=True))
        healthy = all(result == "ok" for result in results)
        return JSONResponse(
            {"status": "ready" if healthy else "not ready", "checks": report},
            status_code=200 if healthy else 503,
        )

    return router


def asyncapi_router() -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/asyncapi.json", name="read_asyncapi", response_model=dict[str, Any])
    async def read_asyncapi() -> dict[str, Any]:
        """The AsyncAPI 3.0 document of every Homeward event (the same on each service)."""
        return asyncapi_document(contract_registry)

    return router


async def _check(probe: Callable[[], Awaitable[None]]) -> str:
    try:
        await asyncio.wait_for(probe(), timeout=3)
    except Exception as exc:  # a readiness probe reports failures, it never raises
        return f"failed: {type(exc).__name__}"
    return "ok"


class PrincipalView(BaseModel):
    """The caller as this service sees it, from the token alone."""

    issuer: str
    subject: str
    username: str | None
    client_id: str | None
    roles: list[str]
    agency_id: str | None
    agency_type: str | None
    municipality: str | None


def me_router() -> APIRouter:
    router = APIRouter(tags=["identity"])

    @router.get("/me", name="read_me", response_model=PrincipalView)
    async def read_me(principal: CurrentPrincipal) -> PrincipalView:
        """Who the service thinks you are: roles and agency claims from your token."""
        return PrincipalView(
            issuer=principal.issuer,
            subject=principal.subject,
            username=principal.username,
            client_id=principal.client_id,
            roles=sorted(principal.roles),
            agency_id=principal.agency_id,
            agency_type=principal.agency_type,
            municipality=principal.municipality,
        )

    return router


def default_parts(
    settings: CommonSettings,
    *,
    migrations_package: str,
    topics: Sequence[str] = (),
    consumers: Sequence[ConsumerSpec] = (),
    broker: Broker | None = None,
    database: Database | None = None,
    token_validator: TokenValidator | None = None,
) -> ServiceParts:
    """The real adapters from settings, unless a test hands in its own. Background work
    needs the parts, so a service sets `parts.background` afterwards."""
    return ServiceParts(
        settings=settings,
        database=database or Database(settings.database_url, echo=settings.database_echo),
        broker=broker or KafkaBroker.from_settings(settings),
        token_validator=token_validator or TokenValidator.from_settings(settings),
        migrations_package=migrations_package,
        topics=topics,
        consumers=consumers,
    )
