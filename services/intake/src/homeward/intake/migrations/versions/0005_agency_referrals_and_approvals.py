"""The read model of agencies' referrals (need-to-know identity), closure requests that a
supervisor decides (and the case status that says one is pending), and the reason a transfer
decision gives.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

from homeward.common.db import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ACTOR = 300  # issuer URL + "#" + subject


def upgrade() -> None:
    # "closure-requested" needs more than the 16 characters "open" and "closed" did.
    with op.batch_alter_table("intake_cases") as table:
        table.alter_column("status", type_=sa.String(32), existing_nullable=False)

    op.create_table(
        "intake_agency_referrals",
        sa.Column("referral_id", sa.String(36), primary_key=True),
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("person_id", sa.String(36), nullable=False),
        sa.Column("agency_id", sa.String(64), nullable=False),
        sa.Column("agency_type", sa.String(32), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("accepted_and_open", sa.Boolean(), nullable=False),
        sa.Column("ended", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_intake_agency_referrals_case_id", "intake_agency_referrals", ["case_id"])
    op.create_index(
        "ix_intake_agency_referrals_holder",
        "intake_agency_referrals",
        ["agency_id", "person_id"],
    )

    op.create_table(
        "intake_closure_requests",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("case_id", sa.String(36), sa.ForeignKey("intake_cases.id"), nullable=False),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column("requested_by", sa.String(ACTOR), nullable=False),
        sa.Column("decided_at", UTCDateTime()),
        sa.Column("decided_by", sa.String(ACTOR)),
        sa.Column("decision_reason", sa.String(40)),
    )
    op.create_index("ix_intake_closure_requests_case_id", "intake_closure_requests", ["case_id"])
    # Two coordinators racing to ask: the database keeps only one pending request per case.
    pending = sa.text("status = 'pending'")
    op.create_index(
        "uq_intake_closure_requests_one_pending",
        "intake_closure_requests",
        ["case_id"],
        unique=True,
        sqlite_where=pending,
        postgresql_where=pending,
    )

    with op.batch_alter_table("intake_transfers") as table:
        table.add_column(sa.Column("decision_reason", sa.String(40)))


def downgrade() -> None:
    with op.batch_alter_table("intake_transfers") as table:
        table.drop_column("decision_reason")
    op.drop_table("intake_closure_requests")
    op.drop_table("intake_agency_referrals")
    with op.batch_alter_table("intake_cases") as table:
        table.alter_column("status", type_=sa.String(16), existing_nullable=False)
