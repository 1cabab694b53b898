"""Async SQLModel data access on SQLite (embedded default) and PostgreSQL (asyncpg).

A `Database` owns one engine and its session factory. Each one gets its own `Session`
subclass so that listeners (the outbox relay's wake-up after commit) attach to this database
only, never to every session in the process.

A PostgreSQL URL may carry `?search_path=<schema>`: tests give each run its own schema that
way, and a deployment can share one database between services if it must.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import annotated_types
from sqlalchemy import DateTime, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session
from sqlmodel.ext.asyncio.session import AsyncSession

# Integer keys the API exposes (audit entries, inbox items) are INTEGER columns: 32-bit signed
# on PostgreSQL. A larger number names no row: it is refused as input (422), never sent to a
# driver that would fail on it (a 500).
MAX_ROW_ID = 2**31 - 1
RowId = Annotated[int, annotated_types.Interval(ge=1, le=MAX_ROW_ID)]
# A position in a table ordered by id (the rows after it): 0 is before every row.
RowCursor = Annotated[int, annotated_types.Interval(ge=0, le=MAX_ROW_ID)]


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite hands back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; Homeward stores UTC-aware values only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def normalise_url(url: str) -> tuple[URL, dict[str, Any]]:
    """Pick the async driver and turn URL-only options into engine connect arguments."""
    parsed = make_url(url)
    connect_args: dict[str, Any] = {}
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        parsed = parsed.set(drivername="postgresql+asyncpg")
        query = dict(parsed.query)
        search_path = query.pop("search_path", None)
        parsed = parsed.set(query=query)
        if search_path:
            connect_args["server_settings"] = {"search_path": str(search_path)}
    elif backend == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
        # Several writers (API, relay, consumers) share one file: wait instead of failing.
        connect_args["timeout"] = 30
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    else:
        raise ValueError(f"unsupported database backend {backend!r}: use sqlite or postgresql")
    return parsed, connect_args


class Database:
    """One service database: engine, session factory, health check."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        # Kept as given: `normalise_url` moves `?search_path=` into connect arguments, and
        # migrations (which build their own engine from this string) need it too.
        self._given_url = url
        self.url, connect_args = normalise_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        # hide_parameters: a failed statement's exception text (logs, dead-letter headers)
        # must never carry the values it was given; see `events.deadletter.describe_error`.
        engine_args: dict[str, Any] = {
            "echo": echo,
            "connect_args": connect_args,
            "hide_parameters": True,
        }
        if not self.is_sqlite:
            engine_args |= {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 10}
        self.engine: AsyncEngine = create_async_engine(self.url, **engine_args)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        # A class of its own, so session listeners stay scoped to this database.
        self.session_class: type[Session] = type("HomewardSession", (Session,), {})
        self.sessions = async_sessionmaker(
            self.engine,
            class_=AsyncSession,
            expire_on_commit=False,
            sync_session_class=self.session_class,
        )

    @property
    def url_string(self) -> str:
        return self._given_url

    def session(self) -> AsyncSession:
        return self.sessions()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session whose work commits on success and rolls back on any error."""
        async with self.sessions() as session, session.begin():
            yield session

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # WAL with synchronous=NORMAL stays consistent after a crash and fsyncs at checkpoints,
    # not at every commit: the embedded default trades power-loss durability for speed.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
