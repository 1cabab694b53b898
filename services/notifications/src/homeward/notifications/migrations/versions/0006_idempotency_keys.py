"""Idempotency keys of creating requests: the first answer to each key, per caller.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

from homeward.common.idempotency import create_idempotency_table, drop_idempotency_table

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_idempotency_table(op)


def downgrade() -> None:
    drop_idempotency_table(op)
