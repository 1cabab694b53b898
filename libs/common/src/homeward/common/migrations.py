"""Alembic per service: each service ships `homeward/<name>/migrations/` inside its package.

Development runs `upgrade` at start-up; production runs it from the admin command
(`python -m homeward.<name> migrate`) before rolling out. The same code path serves both.
"""

from __future__ import annotations

import asyncio
from importlib.resources import files

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from homeward.common.db import normalise_url


def alembic_config(database_url: str, migrations_package: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(files(migrations_package)))
    # Alembic's ini interpolation treats `%` specially; escape it in passwords.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade_sync(database_url: str, migrations_package: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url, migrations_package), revision)


async def upgrade(database_url: str, migrations_package: str, revision: str = "head") -> None:
    """Bring the database to `revision`; Alembic runs its own loop, so it gets a thread."""
    await asyncio.to_thread(upgrade_sync, database_url, migrations_package, revision)


def run_env(target_metadata: MetaData | None = None) -> None:
    """The body of every service's `env.py`: online migrations over the async driver."""
    url, connect_args = normalise_url(context.config.get_main_option("sqlalchemy.url") or "")

    def run(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()

    async def run_async() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool, connect_args=connect_args)
        try:
            async with engine.connect() as connection:
                await connection.run_sync(run)
                await connection.commit()
        finally:
            await engine.dispose()

    asyncio.run(run_async())
