"""Cases, persons, sealed identities, receiving families, assessments, consents, transfers;
the vault's data keys and the audit trail.

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
        "intake_cases",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("code", sa.String(16), nullable=False, unique=True),
        sa.Column("municipality", sa.String(100), nullable=False),
        sa.Column("return_operation", sa.String(120), nullable=False),
        sa.Column("arrival_date", sa.Date(), nullable=False),
        sa.Column("placement", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("coordinator", sa.String(200)),
        sa.Column("registered_at", UTCDateTime(), nullable=False),
        sa.Column("registered_by", sa.String(ACTOR), nullable=False),
        sa.Column("closed_at", UTCDateTime()),
        sa.Column("close_reason", sa.String(40)),
        sa.Column("identities_erased_at", UTCDateTime()),
    )
    op.create_index("ix_intake_cases_municipality", "intake_cases", ["municipality", "status"])

    op.create_table(
        "intake_persons",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("case_id", sa.String(36), sa.ForeignKey("intake_cases.id"), nullable=False),
        sa.Column("code", sa.String(16), nullable=False, unique=True),
        sa.Column("household_role", sa.String(32), nullable=False),
        sa.Column("birth_year", sa.Integer(), nullable=False),
        sa.Column("sex", sa.String(16), nullable=False),
        sa.Column("guardian_id", sa.String(36), sa.ForeignKey("intake_persons.id")),
        sa.Column("added_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_intake_persons_case_id", "intake_persons", ["case_id"])

    sealed = [
        sa.Column(f"{name}_sealed", sa.LargeBinary())
        for name in (
            "full_name",
            "date_of_birth",
            "place_of_birth",
            "national_id",
            "address",
            "phone",
        )
    ]
    op.create_table(
        "intake_identities",
        sa.Column("person_id", sa.String(36), sa.ForeignKey("intake_persons.id"), primary_key=True),
        sa.Column("case_id", sa.String(36), sa.ForeignKey("intake_cases.id"), nullable=False),
        *sealed,
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_intake_identities_case_id", "intake_identities", ["case_id"])

    op.create_table(
        "intake_receiving_families",
        sa.Column("case_id", sa.String(36), sa.ForeignKey("intake_cases.id"), primary_key=True),
        sa.Column("relation", sa.String(40), nullable=False),
        sa.Column("support_capacity", sa.String(16), nullable=False),
        sa.Column("assessed_positive_support", sa.Boolean()),
        sa.Column("notes_sealed", sa.LargeBinary()),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
    )

    op.create_table(
        "intake_assessments",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("case_id", sa.String(36), sa.ForeignKey("intake_cases.id"), nullable=False),
        sa.Column("person_id", sa.String(36), sa.ForeignKey("intake_persons.id"), nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("levels", sa.JSON(), nullable=False),
        sa.Column("notes_sealed", sa.LargeBinary()),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(ACTOR), nullable=False),
    )
    op.create_index("ix_intake_assessments_case_id", "intake_assessments", ["case_id"])
    op.create_index(
        "ix_intake_assessments_person", "intake_assessments", ["person_id", "assessed_on"]
    )

    op.create_table(
        "intake_consents",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("case_id", sa.String(36), sa.ForeignKey("intake_cases.id"), nullable=False),
        sa.Column("person_id", sa.String(36), sa.ForeignKey("intake_persons.id"), nullable=False),
        sa.Column("given_by_id", sa.String(36), sa.ForeignKey("intake_persons.id")),
        sa.Column("recipient_agency_type", sa.String(32), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("legal_basis", sa.String(32), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("granted_at", UTCDateTime(), nullable=False),
        sa.Column("granted_by", sa.String(ACTOR), nullable=False),
        sa.Column("revoked_at", UTCDateTime()),
        sa.Column("revoked_by", sa.String(ACTOR)),
    )
    op.create_index("ix_intake_consents_case_id", "intake_consents", ["case_id"])
    op.create_index("ix_intake_consents_person_id", "intake_consents", ["person_id"])

    op.create_table(
        "intake_transfers",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("case_id", sa.String(36), sa.ForeignKey("intake_cases.id"), nullable=False),
        sa.Column("from_municipality", sa.String(100), nullable=False),
        sa.Column("to_municipality", sa.String(100), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column("requested_by", sa.String(ACTOR), nullable=False),
        sa.Column("decided_at", UTCDateTime()),
        sa.Column("decided_by", sa.String(ACTOR)),
    )
    op.create_index("ix_intake_transfers_case_id", "intake_transfers", ["case_id"])
    op.create_index("ix_intake_transfers_to", "intake_transfers", ["to_municipality", "status"])
    op.create_index("ix_intake_transfers_from", "intake_transfers", ["from_municipality", "status"])
    # Two coordinators racing to request a transfer: the database keeps only one pending.
    pending = sa.text("status = 'pending'")
    op.create_index(
        "uq_intake_transfers_one_pending",
        "intake_transfers",
        ["case_id"],
        unique=True,
        sqlite_where=pending,
        postgresql_where=pending,
    )


def downgrade() -> None:
    for table in (
        "intake_transfers",
        "intake_consents",
        "intake_assessments",
        "intake_receiving_families",
        "intake_identities",
        "intake_persons",
        "intake_cases",
    ):
        op.drop_table(table)
    drop_audit_table(op)
    drop_data_key_table(op)
