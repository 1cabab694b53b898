"""The event tables in a service's database: outbox, outbox lanes and inbox.

Each service creates them from its first Alembic migration:

    from homeward.common.events.schema import create_event_tables, drop_event_tables

    def upgrade() -> None:
        create_event_tables(op)

    def downgrade() -> None:
        drop_event_tables(op)

The tables are created from their SQLModel definitions, so the migration and the models
cannot drift apart; creating the lane table seeds its `LANES` rows.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table

from homeward.common.events.inbox import ProcessedEvent
from homeward.common.events.outbox import OutboxLane, OutboxRecord


def event_tables() -> list[Table]:
    """For `SQLModel.metadata.create_all(connection, tables=[*event_tables(), ...])`."""
    return [OutboxRecord.__table__, OutboxLane.__table__, ProcessedEvent.__table__]  # type: ignore[list-item]


def create_event_tables(op: Any) -> None:
    """Create the tables (with their indexes) inside an Alembic migration."""
    connection = op.get_bind()
    for table in event_tables():
        table.create(connection)


def drop_event_tables(op: Any) -> None:
    connection = op.get_bind()
    for table in reversed(event_tables()):
        table.drop(connection, checkfirst=True)
