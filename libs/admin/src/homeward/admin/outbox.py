"""`homeward outbox backlog`: what each service has committed but not yet published.

A growing backlog or an old oldest row means the relay is stuck (broker down, a lane that
keeps failing); the busiest lane tells whether one key holds the rest back.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col, select

from homeward.admin.services import AdminError, load_settings
from homeward.common.db import Database, utcnow
from homeward.common.events import OutboxRecord


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
