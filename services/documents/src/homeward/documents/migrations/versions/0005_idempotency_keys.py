"""Idempotency keys of creating requests: the first answer to each key, per caller.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

from homeward.common.idempotency import create_idempotency_table, drop_idempotency_table

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_idempotency_table(op)


def downgrade() -> None:
    drop_idempotency_table(op)
