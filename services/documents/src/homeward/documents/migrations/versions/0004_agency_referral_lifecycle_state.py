"""Agency referrals keep the referral's lifecycle state only: whether the agency may see the
person's readiness follows from it (the shared `IN_AGENCY_HANDS`), so the `open` flag goes.

Rows whose state was the gate ("blocked", "unblocked") do not say whether the referral was
sent: they become drafts, hidden from the agency until the referral's next lifecycle event.

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
    op.execute(
        "UPDATE documents_agency_referrals SET state = 'draft' "
        "WHERE state IN ('blocked', 'unblocked')"
    )
    with op.batch_alter_table("documents_agency_referrals") as table:
        table.drop_column("open")
        table.alter_column("state", server_default="draft")


def downgrade() -> None:
    with op.batch_alter_table("documents_agency_referrals") as table:
        table.add_column(sa.Column("open", sa.Boolean, nullable=False, server_default=sa.true()))
        table.alter_column("state", server_default="blocked")
    op.execute(
        "UPDATE documents_agency_referrals SET open = false WHERE state IN "
        "('rejected', 'completed', 'failed', 'cancelled', 'entered-in-error')"
    )
