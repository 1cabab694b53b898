"""Agency referrals follow the referral lifecycle: its last state, and whether it is open
(an open referral gives its agency the partner readiness view of the person).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents_agency_referrals") as table:
        table.add_column(
            sa.Column("state", sa.String(32), nullable=False, server_default="blocked")
        )
        table.add_column(sa.Column("open", sa.Boolean, nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table("documents_agency_referrals") as table:
        table.drop_column("open")
        table.drop_column("state")
