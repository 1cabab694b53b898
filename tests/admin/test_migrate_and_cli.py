"""`homeward migrate`, the command line's usage errors, and the installed `homeward` script."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from homeward.common.db import Database
from homeward.common.settings import DEV_KEY_ENCRYPTION_KEY
from tests.admin.conftest import Homeward, head_of


async def revision_and_tables(url: str) -> tuple[str | None, set[str]]:
    database = Database(url)
    try:
        async with database.engine.connect() as conn:
            tables = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
            revision = None
            if "alembic_version" in tables:
                revision = (
                    await conn.execute(text("SELECT version_num FROM alembic_version"))
                ).scalar()
    finally:
        await database.dispose()
    return revision, tables


async def test_migrate_a_service_to_head_or_to_a_revision(
    homeward: Homeward, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOMEWARD_REFERRALS_DATABASE_URL", database_url)
    first = await homeward("migrate", "referrals", "0001")
    assert first.code == 0, first.err
    assert first.out == "referrals: migrated to 0001\n"
    assert (await revision_and_tables(database_url))[0] == "0001"

    head = await homeward("migrate", "referrals")
    assert head.code == 0
    revision, tables = await revision_and_tables(database_url)
    assert revision == head_of("referrals") and "event_outbox" in tables and len(tables) > 4


async def test_migrate_all_brings_every_service_to_head(
    homeward: Homeward, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOMEWARD_INTAKE_DATABASE_URL", database_url)  # the others on SQLite
    done = await homeward("migrate", "--all")
    assert done.code == 0, done.err
    assert done.out.splitlines() == [
        f"{service}: migrated to head"
        for service in ("intake", "referrals", "documents", "notifications", "console")
    ]
    for service in ("intake", "notifications"):
        url = os.environ[f"HOMEWARD_{service.upper()}_DATABASE_URL"]
        assert (await revision_and_tables(url))[0] is not None


async def test_usage_errors_exit_2_with_one_line(homeward: Homeward) -> None:
    for argv, message in [
        (["migrate"], "name a SERVICE or give --all"),
        (["migrate", "intake", "--all"], "not both"),
        (["deadletters", "replay", "intake"], "give PARTITION:OFFSET or --all"),
        (["keys", "status", "referrals"], "referrals keeps nothing under a key-encryption key"),
    ]:
        refused = await homeward(*argv)
        assert refused.code == 2, argv
        assert refused.err.startswith("homeward: ") and refused.err.count("\n") == 1
        assert message in refused.err
    unknown = await homeward("migrate", "billing")
    assert unknown.code == 2 and "invalid choice: 'billing'" in unknown.err


async def test_an_unknown_revision_fails_with_exit_1(homeward: Homeward) -> None:
    failed = await homeward("migrate", "intake", "9999")
    assert failed.code == 1
    assert failed.err.startswith("homeward: intake: ") and "9999" in failed.err


async def test_production_migrates_without_the_secrets_it_does_not_use(
    homeward: Homeward, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The setup job before a rollout holds database URLs, not key-encryption keys."""
    monkeypatch.setenv("HOMEWARD_ENVIRONMENT", "production")
    migrated = await homeward("migrate", "--all")
    assert migrated.code == 0, migrated.err


async def test_production_refuses_development_secrets_where_they_are_used_without_showing_them(
    homeward: Homeward, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOMEWARD_ENVIRONMENT", "production")
    refused = await homeward("keys", "status", "intake")
    assert refused.code == 1
    assert refused.err == (
        "homeward: intake settings: refusing to start in production with development "
        "secrets: key_encryption_key (set them in the environment)\n"
    )
    assert DEV_KEY_ENCRYPTION_KEY not in refused.err


async def test_the_installed_homeward_script_runs_the_command(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "homeward"
    database = tmp_path / "documents-by-script.db"
    env = {**os.environ, "HOMEWARD_DOCUMENTS_DATABASE_URL": f"sqlite+aiosqlite:///{database}"}
    process = await asyncio.create_subprocess_exec(
        str(script), "migrate", "documents",
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=90)
    assert process.returncode == 0, err.decode()
    assert out.decode() == "documents: migrated to head\n"
    revision, _ = await revision_and_tables(f"sqlite+aiosqlite:///{database}")
    assert revision is not None
