"""The transactional outbox: the only way a Homeward service publishes an event.

A handler stages its events with `add_event` in the session that writes its state change, so
both commit or neither does. The relay (`relay.py`) publishes committed rows and marks them.
Handlers never call Kafka.

Every key (the case id) maps to one of `LANES` lanes by a stable hash. The relay publishes a
lane's rows in id order and locks whole lanes, which is how per-key order survives several
relay replicas; `event_outbox_lane` holds one row per lane to lock.
"""

from __future__ import annotations

import uuid
import zlib
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, String, Table, event, insert, text
from sqlalchemy.engine import Connection
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from homeward.common.db import UTCDateTime, utcnow
from homeward.common.events.contracts import EventContract
from homeward.common.tracing import current_traceparent

# Changing LANES moves keys to other lanes: only do it with an empty backlog.
LANES = 32
# Set in `session.info` when a transaction stages events, so the relay wakes after commit.
OUTBOX_STAGED = "homeward.outbox.staged"


def lane_for(key: str) -> int:
    return zlib.crc32(key.encode()) % LANES


class OutboxRecord(SQLModel, table=True):
    __tablename__ = "event_outbox"
    __table_args__ = (
        # What the relay reads: pending rows of a lane in id order.
        Index(
            "ix_event_outbox_pending",
            "lane",
            "id",
            postgresql_where=text("published_at IS NULL"),
            sqlite_where=text("published_at IS NULL"),
        ),
    )

    # BIGINT on PostgreSQL; SQLite only autoincrements an INTEGER primary key.
    id: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
        ),
    )
    event_id: str = Field(sa_column=Column(String(36), nullable=False, unique=True))
    topic: str = Field(sa_column=Column(String(255), nullable=False))
    key: str = Field(sa_column=Column(String(255), nullable=False))
    lane: int = Field(sa_column=Column(Integer, nullable=False))
    type: str = Field(sa_column=Column(String(255), nullable=False))
    subject: str | None = Field(default=None, sa_column=Column(String(255), nullable=True))
    time: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    traceparent: str | None = Field(default=None, sa_column=Column(String(55), nullable=True))
    data: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    published_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime, nullable=True)
    )


class OutboxLane(SQLModel, table=True):
    """One row per lane; a relay holds a lane by locking its row (see `relay.py`)."""

    __tablename__ = "event_outbox_lane"

    lane: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))


@event.listens_for(OutboxLane.__table__, "after_create")
def _seed_lanes(table: Table, connection: Connection, **_: Any) -> None:
    # Runs for `metadata.create_all` and for the migration helper alike (see `schema.py`).
    connection.execute(insert(table), [{"lane": lane} for lane in range(LANES)])


def add_event(
    session: AsyncSession, event: EventContract, *, key: str, subject: str | None = None
) -> str:
    """Stage `event` in the caller's transaction; returns the event id (`ce_id`)."""
    contract = type(event)
    if not getattr(contract, "event_type", None):
        raise TypeError(f"{contract.__qualname__} is not a registered event contract")
    if not key:
        raise ValueError("an event needs a key (the case id): it decides order and partition")
    event_id = str(uuid.uuid4())
    session.add(
        OutboxRecord(
            event_id=event_id,
            topic=contract.topic,
            key=key,
            lane=lane_for(key),
            type=contract.event_type,
            subject=subject,
            time=utcnow(),
            traceparent=current_traceparent(),
            data=event.model_dump(mode="json"),
        )
    )
    session.info[OUTBOX_STAGED] = True
    return event_id
