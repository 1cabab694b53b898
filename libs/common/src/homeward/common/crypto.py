"""Identity vault: per-owner data keys (AES-256-GCM) wrapped by a key-encryption key.

Each owner (an intake case, a documents record, ...) gets its own random data key. The data
key is stored only wrapped by the key-encryption key (KEK) from configuration, with the KEK's
id, so a later rotation can find the rows wrapped by an old KEK and re-wrap them. Every
ciphertext is bound (AES-GCM associated data) to its owner and field: a value copied into
another case or another column fails to decrypt instead of being misread.

Erasure is crypto-shredding: `destroy` deletes the wrapped key row, after which every
ciphertext of that owner (in the database, in backups, in replicas) is noise.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlmodel import Field, SQLModel, select

from homeward.common.db import UTCDateTime, utcnow

if TYPE_CHECKING:
    from sqlmodel.ext.asyncio.session import AsyncSession

    from homeward.common.settings import CommonSettings

DATA_KEY_TABLE = "vault_data_keys"
_CIPHERTEXT_VERSION = b"\x01"
_NONCE_BYTES = 12


class VaultError(Exception):
    """Base class; messages never carry key material or plaintext."""


class DataKeyMissing(VaultError):
    """The owner has no data key: never created, or destroyed by erasure."""


class UnknownKeyEncryptionKey(VaultError):
    """A data key was wrapped by a KEK this process was not given (rotation incomplete)."""


class UndecryptableValue(VaultError):
    """Ciphertext that does not belong to this owner and field, or was tampered with."""


class DataKeyRow(SQLModel, table=True):
    __tablename__ = DATA_KEY_TABLE

    owner_id: str = Field(primary_key=True, max_length=64)
    kek_id: str = Field(max_length=64)
    wrapped_key: bytes = Field(sa_type=sa.LargeBinary)
    created_at: datetime = Field(sa_type=UTCDateTime)


@dataclass(frozen=True)
class KeyEncryptionKey:
    key_id: str
    key: bytes

    @classmethod
    def from_base64(cls, encoded: str) -> KeyEncryptionKey:
        key = base64.b64decode(encoded, validate=True)
        if len(key) != 32:
            raise ValueError("a key-encryption key must be 32 bytes (base64 of 32 random bytes)")
        # A fingerprint, not the key: ids must be storable next to the wrapped keys.
        key_id = "kek-" + hashlib.sha256(b"homeward-kek-id\x00" + key).hexdigest()[:16]
        return cls(key_id=key_id, key=key)

    def __repr__(self) -> str:  # never print key material, not even in a traceback
        return f"KeyEncryptionKey(key_id={self.key_id!r})"


class KeyRing:
    """The current KEK (wraps new keys) and retired ones (still unwrap old rows)."""

    def __init__(self, current: KeyEncryptionKey, retired: Sequence[KeyEncryptionKey] = ()) -> None:
        self.current = current
        self._by_id = {kek.key_id: kek for kek in (*retired, current)}

    @classmethod
    def from_settings(cls, settings: CommonSettings) -> KeyRing:
        """The current key and the retired ones: during a rotation every replica reads both."""
        current = KeyEncryptionKey.from_base64(settings.key_encryption_key.get_secret_value())
        retired = [
            KeyEncryptionKey.from_base64(encoded)
            for encoded in settings.retired_key_encryption_key_list
        ]
        return cls(current, retired)

    def get(self, key_id: str) -> KeyEncryptionKey:
        try:
            return self._by_id[key_id]
        except KeyError:
            raise UnknownKeyEncryptionKey(f"data key wrapped by unknown KEK {key_id}") from None


def _wrap_aad(owner_id: str) -> bytes:
    return b"homeward-data-key\x00" + owner_id.encode()


def _field_aad(owner_id: str, field: str) -> bytes:
    return b"homeward-field\x00" + owner_id.encode() + b"\x00" + field.encode()


def _seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(_NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def _open(key: bytes, sealed: bytes, aad: bytes) -> bytes:
    return AESGCM(key).decrypt(sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:], aad)


class FieldCipher:
    """Encrypts and decrypts the fields of one owner with its (unwrapped) data key."""

    def __init__(self, owner_id: str, data_key: bytes) -> None:
        self.owner_id = owner_id
        self._key = data_key

    def __repr__(self) -> str:
        return f"FieldCipher(owner_id={self.owner_id!r})"

    def encrypt(self, field: str, plaintext: str | None) -> bytes | None:
        if plaintext is None:
            return None
        aad = _field_aad(self.owner_id, field)
        return _CIPHERTEXT_VERSION + _seal(self._key, plaintext.encode(), aad)

    def decrypt(self, field: str, ciphertext: bytes | None) -> str | None:
        if ciphertext is None:
            return None
        if ciphertext[:1] != _CIPHERTEXT_VERSION:
            raise UndecryptableValue(f"unknown ciphertext version for field {field}")
        try:
            return _open(self._key, ciphertext[1:], _field_aad(self.owner_id, field)).decode()
        except InvalidTag:
            raise UndecryptableValue(f"field {field} does not decrypt for this owner") from None


class IdentityVault:
    """Data keys per owner, kept in the owner service's own database table."""

    def __init__(self, keyring: KeyRing) -> None:
        self.keyring = keyring

    async def create_key(self, session: AsyncSession, owner_id: str) -> FieldCipher:
        data_key = AESGCM.generate_key(bit_length=256)
        kek = self.keyring.current
        session.add(
            DataKeyRow(
                owner_id=owner_id,
                kek_id=kek.key_id,
                wrapped_key=_seal(kek.key, data_key, _wrap_aad(owner_id)),
                created_at=utcnow(),
            )
        )
        return FieldCipher(owner_id, data_key)

    async def cipher_for(self, session: AsyncSession, owner_id: str) -> FieldCipher:
        row = await session.get(DataKeyRow, owner_id)
        if row is None:
            raise DataKeyMissing(f"no data key for owner {owner_id}")
        return FieldCipher(owner_id, self._unwrap(row))

    async def cipher_or_create(self, session: AsyncSession, owner_id: str) -> FieldCipher:
        row = await session.get(DataKeyRow, owner_id)
        if row is None:
            return await self.create_key(session, owner_id)
        return FieldCipher(owner_id, self._unwrap(row))

    async def destroy(self, session: AsyncSession, owner_id: str) -> bool:
        """Crypto-shred: without the wrapped key no ciphertext of the owner can be read."""
        row = await session.get(DataKeyRow, owner_id)
        if row is None:
            return False
        await session.delete(row)
        await session.flush()
        return True

    async def rewrap_all(self, session: AsyncSession, *, batch_size: int = 500) -> int:
        """Re-wrap every data key not yet under the current KEK; returns how many moved."""
        moved = 0
        while batch := await self.rewrap_batch(session, batch_size=batch_size):
            moved += batch
        return moved

    async def rewrap_batch(self, session: AsyncSession, *, batch_size: int = 500) -> int:
        """Re-wrap up to `batch_size` data keys not under the current KEK (flushed, for the
        caller to commit: `homeward keys rotate` commits each batch, so the services keep
        serving); returns how many. Locked rows wait for an erasure in flight to finish."""
        current = self.keyring.current
        query = (
            select(DataKeyRow)
            .where(DataKeyRow.kek_id != current.key_id)
            .limit(batch_size)
            .with_for_update()
        )
        rows = (await session.exec(query)).all()
        for row in rows:
            data_key = self._unwrap(row)
            row.wrapped_key = _seal(current.key, data_key, _wrap_aad(row.owner_id))
            row.kek_id = current.key_id
            session.add(row)
        await session.flush()
        return len(rows)

    def _unwrap(self, row: DataKeyRow) -> bytes:
        kek = self.keyring.get(row.kek_id)
        try:
            return _open(kek.key, row.wrapped_key, _wrap_aad(row.owner_id))
        except InvalidTag:
            raise UndecryptableValue(f"data key of owner {row.owner_id} does not unwrap") from None


def create_data_key_table(op: Any) -> None:
    """Alembic helper for a service's migration."""
    op.create_table(
        DATA_KEY_TABLE,
        sa.Column("owner_id", sa.String(64), primary_key=True),
        sa.Column("kek_id", sa.String(64), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )


def drop_data_key_table(op: Any) -> None:
    op.drop_table(DATA_KEY_TABLE)
