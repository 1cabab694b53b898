"""The event tables in a service's database: outbox, outbox lanes and inbox.

Each service creates them from its first Alembic migration:

    from homeward.common.events.schema import create_event_tables, drop_event_tables

    def upgrade() -> None:
        create_event_tables(op)

    def downgrade() -> None:
        drop_event_tables(op)

The DDL below is written out, not derived from the SQLModel classes: a migration must create
the same tables forever, whatever the models become. A change to the event tables is a new
helper for a new migration, and `tests/common/test_migrations.py` checks that migrated
databases match the models.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import Table

from homeward.common.db import UTCDateTime
from homeward.common.events.inbox import ProcessedEvent
from homeward.common.events.outbox import LANES, OutboxLane, OutboxRecord


def event_tables() -> list[Table]:
    """For `SQLModel.metadata.create_all(connection, tables=[*event_tables(), ...])`."""
    return [OutboxRecord.__table__, OutboxLane.__table__, ProcessedEvent.__table__]  # type: ignore[list-item]


def create_event_tables(op: Any) -> None:
    """Version 1 of the event tables, inside an Alembic migration."""
    op.create_table(
        "event_outbox",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer, "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("topic", sa.String(255), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("lane", sa.Integer, nullable=False),
        sa.Column("type", sa.String(255), nullable=False),
        sa.Column("subject", sa.String(255), nullable=True),
        sa.Column("time", UTCDateTime, nullable=False),
        sa.Column("traceparent", sa.String(55), nullable=True),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("published_at", UTCDateTime, nullable=True),
    )
    op.create_index(
        "ix_event_outbox_pending",
        "event_outbox",
        ["lane", "id"],
        postgresql_where=sa.text("published_at IS NULL"),
        sqlite_where=sa.text("published_at IS NULL"),
    )
    lanes = op.create_table(
        "event_outbox_lane",
        sa.Column("lane", sa.Integer, primary_key=True, autoincrement=False),
    )
    op.bulk_insert(lanes, [{"lane": lane} for lane in range(LANES)])
    op.create_table(
        "event_inbox",
        sa.Column("consumer_group", sa.String(255), primary_key=True),
        sa.Column("event_id", sa.String(255), primary_key=True),
        sa.Column("topic", sa.String(255), nullable=False),
        sa.Column("processed_at", UTCDateTime, nullable=False),
    )


def drop_event_tables(op: Any) -> None:
    op.drop_table("event_inbox")
    op.drop_table("event_outbox_lane")
    op.drop_index("ix_event_outbox_pending", table_name="event_outbox")
    op.drop_table("event_outbox")
