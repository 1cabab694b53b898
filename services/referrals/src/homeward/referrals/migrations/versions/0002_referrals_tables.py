"""Partner directory, referrals, history, escalations, read models and the audit trail.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from homeward.common.audit import create_audit_table, drop_audit_table
from homeward.common.db import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ACTOR = 300  # issuer URL + "#" + subject


def upgrade() -> None:
    create_audit_table(op)
    op.create_table(
        "ref_agencies",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.String(1000)),
        sa.Column("agency_type", sa.String(32), nullable=False),
        sa.Column("service_categories", sa.JSON(), nullable=False),
        sa.Column("municipalities", sa.JSON(), nullable=False),
        sa.Column("capacity", sa.String(16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("website", sa.String(300)),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_ref_agencies_agency_type", "ref_agencies", ["agency_type"])

    op.create_table(
        "ref_referrals",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("case_code", sa.String(16), nullable=False),
        sa.Column("person_id", sa.String(36), nullable=False),
        sa.Column("person_code", sa.String(16), nullable=False),
        sa.Column("municipality", sa.String(100), nullable=False),
        sa.Column("agency_id", sa.String(64), nullable=False),
        sa.Column("agency_type", sa.String(32), nullable=False),
        sa.Column("service_category", sa.String(32), nullable=False),
        sa.Column("priority", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("disclose", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("send_requested", sa.Boolean(), nullable=False),
        sa.Column("missing_consent", sa.JSON(), nullable=False),
        sa.Column("missing_documents", sa.JSON(), nullable=False),
        sa.Column("consent_override_basis", sa.String(32)),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column("outcome", sa.String(20)),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(ACTOR), nullable=False),
        sa.Column("sent_at", UTCDateTime()),
        sa.Column("accepted_at", UTCDateTime()),
        sa.Column("started_at", UTCDateTime()),
        sa.Column("ended_at", UTCDateTime()),
    )
    op.create_index("ix_ref_referrals_case_id", "ref_referrals", ["case_id"])
    op.create_index("ix_ref_referrals_person_id", "ref_referrals", ["person_id"])
    op.create_index("ix_ref_referrals_municipality", "ref_referrals", ["municipality", "state"])
    op.create_index("ix_ref_referrals_agency_id", "ref_referrals", ["agency_id", "state"])
    op.create_index("ix_ref_referrals_state", "ref_referrals", ["state"])

    op.create_table(
        "ref_referral_history",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("referral_id", sa.String(36), sa.ForeignKey("ref_referrals.id"), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(ACTOR), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("from_state", sa.String(20)),
        sa.Column("to_state", sa.String(20), nullable=False),
        sa.Column("reason_code", sa.String(32)),
        sa.Column("note", sa.String(1000)),
        sa.Column("outcome", sa.String(20)),
    )
    op.create_index("ix_ref_referral_history_referral_id", "ref_referral_history", ["referral_id"])

    op.create_table(
        "ref_escalations",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("referral_id", sa.String(36), sa.ForeignKey("ref_referrals.id"), nullable=False),
        sa.Column("deadline", sa.String(16), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("escalated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("referral_id", "deadline", "level"),
    )

    op.create_table(
        "ref_known_cases",
        sa.Column("case_id", sa.String(36), primary_key=True),
        sa.Column("case_code", sa.String(16), nullable=False),
        sa.Column("municipality", sa.String(100), nullable=False),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.Column("identities_erased_at", UTCDateTime()),
    )
    op.create_index("ix_ref_known_cases_municipality", "ref_known_cases", ["municipality"])
    op.create_table(
        "ref_known_persons",
        sa.Column("person_id", sa.String(36), primary_key=True),
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("person_code", sa.String(16), nullable=False),
        sa.Column("household_role", sa.String(32), nullable=False),
        sa.Column("age_group", sa.String(16), nullable=False),
        sa.Column("birth_year", sa.Integer()),
        sa.Column("sex", sa.String(16)),
        sa.Column("need_levels", sa.JSON(), nullable=False),
    )
    op.create_index("ix_ref_known_persons_case_id", "ref_known_persons", ["case_id"])
    op.create_table(
        "ref_known_consents",
        sa.Column("consent_id", sa.String(36), primary_key=True),
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("person_id", sa.String(36), nullable=False),
        sa.Column("recipient_agency_type", sa.String(32), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("legal_basis", sa.String(32), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("revoked_at", UTCDateTime()),
    )
    op.create_index("ix_ref_known_consents_person_id", "ref_known_consents", ["person_id"])
    op.create_table(
        "ref_known_readiness",
        sa.Column("person_id", sa.String(36), primary_key=True),
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("ready_categories", sa.JSON(), nullable=False),
        sa.Column("missing", sa.JSON(), nullable=False),
        sa.Column("computed_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "ref_known_readiness",
        "ref_known_consents",
        "ref_known_persons",
        "ref_known_cases",
        "ref_escalations",
        "ref_referral_history",
        "ref_referrals",
        "ref_agencies",
    ):
        op.drop_table(table)
    drop_audit_table(op)
