"""Indexes the hourly retention prune (workers/retention.py) reads by: creation time.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_notif_notifications_created_at", "notif_notifications", ["created_at"])
    op.create_index("ix_notif_deliveries_created_at", "notif_deliveries", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_notif_deliveries_created_at", "notif_deliveries")
    op.drop_index("ix_notif_notifications_created_at", "notif_notifications")
