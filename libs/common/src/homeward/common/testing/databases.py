"""Scratch databases for tests: a SQLite file, or a PostgreSQL schema of its own.

Every test that touches a database runs on both backends: SQLite always, PostgreSQL when
reachable. Under `CI=true` an unreachable PostgreSQL fails the test instead of skipping it,
so CI can never pass by quietly testing less.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg

POSTGRES_URL = os.environ.get(
    "HOMEWARD_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
BACKENDS = ("sqlite", "postgresql")


def selected_backends() -> tuple[str, ...]:
    """`HOMEWARD_TEST_BACKENDS=sqlite` narrows a local run; CI always runs both."""
    if os.environ.get("CI", "").lower() == "true":
        return BACKENDS
    chosen = os.environ.get("HOMEWARD_TEST_BACKENDS")
    return tuple(b for b in BACKENDS if b in chosen.split(",")) if chosen else BACKENDS


async def postgres_unreachable_reason() -> str | None:
    try:
        conn = await asyncio.wait_for(asyncpg.connect(_asyncpg_dsn(POSTGRES_URL)), timeout=5)
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        return f"PostgreSQL at {POSTGRES_URL} is unreachable: {exc!r}"
    await conn.close()
    return None


@asynccontextmanager
async def scratch_database_url(backend: str, folder: Path) -> AsyncIterator[str]:
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{folder / f'hw-{uuid.uuid4().hex[:8]}.db'}"
        return
    schema = f"hw_test_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(_asyncpg_dsn(POSTGRES_URL))
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
        yield f"{POSTGRES_URL}?search_path={schema}"
    finally:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await conn.close()


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)
