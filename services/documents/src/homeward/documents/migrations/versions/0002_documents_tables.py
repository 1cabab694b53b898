"""Persons, records and their changes, readiness, tasks, agency referrals; the vault's data
keys and the audit trail.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from homeward.common.audit import create_audit_table, drop_audit_table
from homeward.common.crypto import create_data_key_table, drop_data_key_table
from homeward.common.db import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ACTOR = 300  # issuer URL + "#" + subject


def upgrade() -> None:
    create_data_key_table(op)
    create_audit_table(op)

    op.create_table(
        "documents_persons",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("case_code", sa.String(16), nullable=False),
        sa.Column("person_code", sa.String(16), nullable=False),
        sa.Column("municipality", sa.String(100), nullable=False),
        sa.Column("age_group", sa.String(16), nullable=False),
        sa.Column("household_role", sa.String(32), nullable=False),
        sa.Column("added_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_documents_persons_case_id", "documents_persons", ["case_id"])
    op.create_index("ix_documents_persons_municipality", "documents_persons", ["municipality"])

    op.create_table(
        "documents_records",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "person_id", sa.String(36), sa.ForeignKey("documents_persons.id"), nullable=False
        ),
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("municipality", sa.String(100), nullable=False),
        sa.Column("document_type", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("issuing_authority", sa.String(200)),
        sa.Column("reference_number_sealed", sa.LargeBinary()),
        sa.Column("blocker_sealed", sa.LargeBinary()),
        sa.Column("requested_on", sa.Date()),
        sa.Column("issued_on", sa.Date()),
        sa.Column("expiry_on", sa.Date()),
        sa.Column("expiry_warned_for", sa.Date()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("person_id", "document_type", name="uq_documents_records_type"),
    )
    for column in ("person_id", "case_id", "municipality", "status", "expiry_on"):
        op.create_index(f"ix_documents_records_{column}", "documents_records", [column])

    op.create_table(
        "documents_record_changes",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "record_id", sa.String(36), sa.ForeignKey("documents_records.id"), nullable=False
        ),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(ACTOR), nullable=False),
        sa.Column("from_status", sa.String(16)),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("reason_sealed", sa.LargeBinary()),
    )
    op.create_index(
        "ix_documents_record_changes_record_id", "documents_record_changes", ["record_id"]
    )

    op.create_table(
        "documents_readiness",
        sa.Column("person_id", sa.String(36), primary_key=True),
        sa.Column("ready_categories", sa.JSON(), nullable=False),
        sa.Column("missing", sa.JSON(), nullable=False),
        sa.Column("rules_version", sa.String(64), nullable=False),
        sa.Column("computed_at", UTCDateTime(), nullable=False),
    )

    op.create_table(
        "documents_tasks",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("referral_id", sa.String(36), nullable=False),
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("case_code", sa.String(16), nullable=False),
        sa.Column("municipality", sa.String(100), nullable=False),
        sa.Column("person_id", sa.String(36), nullable=False),
        sa.Column("service_category", sa.String(64), nullable=False),
        sa.Column("needed", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("raised_at", UTCDateTime(), nullable=False),
        sa.Column("closed_at", UTCDateTime()),
        sa.Column("closed_because", sa.String(32)),
    )
    for column in ("referral_id", "case_id", "municipality", "person_id", "status"):
        op.create_index(f"ix_documents_tasks_{column}", "documents_tasks", [column])
    # A redelivered or repeated ReferralBlocked never opens a second task for one referral.
    open_only = sa.text("status = 'open'")
    op.create_index(
        "uq_documents_tasks_one_open",
        "documents_tasks",
        ["referral_id"],
        unique=True,
        sqlite_where=open_only,
        postgresql_where=open_only,
    )

    op.create_table(
        "documents_agency_referrals",
        sa.Column("referral_id", sa.String(36), primary_key=True),
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("person_id", sa.String(36), nullable=False),
        sa.Column("agency_id", sa.String(100), nullable=False),
        sa.Column("service_category", sa.String(64), nullable=False),
    )
    op.create_index(
        "ix_documents_agency_referrals_person", "documents_agency_referrals", ["person_id"]
    )
    op.create_index(
        "ix_documents_agency_referrals_agency", "documents_agency_referrals", ["agency_id"]
    )
    op.create_index("ix_documents_agency_referrals_case", "documents_agency_referrals", ["case_id"])


def downgrade() -> None:
    for table in (
        "documents_agency_referrals",
        "documents_tasks",
        "documents_readiness",
        "documents_record_changes",
        "documents_records",
        "documents_persons",
    ):
        op.drop_table(table)
    drop_audit_table(op)
    drop_data_key_table(op)
