"""The audit trail (append-only, the shared table of every service): who changed webhook
subscriptions and email opt-ins, and who replayed deliveries.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

from homeward.common.audit import create_audit_table, drop_audit_table

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_audit_table(op)


def downgrade() -> None:
    drop_audit_table(op)
