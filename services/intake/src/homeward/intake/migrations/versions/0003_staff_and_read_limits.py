"""The staff intake has seen (from their tokens): who may be assigned a case; and an index
for counting an actor's recent identity reads (the per-actor limit).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from homeward.common.audit import AUDIT_TABLE
from homeward.common.db import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "intake_staff",
        sa.Column("actor", sa.String(300), primary_key=True),
        sa.Column("username", sa.String(200), nullable=False),
        sa.Column("municipality", sa.String(100)),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_intake_staff_municipality", "intake_staff", ["municipality"])
    op.create_index("ix_intake_staff_username", "intake_staff", ["username"])
    op.create_index(f"ix_{AUDIT_TABLE}_actor_action_at", AUDIT_TABLE, ["actor", "action", "at"])


def downgrade() -> None:
    op.drop_index(f"ix_{AUDIT_TABLE}_actor_action_at", AUDIT_TABLE)
    op.drop_table("intake_staff")
