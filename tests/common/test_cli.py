"""The admin command production runs before a rollout: `python -m homeward.<service> migrate`."""

from __future__ import annotations

import asyncio
import os
import sys

import pytest
from sqlalchemy import inspect

from homeward.common.db import Database

SERVICES = ("intake", "referrals", "documents", "notifications")


@pytest.mark.parametrize("service", SERVICES)
async def test_migrate_brings_an_empty_database_to_head(service: str, database_url: str) -> None:
    env = {**os.environ, "HOMEWARD_DATABASE_URL": database_url}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", f"homeward.{service}", "migrate",
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, output.decode()
    database = Database(database_url)
    try:
        async with database.engine.connect() as conn:
            tables = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    finally:
        await database.dispose()
    assert {"alembic_version", "event_outbox", "event_inbox"} <= tables
    assert len(tables) > 4  # the service's own tables too


async def test_production_refuses_to_start_with_development_secrets(tmp_path) -> None:
    env = {
        **os.environ,
        "HOMEWARD_ENVIRONMENT": "production",
        "HOMEWARD_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
    }
    env.pop("HOMEWARD_KEY_ENCRYPTION_KEY", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "homeward.intake", "migrate",
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode != 0
    assert b"development secrets: key_encryption_key" in output
    assert not (tmp_path / "x.db").exists()
