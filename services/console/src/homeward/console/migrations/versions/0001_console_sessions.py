"""Server-side sessions of the console.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from homeward.common.db import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("locale", sa.String(8), nullable=True),
        sa.Column("username", sa.String(200), nullable=True),
        sa.Column("sealed", sa.LargeBinary, nullable=True),
        sa.Column("access_expires_at", UTCDateTime, nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("last_seen_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_console_sessions_last_seen_at", "console_sessions", ["last_seen_at"])


def downgrade() -> None:
    op.drop_table("console_sessions")
