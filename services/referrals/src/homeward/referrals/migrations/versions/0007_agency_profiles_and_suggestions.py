"""Agencies keep their languages and accredited staff; partners suggest onward referrals.

Revision ID: 0007
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

from homeward.common.db import UTCDateTime

revision = "0007"
down_revision = "0004"
branch_labels = None
depends_on = None

ACTOR = 300  # issuer URL + "#" + subject
EMPTY_LIST = sa.text("'[]'")


def upgrade() -> None:
    with op.batch_alter_table("ref_agencies") as table:
        table.add_column(
            sa.Column("languages", sa.JSON(), nullable=False, server_default=EMPTY_LIST)
        )
        table.add_column(
            sa.Column("accreditations", sa.JSON(), nullable=False, server_default=EMPTY_LIST)
        )

    op.create_table(
        "ref_suggestions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("from_referral_id", sa.String(36), sa.ForeignKey("ref_referrals.id"),
                  nullable=False),
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("case_code", sa.String(16), nullable=False),
        sa.Column("person_id", sa.String(36), nullable=False),
        sa.Column("person_code", sa.String(16), nullable=False),
        sa.Column("agency_id", sa.String(64), nullable=False),
        sa.Column("agency_type", sa.String(32), nullable=False),
        sa.Column("service_category", sa.String(32), nullable=False),
        sa.Column("reason_code", sa.String(32), nullable=False),
        sa.Column("note", sa.String(1000)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("suggested_at", UTCDateTime(), nullable=False),
        sa.Column("suggested_by", sa.String(ACTOR), nullable=False),
        sa.Column("decided_at", UTCDateTime()),
        sa.Column("decided_by", sa.String(ACTOR)),
        sa.Column("decline_reason", sa.String(32)),
        sa.Column("referral_id", sa.String(36), sa.ForeignKey("ref_referrals.id")),
    )  # fmt: skip
    # Coordinators list by case (joined to the known case's municipality), partners by agency.
    op.create_index("ix_ref_suggestions_case_id", "ref_suggestions", ["case_id", "status"])
    op.create_index("ix_ref_suggestions_agency_id", "ref_suggestions", ["agency_id", "status"])
    op.create_index("ix_ref_suggestions_person_id", "ref_suggestions", ["person_id"])


def downgrade() -> None:
    op.drop_table("ref_suggestions")
    with op.batch_alter_table("ref_agencies") as table:
        table.drop_column("accreditations")
        table.drop_column("languages")
