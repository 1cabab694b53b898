"""Read models, inbox items and receipts, webhook subscriptions and deliveries, email.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from homeward.common.db import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ACTOR = 300


def upgrade() -> None:
    op.create_table(
        "notif_cases",
        sa.Column("case_id", sa.String(36), primary_key=True),
        sa.Column("case_code", sa.String(16), nullable=False),
        sa.Column("municipality", sa.String(100), nullable=False),
        sa.Column("coordinator", sa.String(200)),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "notif_referrals",
        sa.Column("referral_id", sa.String(36), primary_key=True),
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("agency_id", sa.String(100), nullable=False),
        sa.Column("agency_type", sa.String(40)),
        sa.Column("person_id", sa.String(36)),
        sa.Column("service_category", sa.String(40)),
        sa.Column("requested_by", sa.String(200)),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_notif_referrals_case_id", "notif_referrals", ["case_id"])
    op.create_table(
        "notif_notifications",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(200), nullable=False),
        sa.Column("recipient", sa.String(200), nullable=False),
        sa.Column("event_type", sa.String(120), nullable=False),
        sa.Column("summary", sa.String(200), nullable=False),
        sa.Column("case_code", sa.String(16)),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("link", sa.String(500), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("event_id", "recipient", name="uq_notif_event_recipient"),
    )
    op.create_index("ix_notif_notifications_recipient", "notif_notifications", ["recipient", "id"])
    op.create_table(
        "notif_receipts",
        sa.Column(
            "notification_id",
            sa.Integer(),
            sa.ForeignKey("notif_notifications.id"),
            primary_key=True,
        ),
        sa.Column("reader", sa.String(ACTOR), primary_key=True),
        sa.Column("read_at", UTCDateTime()),
        sa.Column("acknowledged_at", UTCDateTime()),
    )
    op.create_index("ix_notif_receipts_reader", "notif_receipts", ["reader"])
    op.create_table(
        "notif_subscriptions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("agency_id", sa.String(100), nullable=False),
        sa.Column("url", sa.String(500), nullable=False),
        sa.Column("event_types", sa.JSON(), nullable=False),
        sa.Column("secret_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("secret_key_id", sa.String(40), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(ACTOR), nullable=False),
        sa.Column("disabled_at", UTCDateTime()),
        sa.Column("disabled_reason", sa.String(200)),
    )
    op.create_index("ix_notif_subscriptions_agency_id", "notif_subscriptions", ["agency_id"])
    op.create_table(
        "notif_deliveries",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column(
            "subscription_id",
            sa.String(36),
            sa.ForeignKey("notif_subscriptions.id"),
            nullable=False,
        ),
        sa.Column("agency_id", sa.String(100), nullable=False),
        sa.Column("event_id", sa.String(200), nullable=False),
        sa.Column("event_type", sa.String(120), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime()),
        sa.Column("last_status_code", sa.Integer()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("delivered_at", UTCDateTime()),
    )
    op.create_index("ix_notif_deliveries_subscription_id", "notif_deliveries", ["subscription_id"])
    op.create_index("ix_notif_deliveries_agency_id", "notif_deliveries", ["agency_id"])
    op.create_index("ix_notif_deliveries_due", "notif_deliveries", ["status", "next_attempt_at"])
    op.create_table(
        "notif_delivery_attempts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "delivery_id", sa.String(40), sa.ForeignKey("notif_deliveries.id"), nullable=False
        ),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("attempted_at", UTCDateTime(), nullable=False),
        sa.Column("status_code", sa.Integer()),
        sa.Column("error", sa.String(200)),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
    )
    op.create_index(
        "ix_notif_delivery_attempts_delivery_id", "notif_delivery_attempts", ["delivery_id"]
    )
    op.create_table(
        "notif_email_optins",
        sa.Column("reader", sa.String(ACTOR), primary_key=True),
        sa.Column("username", sa.String(200), nullable=False),
        sa.Column("address", sa.String(320), nullable=False),
        sa.Column("municipality", sa.String(100), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("opted_in_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_notif_email_optins_username", "notif_email_optins", ["username"])
    op.create_table(
        "notif_emails",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "notification_id",
            sa.Integer(),
            sa.ForeignKey("notif_notifications.id"),
            nullable=False,
        ),
        sa.Column("address", sa.String(320), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime()),
        sa.Column("sent_at", UTCDateTime()),
        sa.Column("last_error", sa.String(200)),
    )
    op.create_index("ix_notif_emails_notification_id", "notif_emails", ["notification_id"])
    op.create_index("ix_notif_emails_due", "notif_emails", ["status", "next_attempt_at"])


def downgrade() -> None:
    for table in (
        "notif_emails",
        "notif_email_optins",
        "notif_delivery_attempts",
        "notif_deliveries",
        "notif_subscriptions",
        "notif_receipts",
        "notif_notifications",
        "notif_referrals",
        "notif_cases",
    ):
        op.drop_table(table)
