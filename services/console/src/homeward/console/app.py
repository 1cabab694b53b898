"""Wiring of the console: the one place that builds its app from its parts.

No broker and no domain data: a session store, an HTTP client for the four APIs and the
identity provider, the templates and the catalogues. Tests pass `database=`, `http=` (an
httpx client on any transport) and `token_validator=`.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from zoneinfo import ZoneInfo

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware

from homeward.common.auth import TokenValidator
from homeward.common.db import Database
from homeward.common.errors import BodySizeLimit
from homeward.common.migrations import upgrade
from homeward.common.observability import RequestContext
from homeward.console.api import (
    agency,
    assets,
    auditor,
    auth,
    cases,
    email,
    flows,
    home,
    live,
    partner,
    referrals,
    register,
    registry,
    suggestions,
    supervisor,
)
from homeward.console.clients import ApiRefusal, ServiceUnavailable
from homeward.console.forms import REFUSALS
from homeward.console.i18n import LOCALES, Formats, translations
from homeward.console.oidc import OidcClient
from homeward.console.security import SecurityHeaders
from homeward.console.sessions import SessionStore
from homeward.console.settings import ConsoleSettings
from homeward.console.web import COOKIE, Console, CsrfRefused, SignInRequired, login_path, viewer

MIGRATIONS = "homeward.console.migrations"
# The route modules, each with its `router`.
PAGES = (
    assets,
    auth,
    home,
    register,
    cases,
    flows,
    referrals,
    live,
    partner,
    registry,
    supervisor,
    auditor,
    email,
    suggestions,
    agency,
)
logger = logging.getLogger("homeward.console")


def create_app(
    settings: ConsoleSettings | None = None,
    *,
    database: Database | None = None,
    http: httpx.AsyncClient | None = None,
    token_validator: TokenValidator | None = None,
) -> FastAPI:
    settings = settings or ConsoleSettings()
    database = database or Database(settings.database_url, echo=settings.database_echo)
    http = http or httpx.AsyncClient(timeout=settings.api_timeout_s)
    validator = token_validator or TokenValidator.from_settings(settings, http_client=http)
    key = base64.b64decode(settings.key_encryption_key.get_secret_value())
    store = SessionStore(
        database,
        key=key,
        idle_timeout=timedelta(seconds=settings.idle_timeout_s),
        absolute=timedelta(seconds=settings.absolute_timeout_s),
    )
    templates = Environment(
        loader=PackageLoader("homeward.console", "templates"),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    templates.globals["asset"] = assets.asset_url
    for locale in LOCALES:
        translations(locale)  # a broken catalogue stops the start, not a page
    console = Console(
        settings=settings,
        store=store,
        http=http,
        oidc=OidcClient(settings, http, validator),
        templates=templates,
        formats=Formats(ZoneInfo(settings.time_zone)),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.should_migrate_on_start:
            await upgrade(database.url_string, MIGRATIONS)
        try:
            yield
        finally:
            await http.aclose()
            await database.dispose()

    app = FastAPI(
        title="Homeward console",
        debug=False,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.console = console
    app.state.database = database
    _install_error_pages(app)
    app.add_middleware(GZipMiddleware, minimum_size=500)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(
        SecurityHeaders, origin=settings.public_base_url, issuer=settings.oidc_issuer
    )
    app.add_middleware(RequestContext, service="console")
    for module in PAGES:
        app.include_router(module.router)
    _operations(app, database)
    return app


def _operations(app: FastAPI, database: Database) -> None:
    @app.get("/healthz", include_in_schema=False)
    async def alive() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def ready() -> JSONResponse:
        try:
            await database.ping()
        except Exception as exc:  # a readiness probe reports, it never raises
            return JSONResponse({"status": "not ready", "database": type(exc).__name__}, 503)
        return JSONResponse({"status": "ready"})


def _install_error_pages(app: FastAPI) -> None:
    """Every refusal a user can meet becomes a page in their language; never a traceback."""

    async def page(request: Request, template: str, status: int, **context: object) -> Response:
        return (await viewer(request)).render(template, status_code=status, **context)

    async def refused(request: Request, status: int) -> Response:
        seen = await viewer(request)
        message = seen.gettext(REFUSALS.get(status, REFUSALS[422]))
        return seen.render("errors/refused.html", status_code=status, refusal_message=message)

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> Response:
        return RedirectResponse(login_path(exc.next_path), status_code=303)

    @app.exception_handler(CsrfRefused)
    async def _csrf(request: Request, exc: CsrfRefused) -> Response:
        return await page(request, "errors/expired_form.html", 403)

    @app.exception_handler(ApiRefusal)
    async def _refused(request: Request, exc: ApiRefusal) -> Response:
        if exc.status == 401:
            response = RedirectResponse(login_path(request.url.path), status_code=303)
            response.delete_cookie(COOKIE, path="/")
            return response
        if exc.status in (403, 404):
            return await page(request, "errors/not_found.html", 404)
        return await refused(request, exc.status)

    @app.exception_handler(ServiceUnavailable)
    async def _unavailable(request: Request, exc: ServiceUnavailable) -> Response:
        logger.warning("an API did not answer", extra={"cause": str(exc)})
        return await page(request, "errors/unavailable.html", 503)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        return await page(request, "errors/not_found.html", 404)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 413:
            return await refused(request, 413)
        return await page(
            request, "errors/not_found.html", 404 if exc.status_code == 404 else exc.status_code
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        logger.exception("unhandled error", extra={"path": request.url.path})
        try:
            return await page(request, "errors/unexpected.html", 500)
        except Exception:
            return Response("Something went wrong.", status_code=500, media_type="text/plain")
