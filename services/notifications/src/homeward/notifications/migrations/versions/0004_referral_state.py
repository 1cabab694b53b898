"""Referral facts keep the referral's lifecycle state: who may hear of a referral follows from
it and the shared `IN_AGENCY_HANDS`. `active` (derived from event names) and `requested_by`
(which no event ever filled) go.

Existing rows get no state: whether they were sent is not known, so their agency hears of
nothing until the referral's next lifecycle event says where it stands.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notif_referrals") as table:
        table.add_column(sa.Column("state", sa.String(20), nullable=True))
        table.drop_column("active")
        table.drop_column("requested_by")


def downgrade() -> None:
    with op.batch_alter_table("notif_referrals") as table:
        table.add_column(sa.Column("requested_by", sa.String(200)))
        table.add_column(sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()))
        table.drop_column("state")
