"""`homeward keys`: which key-encryption key (KEK) protects what, and rotating to a new one.

What a KEK wraps, per service: intake and documents keep per-case data keys in the vault's
table (`vault_data_keys`); notifications seals each webhook subscription's signing secret
with the KEK directly. Referrals holds nothing under a KEK.

Rotation without downtime:
 1. deploy every replica with the new key as HOMEWARD_KEY_ENCRYPTION_KEY and the old one in
    HOMEWARD_RETIRED_KEY_ENCRYPTION_KEYS: they wrap new keys with the new KEK and read both;
 2. `homeward keys rotate SERVICE`: re-wraps in small committed transactions, so the services
    keep serving (and erasing) while it runs; run it again if it is interrupted;
 3. when `homeward keys status SERVICE` shows nothing under the old key, remove it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import select

from homeward.admin.services import AdminError, UsageError, load_settings
from homeward.common.crypto import (
    DataKeyRow,
    IdentityVault,
    KeyRing,
    UnknownKeyEncryptionKey,
    VaultError,
)
from homeward.common.db import Database
from homeward.notifications.adapters.tables import SubscriptionRow
from homeward.notifications.handlers.subscriptions import open_secret, seal_secret

MAX_RETRIES = 5


@dataclass(frozen=True)
class Protected:
    """What a service keeps under a KEK: rows whose `key_id` column names the KEK."""

    key_id: Any
    what: str


PROTECTED = {
    "intake": Protected(DataKeyRow.kek_id, "data keys"),
    "documents": Protected(DataKeyRow.kek_id, "data keys"),
    "notifications": Protected(SubscriptionRow.secret_key_id, "webhook secrets"),
}


@dataclass(frozen=True)
class KeyCount:
    kek_id: str
    role: str  # current | retired | unknown (not configured: those rows cannot be read)
    rows: int


@dataclass(frozen=True)
class Rotation:
    service: str
    what: str
    moved: int
    batches: int
    current_kek_id: str


def protected(service: str) -> Protected:
    if service not in PROTECTED:
        raise UsageError(
            f"{service} keeps nothing under a key-encryption key (these do: {', '.join(PROTECTED)})"
        )
    return PROTECTED[service]


async def status(service: str) -> tuple[str, list[KeyCount]]:
    """How many rows each KEK id protects; key ids only, never key material."""
    found = protected(service)
    settings = load_settings(service)
    keyring = KeyRing.from_settings(settings)
    async with _database(service, settings.database_url) as database:
        async with database.sessions() as session:
            query = select(found.key_id, func.count()).group_by(found.key_id)
            counts = (await session.exec(query)).all()
    return found.what, [
        KeyCount(kek_id, _role(keyring, kek_id), rows) for kek_id, rows in sorted(counts)
    ]


async def rotate(service: str, *, batch_size: int) -> Rotation:
    """Re-wrap everything not under the current KEK, one committed batch at a time."""
    if batch_size < 1:
        raise UsageError("--batch-size must be at least 1")
    what, counts = await status(service)
    if unknown := [count.kek_id for count in counts if count.role == "unknown"]:
        raise AdminError(
            f"{service}: {what} under {', '.join(unknown)}, which is neither the current nor a "
            "retired key: add that key to HOMEWARD_RETIRED_KEY_ENCRYPTION_KEYS and run again"
        )
    settings = load_settings(service)
    keyring = KeyRing.from_settings(settings)
    async with _database(service, settings.database_url) as database:
        if service == "notifications":
            moved, batches = await _reseal_webhook_secrets(database, keyring, batch_size)
        else:
            moved, batches = await _rewrap_data_keys(database, keyring, batch_size)
    return Rotation(service, what, moved, batches, keyring.current.key_id)


async def _rewrap_data_keys(
    database: Database, keyring: KeyRing, batch_size: int
) -> tuple[int, int]:
    vault, moved, batches, conflicts = IdentityVault(keyring), 0, 0, 0
    while True:
        try:
            async with database.transaction() as session:
                rows = await vault.rewrap_batch(session, batch_size=batch_size)
        except StaleDataError:
            # A case erased (its key deleted) under our feet: that batch again, without it.
            conflicts += 1
            if conflicts > MAX_RETRIES:
                raise AdminError("data keys kept changing; run the rotation again") from None
            continue
        if not rows:
            return moved, batches
        moved, batches = moved + rows, batches + 1


async def _reseal_webhook_secrets(
    database: Database, keyring: KeyRing, batch_size: int
) -> tuple[int, int]:
    moved = batches = 0
    current = keyring.current.key_id
    while True:
        async with database.transaction() as session:
            rows = (
                await session.exec(
                    select(SubscriptionRow)
                    .where(SubscriptionRow.secret_key_id != current)
                    .limit(batch_size)
                )
            ).all()
            for row in rows:
                sealed, key_id = seal_secret(keyring, row.id, open_secret(keyring, row))
                row.secret_sealed, row.secret_key_id = sealed, key_id
                session.add(row)
        if not rows:
            return moved, batches
        moved, batches = moved + len(rows), batches + 1


def _role(keyring: KeyRing, kek_id: str) -> str:
    if kek_id == keyring.current.key_id:
        return "current"
    try:
        keyring.get(kek_id)
    except UnknownKeyEncryptionKey:
        return "unknown"
    return "retired"


@asynccontextmanager
async def _database(service: str, url: str) -> AsyncIterator[Database]:
    database = Database(url)
    try:
        yield database
    except VaultError as error:  # messages never carry key material
        raise AdminError(f"{service}: {error}") from None
    except (SQLAlchemyError, OSError) as error:
        raise AdminError(
            f"{service}: database error ({type(error).__name__}): is it reachable and "
            f"migrated? (`homeward check {service}`)"
        ) from None
    finally:
        await database.dispose()
