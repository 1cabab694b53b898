"""Outbox, inbox and relay lanes: the tables the events library needs.

Revision ID: 0001
Revises:
"""

from alembic import op

from homeward.common.events.schema import create_event_tables, drop_event_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_event_tables(op)


def downgrade() -> None:
    drop_event_tables(op)
