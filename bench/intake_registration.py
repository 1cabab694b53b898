"""Intake registration through the real app against a bare FastAPI + SQLModel insert, in one run.

One family is a mother and two children with identities (encrypted per case), registered in
one `POST /v1/cases`: the app validates the bearer token, writes the case, persons, sealed
identities, audit and outbox rows in one transaction. The baseline is a bare FastAPI endpoint
inserting one SQLModel row per request into the same kind of database, driven the same way
(in-process ASGI transport, one client, sequential requests, the same Authorization header,
not validated).

`BENCH_FAMILIES` (default 200) sizes the run; `BENCH_DATABASE_URL` picks PostgreSQL (a fresh
schema of its own, dropped afterwards; default: a SQLite file in a temporary folder).
"""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import asyncpg
import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI, Header
from sqlmodel import Field, SQLModel

from homeward.common.db import Database
from homeward.common.events import InMemoryBroker
from homeward.common.testing.idp import running_identity_provider
from homeward.intake.app import create_app
from homeward.intake.settings import IntakeSettings
from tests.intake.intake_helpers import family

FAMILIES = int(os.environ.get("BENCH_FAMILIES", "200"))
WARMUP = 5  # requests before timing, on both sides (imports, first connections, JWKS fetch)
COORDINATOR = "coordinator.riverton"


class BenchRow(SQLModel, table=True):
    __tablename__ = "bench_row"

    id: str = Field(primary_key=True, max_length=36)
    label: str = Field(max_length=200)
    created_at: datetime


def bare_app(database: Database) -> FastAPI:
    """The baseline: one endpoint, one row per request, the auth header read but not checked."""
    app = FastAPI()

    @app.post("/v1/rows", status_code=201)
    async def insert(body: dict[str, Any], authorization: Annotated[str, Header()]) -> dict:
        row = BenchRow(
            id=str(uuid.uuid4()), label=str(body.get("label", ""))[:200], created_at=_now()
        )
        async with database.session() as session:
            session.add(row)
            await session.commit()
        return {"id": row.id}

    return app


def _now() -> datetime:
    return datetime.now(UTC)


@asynccontextmanager
async def scratch_url(folder: str, name: str) -> AsyncIterator[str]:
    """A SQLite file, or a schema of its own in `BENCH_DATABASE_URL` (dropped afterwards)."""
    base = os.environ.get("BENCH_DATABASE_URL")
    if not base:
        yield f"sqlite+aiosqlite:///{Path(folder) / f'{name}.db'}"
        return
    schema = f"bench_{name}_{uuid.uuid4().hex[:8]}"
    dsn = base.replace("postgresql+asyncpg://", "postgresql://", 1)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
        separator = "&" if "?" in base else "?"
        yield f"{base}{separator}search_path={schema}"
    finally:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await conn.close()


async def timed(label: str, count: int, unit: str, work: Callable[[int], Awaitable[None]]) -> float:
    for i in range(WARMUP):
        await work(-1 - i)
    started = time.perf_counter()
    for i in range(count):
        await work(i)
    elapsed = time.perf_counter() - started
    rate = count / elapsed
    per = elapsed / count * 1000
    print(f"  {label:<48} {rate:>9,.1f} {unit}/s  ({per:.2f} ms each, {elapsed:.2f} s)")
    return rate


async def baseline_rate(folder: str, token: str, count: int, unit: str, per_item: int = 1) -> float:
    """The bare insert endpoint on its own database: `count` items of `per_item` requests."""
    async with scratch_url(folder, "baseline") as url:
        database = Database(url)
        async with database.engine.begin() as conn:
            await conn.run_sync(lambda c: BenchRow.metadata.create_all(c, [BenchRow.__table__]))
        headers = {"Authorization": f"Bearer {token}"}
        transport = httpx.ASGITransport(app=bare_app(database))
        async with httpx.AsyncClient(transport=transport, base_url="http://bare") as http:

            async def insert(i: int) -> None:
                for _ in range(per_item):
                    body = {"label": f"row {i}"}
                    response = await http.post("/v1/rows", json=body, headers=headers)
                    assert response.status_code == 201, response.text

            label = "bare FastAPI + SQLModel insert (baseline)"
            if per_item > 1:
                label = f"{per_item} x bare insert (baseline)"
            rate = await timed(label, count, unit, insert)
        await database.dispose()
    return rate


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        async with running_identity_provider() as idp:
            token = await idp.password_token(COORDINATOR)
            async with scratch_url(folder, "intake") as url:
                backend = "postgresql" if url.startswith("postgresql") else "sqlite"
                print(f"{FAMILIES} families (mother + 2 children, identities), database {backend}")
                intake_rate = await _intake_rate(url, idp, token)
            base_rate = await baseline_rate(folder, token, FAMILIES, "requests")
    print(f"  intake / baseline: {intake_rate / base_rate:.2f}")


async def _intake_rate(url: str, idp: Any, token: str) -> float:
    settings = IntakeSettings(database_url=url, oidc_issuer=idp.issuer)
    database = Database(url)
    app = create_app(
        settings, broker=InMemoryBroker(), database=database, token_validator=idp.validator()
    )
    headers = {"Authorization": f"Bearer {token}"}
    async with LifespanManager(app, startup_timeout=60):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://intake") as http:

            async def register(i: int) -> None:
                response = await http.post("/v1/cases", json=family(), headers=headers)
                assert response.status_code == 201, response.text
                assert all(p["has_identity"] for p in response.json()["persons"])

            label = "intake POST /v1/cases (family of 3)"
            rate = await timed(label, FAMILIES, "requests", register)
    await database.dispose()
    return rate
