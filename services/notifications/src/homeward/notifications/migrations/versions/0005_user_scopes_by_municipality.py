"""User scopes name the case's municipality (`user:<username>@<municipality>`), so that a
case's notice is seen only by a reader of that municipality. Items addressed before are
moved to the form of their case's municipality; one whose case is unknown stays as it was,
and no token reads that form any more (seen by nobody rather than by the wrong person).

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        UPDATE notif_notifications
        SET recipient = recipient || '@' || (
            SELECT MIN(c.municipality) FROM notif_cases c
            WHERE c.case_code = notif_notifications.case_code
        )
        WHERE recipient LIKE 'user:%'
          AND recipient NOT LIKE '%@%'
          AND EXISTS (
            SELECT 1 FROM notif_cases c WHERE c.case_code = notif_notifications.case_code
          )
        """
    )


DOWNGRADE = {  # where the "@" is: SQLite spells it instr(), PostgreSQL strpos()
    "sqlite": "UPDATE notif_notifications SET recipient = "
    "substr(recipient, 1, instr(recipient, '@') - 1) WHERE recipient LIKE 'user:%@%'",
    "postgresql": "UPDATE notif_notifications SET recipient = "
    "substr(recipient, 1, strpos(recipient, '@') - 1) WHERE recipient LIKE 'user:%@%'",
}


def downgrade() -> None:
    op.execute(DOWNGRADE[op.get_bind().dialect.name])
