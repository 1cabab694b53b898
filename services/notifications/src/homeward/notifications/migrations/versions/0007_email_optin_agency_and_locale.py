"""Email opt-ins name a partner's agency in a column of its own (it was a fake role,
`agency:<id>`, among the roles) and the language of their emails (NULL: English, which is
what every existing opt-in has been sent).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

AGENCY = "agency:"
OPTINS = sa.table(
    "notif_email_optins",
    sa.column("reader", sa.String),
    sa.column("roles", sa.JSON),
    sa.column("agency_id", sa.String),
)


def upgrade() -> None:
    with op.batch_alter_table("notif_email_optins") as table:
        table.add_column(sa.Column("agency_id", sa.String(100), nullable=True))
        table.add_column(sa.Column("locale", sa.String(8), nullable=True))
        table.create_index("ix_notif_email_optins_agency_id", ["agency_id"])
    connection = op.get_bind()
    for reader, roles in connection.execute(sa.select(OPTINS.c.reader, OPTINS.c.roles)).all():
        agencies = [role[len(AGENCY) :] for role in roles if role.startswith(AGENCY)]
        if agencies:
            connection.execute(
                OPTINS.update()
                .where(OPTINS.c.reader == reader)
                .values(
                    agency_id=agencies[0],
                    roles=[role for role in roles if not role.startswith(AGENCY)],
                )
            )


def downgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(OPTINS.c.reader, OPTINS.c.roles, OPTINS.c.agency_id).where(
            OPTINS.c.agency_id.is_not(None)
        )
    ).all()
    for reader, roles, agency_id in rows:
        connection.execute(
            OPTINS.update()
            .where(OPTINS.c.reader == reader)
            .values(roles=sorted([*roles, f"{AGENCY}{agency_id}"]))
        )
    with op.batch_alter_table("notif_email_optins") as table:
        table.drop_index("ix_notif_email_optins_agency_id")
        table.drop_column("locale")
        table.drop_column("agency_id")
