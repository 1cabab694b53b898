"""Every service's migrations reach head on both backends, from an empty database."""

from __future__ import annotations

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from homeward.common.db import Database
from homeward.common.events import LANES, event_tables
from homeward.common.idempotency import IdempotencyRecord
from homeward.common.migrations import alembic_config, upgrade

SERVICES = ("intake", "referrals", "documents", "notifications")


@pytest.mark.parametrize("service", SERVICES)
async def test_migrations_reach_head_and_create_the_event_and_idempotency_tables(
    service: str, database_url: str
) -> None:
    await upgrade(database_url, f"homeward.{service}.migrations")
    database = Database(database_url)
    try:
        async with database.engine.connect() as conn:
            tables = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
            keys = await conn.run_sync(
                lambda sync: {c["name"] for c in inspect(sync).get_columns("idempotency_keys")}
            )
    finally:
        await database.dispose()
    assert {"event_outbox", "event_inbox", "idempotency_keys", "alembic_version"} <= tables
    assert keys == set(IdempotencyRecord.__table__.columns.keys())  # type: ignore[attr-defined]


async def test_running_migrations_twice_is_harmless(database_url: str) -> None:
    package = "homeward.referrals.migrations"
    await upgrade(database_url, package)
    await upgrade(database_url, package)
    head = ScriptDirectory.from_config(alembic_config(database_url, package)).get_current_head()
    database = Database(database_url)
    try:
        async with database.engine.connect() as conn:
            versions = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
    finally:
        await database.dispose()
    assert [row[0] for row in versions] == [head]


async def test_migrated_event_tables_match_the_models_and_have_every_lane(
    database_url: str,
) -> None:
    """The migration's written-out DDL and the SQLModel classes must not drift apart."""
    await upgrade(database_url, "homeward.intake.migrations")
    database = Database(database_url)
    try:
        async with database.engine.connect() as conn:
            columns = await conn.run_sync(
                lambda sync: {
                    table.name: {c["name"] for c in inspect(sync).get_columns(table.name)}
                    for table in event_tables()
                }
            )
            lanes = (await conn.execute(text("SELECT count(*) FROM event_outbox_lane"))).scalar()
    finally:
        await database.dispose()
    assert columns == {table.name: set(table.columns.keys()) for table in event_tables()}
    assert lanes == LANES
