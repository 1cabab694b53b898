"""Migration 0005: items addressed to a user before user scopes named a municipality move to
the form of their case's municipality; nobody else's token reads them."""

from __future__ import annotations

import json

from sqlalchemy import text

from homeward.common.db import Database
from homeward.common.migrations import upgrade

MIGRATIONS = "homeward.notifications.migrations"


async def test_user_scopes_move_to_their_cases_municipality(database_url: str) -> None:
    await upgrade(database_url, MIGRATIONS, "0003")
    database = Database(database_url)
    try:
        async with database.engine.begin() as conn:
            await conn.execute(text(
                "INSERT INTO notif_cases (case_id, case_code, municipality, updated_at) "
                "VALUES ('c1', 'HW-7KQ3-M9', 'riverton', CURRENT_TIMESTAMP)"
            ))  # fmt: skip
            for event, recipient, code in (
                ("e1", "user:coordinator.riverton", "HW-7KQ3-M9"),
                ("e2", "role:coordinator@riverton", "HW-7KQ3-M9"),
                ("e3", "user:coordinator.lakeside", "HW-0000-00"),
            ):
                await conn.execute(
                    text(
                        "INSERT INTO notif_notifications (event_id, recipient, event_type, "
                        "summary, case_code, details, link, created_at) VALUES (:e, :r, 't', "
                        "'s', :c, '{}', 'l', CURRENT_TIMESTAMP)"
                    ),
                    {"e": event, "r": recipient, "c": code},
                )  # fmt: skip
        await upgrade(database_url, MIGRATIONS)
        async with database.engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT event_id, recipient FROM notif_notifications ORDER BY event_id")
            )
            recipients = dict(rows.all())
    finally:
        await database.dispose()
    assert recipients == {
        "e1": "user:coordinator.riverton@riverton",
        "e2": "role:coordinator@riverton",
        "e3": "user:coordinator.lakeside",  # its case is unknown: read by nobody
    }


async def test_partner_opt_ins_get_their_agency_from_the_fake_role(database_url: str) -> None:
    """Migration 0007: `agency:<id>` among an opt-in's roles becomes its agency column; every
    existing opt-in stays in English (no locale)."""
    await upgrade(database_url, MIGRATIONS, "0006")
    database = Database(database_url)
    try:
        async with database.engine.begin() as conn:
            for reader, roles in (
                ("school", '["agency:riverton-primary-school", "partner"]'),
                ("coordinator", '["coordinator"]'),
            ):
                await conn.execute(
                    text(
                        "INSERT INTO notif_email_optins (reader, username, address, "
                        "municipality, roles, opted_in_at) VALUES (:r, :r, 'a@b.example', "
                        "'riverton', :roles, CURRENT_TIMESTAMP)"
                    ),
                    {"r": reader, "roles": roles},
                )
        await upgrade(database_url, MIGRATIONS)
        async with database.engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT reader, roles, agency_id, locale FROM notif_email_optins")
            )
            found = {reader: (roles, agency, locale) for reader, roles, agency, locale in rows}
    finally:
        await database.dispose()
    decoded = {reader: (json.loads(roles) if isinstance(roles, str) else roles, agency, locale)
               for reader, (roles, agency, locale) in found.items()}  # fmt: skip
    assert decoded == {
        "school": (["partner"], "riverton-primary-school", None),
        "coordinator": (["coordinator"], None, None),
    }
