"""`homeward check`: configuration and connectivity, one line per check, each failure saying
what is wrong and how to fix it. Checks shared by services (one broker, one issuer) run once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiosmtplib
import httpx
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from homeward.admin.kafka import admin_client
from homeward.admin.services import (
    AdminError,
    SettingsInvalid,
    homeward_topics,
    load_settings,
    spec,
)
from homeward.common.db import Database
from homeward.common.migrations import alembic_config
from homeward.common.settings import CommonSettings
from homeward.notifications.settings import NotificationsSettings

TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


async def run_checks(services: list[str]) -> list[Check]:
    """Each service's settings and database, then each distinct broker, issuer and SMTP host."""
    checks: list[Check] = []
    shared: dict[tuple[str, str], Callable[[], Awaitable[Check]]] = {}
    for service in services:
        try:
            settings = load_settings(service)
        except SettingsInvalid as error:
            checks.append(Check(f"{service} settings", False, error.problem))
            continue
        checks.append(Check(f"{service} settings", True, f"load ({settings.environment})"))
        checks.append(await check_database(service, settings))
        shared.setdefault(
            ("broker", settings.kafka_bootstrap_servers), _bound(check_broker, settings)
        )
        shared.setdefault(("oidc", settings.oidc_issuer), _bound(check_oidc, settings))
        if isinstance(settings, NotificationsSettings) and settings.smtp_host:
            target = f"{settings.smtp_host}:{settings.smtp_port}"
            shared.setdefault(("smtp", target), _bound(check_smtp, settings))
    for probe in shared.values():
        checks.append(await probe())
    return checks


def _bound(
    check: Callable[[CommonSettings], Awaitable[Check]], settings: CommonSettings
) -> Callable[[], Awaitable[Check]]:
    return lambda: check(settings)


async def check_database(service: str, settings: CommonSettings) -> Check:
    name = f"{service} database"
    shown = make_url(settings.database_url).render_as_string(hide_password=True)
    database = Database(settings.database_url)
    try:
        async with asyncio.timeout(TIMEOUT_S), database.engine.connect() as connection:
            current = set(
                await connection.run_sync(
                    lambda sync: MigrationContext.configure(sync).get_current_heads()
                )
            )
    except (SQLAlchemyError, OSError, TimeoutError) as error:
        return Check(
            name,
            False,
            f"{shown} unreachable ({type(error).__name__}): check {spec(service).database_env} "
            "and that the database is up",
        )
    finally:
        await database.dispose()
    package = spec(service).migrations_package
    heads = set(ScriptDirectory.from_config(alembic_config("", package)).get_heads())
    if current == heads:
        return Check(name, True, f"reachable, migrated to head {', '.join(sorted(heads))}")
    fix = f"run `homeward migrate {service}`"
    if not current:
        return Check(name, False, f"{shown} reachable but not migrated: {fix}")
    return Check(
        name,
        False,
        f"at revision {', '.join(sorted(current))}, head is {', '.join(sorted(heads))}: {fix}",
    )


async def check_broker(settings: CommonSettings) -> Check:
    bootstrap = settings.kafka_bootstrap_servers
    name = f"broker {bootstrap}"
    try:
        async with admin_client(bootstrap) as admin:
            present = set(await asyncio.wait_for(admin.list_topics(), TIMEOUT_S))
    except AdminError as error:
        return Check(name, False, str(error))
    except TimeoutError:
        return Check(name, False, f"Kafka at {bootstrap} does not list its topics in time")
    wanted = homeward_topics()
    if missing := [topic for topic in wanted if topic not in present]:
        return Check(
            name,
            False,
            f"reachable, but {len(missing)} topics are missing ({', '.join(missing)}): "
            "run `homeward topics create`",
        )
    return Check(name, True, f"reachable, all {len(wanted)} Homeward topics exist")


async def check_oidc(settings: CommonSettings) -> Check:
    issuer = settings.oidc_issuer
    name = f"issuer {issuer}"
    discovery_url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    async with httpx.AsyncClient(timeout=TIMEOUT_S) as http:
        try:
            document = await _json(http, discovery_url)
            if document.get("issuer") != issuer:
                return Check(
                    name,
                    False,
                    f"the discovery document names issuer {document.get('issuer')!r}: set "
                    "HOMEWARD_OIDC_ISSUER to exactly that (tokens carry it in `iss`)",
                )
            jwks_uri = str(document.get("jwks_uri") or "")
            if not jwks_uri:
                return Check(name, False, "the discovery document has no jwks_uri")
            keys = (await _json(http, jwks_uri)).get("keys") or []
        except (httpx.HTTPError, ValueError) as error:
            return Check(name, False, f"{error}: check HOMEWARD_OIDC_ISSUER and the issuer")
    signing = [key for key in keys if isinstance(key, dict) and key.get("use", "sig") == "sig"]
    if not signing:
        return Check(name, False, f"the JWKS at {jwks_uri} has no signing key")
    return Check(name, True, f"discovery and JWKS reachable, {len(signing)} signing key(s)")


async def _json(http: httpx.AsyncClient, url: str) -> dict:
    try:
        response = await http.get(url)
    except httpx.HTTPError as error:
        raise ValueError(f"{url} unreachable ({type(error).__name__})") from None
    if response.status_code != 200:
        raise ValueError(f"{url} answered {response.status_code}")
    document = response.json()
    if not isinstance(document, dict):
        raise ValueError(f"{url} answered no JSON object")
    return document


async def check_smtp(settings: CommonSettings) -> Check:
    assert isinstance(settings, NotificationsSettings)
    target = f"{settings.smtp_host}:{settings.smtp_port}"
    smtp = aiosmtplib.SMTP(
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        start_tls=settings.smtp_starttls,
        username=settings.smtp_username or None,
        password=settings.smtp_password or None,  # logs in when set: checks the credentials
        timeout=TIMEOUT_S,
    )
    try:
        await smtp.connect()
        await smtp.noop()
        await smtp.quit()
    except (aiosmtplib.SMTPException, OSError) as error:
        return Check(
            f"smtp {target}",
            False,
            f"unreachable or refused ({type(error).__name__}): check HOMEWARD_SMTP_HOST, "
            "HOMEWARD_SMTP_PORT and the SMTP credentials",
        )
    return Check(f"smtp {target}", True, "reachable, answers")
