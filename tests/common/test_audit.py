"""The audit trail is append-only in the database itself, not only by convention, in every
service that keeps one."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from homeward.common.audit import AUDIT_TABLE, record_audit
from homeward.common.auth import Principal, Role
from homeward.common.db import Database
from homeward.common.migrations import upgrade

SUPERVISOR = Principal(
    issuer="https://id.example/realms/homeward",
    subject="4f1c",
    roles=frozenset({Role.SUPERVISOR}),
    municipality="riverton",
)


@pytest.mark.parametrize("service", ["intake", "referrals", "documents", "notifications"])
@pytest.mark.parametrize(
    "tampering",
    [
        f"UPDATE {AUDIT_TABLE} SET action = 'nothing.happened'",
        f"DELETE FROM {AUDIT_TABLE}",
    ],
)
async def test_recorded_audit_rows_can_be_neither_changed_nor_deleted(
    database_url: str, tampering: str, service: str
) -> None:
    await upgrade(database_url, f"homeward.{service}.migrations")
    database = Database(database_url)
    try:
        async with database.transaction() as session:
            record_audit(
                session,
                principal=SUPERVISOR,
                action="identity.read",
                case_code="HW-7KQ3-M9",
                fields=["full_name"],
                purpose="safeguarding",
            )
        with pytest.raises(DBAPIError, match="append-only"):
            async with database.transaction() as session:
                await session.exec(text(tampering))
        async with database.session() as session:
            rows = (await session.exec(text(f"SELECT actor, action FROM {AUDIT_TABLE}"))).all()
    finally:
        await database.dispose()
    assert [tuple(row) for row in rows] == [(SUPERVISOR.actor, "identity.read")]
