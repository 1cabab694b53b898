from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Column, MetaData, String, Table, insert, select

from homeward.common.db import Database, UTCDateTime, normalise_url

metadata = MetaData()
stamps = Table(
    "stamps", metadata, Column("name", String, primary_key=True), Column("at", UTCDateTime)
)


async def test_timestamps_come_back_utc_aware_on_every_backend(database_url: str) -> None:
    database = Database(database_url)
    try:
        async with database.engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        plus_two = datetime(2026, 5, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
        async with database.transaction() as session:
            await session.exec(insert(stamps).values(name="a", at=plus_two))
        async with database.session() as session:
            stored = (await session.exec(select(stamps.c.at))).scalar_one()
        assert stored.tzinfo is not None
        assert stored == plus_two
        assert stored.utcoffset() == timedelta(0)
    finally:
        await database.dispose()


async def test_a_naive_timestamp_is_refused_instead_of_guessed(database_url: str) -> None:
    database = Database(database_url)
    try:
        async with database.engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        with pytest.raises(Exception, match="naive datetime"):
            async with database.transaction() as session:
                await session.exec(insert(stamps).values(name="b", at=datetime(2026, 5, 1)))
        async with database.session() as session:
            assert (await session.exec(select(stamps))).all() == []
    finally:
        await database.dispose()


def test_urls_pick_the_async_drivers_and_carry_the_schema_as_a_connect_argument() -> None:
    url, args = normalise_url("postgresql://u@h/db?search_path=hw_1")
    assert url.drivername == "postgresql+asyncpg"
    assert "search_path" not in url.query
    assert args["server_settings"] == {"search_path": "hw_1"}
    sqlite, _ = normalise_url("sqlite:///:memory:")
    assert sqlite.drivername == "sqlite+aiosqlite"


def test_other_backends_are_refused_with_a_clear_message() -> None:
    with pytest.raises(ValueError, match="unsupported database backend"):
        normalise_url("mysql://u@h/db")


def test_utc_now_is_aware() -> None:
    from homeward.common.db import utcnow

    assert utcnow().tzinfo is UTC
