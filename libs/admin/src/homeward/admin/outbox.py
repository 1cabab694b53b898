"""`homeward outbox backlog`: what each service has committed but not yet published.
`homeward outbox republish`: publish retained events again.

A growing backlog or an old oldest row means the relay is stuck (broker down, a lane that
keeps failing); the busiest lane tells whether one key holds the rest back.

Republishing is for a broker that lost data where the relay cannot see it (Kafka restored
from a backup that has grown since): published rows still retained are marked unpublished,
and the service's running relay publishes them again in order per key. Consumers skip what
they had applied (inbox), so running it twice, or on a broker that lost nothing, is harmless.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from homeward.admin.services import AdminError, load_settings
from homeward.common.db import Database, utcnow
from homeward.common.events import OutboxRecord, requeue_published


@dataclass(frozen=True)
class Backlog:
    service: str
    unpublished: int
    oldest_age_s: float | None  # None: nothing waits
    busiest_lane: int | None
    busiest_lane_rows: int


async def backlog(service: str) -> Backlog:
    database = Database(load_settings(service, secrets=False).database_url)
    pending = col(OutboxRecord.published_at).is_(None)
    try:
        async with database.sessions() as session:
            count, oldest = (
                await session.exec(select(func.count(), func.min(OutboxRecord.time)).where(pending))
            ).one()
            lane = (
                await session.exec(
                    select(OutboxRecord.lane, func.count())
                    .where(pending)
                    .group_by(OutboxRecord.lane)
                    .order_by(func.count().desc(), OutboxRecord.lane)
                    .limit(1)
                )
            ).first()
    except (SQLAlchemyError, OSError) as error:
        raise AdminError(
            f"{service}: cannot read the outbox ({type(error).__name__}): is the database "
            f"reachable and migrated? (`homeward check {service}`)"
        ) from None
    finally:
        await database.dispose()
    return Backlog(
        service=service,
        unpublished=count,
        oldest_age_s=(utcnow() - oldest).total_seconds() if oldest is not None else None,
        busiest_lane=lane[0] if lane else None,
        busiest_lane_rows=lane[1] if lane else 0,
    )


@dataclass(frozen=True)
class Requeued:
    service: str
    queued: int  # published rows marked to be published again
    to_publish: int  # those and what was pending already, up to `newest`
    newest: int  # the newest outbox row id when queuing


async def requeue(service: str, *, since: datetime | None) -> Requeued:
    """Queue the retained published events (staged at or after `since`) again."""
    async with _outbox(service, "update") as database, database.transaction() as session:
        newest = (await session.exec(select(func.max(OutboxRecord.id)))).one() or 0
        queued = await requeue_published(session, since=since)
        to_publish = await _unpublished_up_to(session, newest)
    return Requeued(service=service, queued=queued, to_publish=to_publish, newest=newest)


async def follow(
    requeued: Requeued,
    *,
    wait_s: float,
    progress: Callable[[int], None],
    poll_s: float = 1.0,
) -> int:
    """Follow the relay for up to `wait_s` seconds, calling `progress(published)`; returns
    how many of `requeued.to_publish` are still unpublished."""
    deadline = time.monotonic() + wait_s
    async with _outbox(requeued.service, "read") as database:
        while True:
            async with database.sessions() as session:
                left = await _unpublished_up_to(session, requeued.newest)
            progress(requeued.to_publish - left)
            if not left or time.monotonic() >= deadline:
                return left
            await asyncio.sleep(poll_s)


async def _unpublished_up_to(session: AsyncSession, newest: int) -> int:
    pending = col(OutboxRecord.published_at).is_(None) & (col(OutboxRecord.id) <= newest)
    return (await session.exec(select(func.count()).where(pending))).one()


@asynccontextmanager
async def _outbox(service: str, doing: str) -> AsyncIterator[Database]:
    database = Database(load_settings(service, secrets=False).database_url)
    try:
        yield database
    except (SQLAlchemyError, OSError) as error:
        raise AdminError(
            f"{service}: cannot {doing} the outbox ({type(error).__name__}): is the database "
            f"reachable and migrated? (`homeward check {service}`)"
        ) from None
    finally:
        await database.dispose()
