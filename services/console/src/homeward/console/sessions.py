"""Server-side sessions: the browser holds only a random id in an HttpOnly cookie.

The row is keyed by the SHA-256 of that id (a copy of the table opens no browser session),
and the tokens are sealed with AES-256-GCM under the key-encryption key of the settings, the
row's key as associated data (a sealed blob moved to another row does not open).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Column, LargeBinary, delete
from sqlmodel import Field, SQLModel

from homeward.common.db import Database, UTCDateTime, utcnow


class SessionRow(SQLModel, table=True):
    __tablename__ = "console_sessions"

    id: str = Field(primary_key=True, max_length=64)
    csrf_token: str = Field(max_length=64)
    locale: str | None = Field(default=None, max_length=8)
    username: str | None = Field(default=None, max_length=200)
    sealed: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    access_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
    last_seen_at: datetime = Field(sa_type=UTCDateTime, index=True)


@dataclass(kw_only=True)
class Session:
    """One browser's session; `secrets` (tokens, a pending login) are sealed at rest."""

    key: str
    csrf_token: str
    locale: str | None = None
    username: str | None = None
    secrets: dict[str, Any] = field(default_factory=dict)
    access_expires_at: datetime | None = None
    created_at: datetime
    last_seen_at: datetime

    @property
    def signed_in(self) -> bool:
        return "access_token" in self.secrets

    @property
    def access_token(self) -> str:
        return self.secrets["access_token"]


def _row_id(cookie: str) -> str:
    return hashlib.sha256(cookie.encode()).hexdigest()


class SessionStore:
    def __init__(
        self, database: Database, *, key: bytes, idle_timeout: timedelta, absolute: timedelta
    ) -> None:
        self.database = database
        self._aead = AESGCM(key)
        self.idle_timeout = idle_timeout
        self.absolute = absolute

    async def create(self, *, locale: str | None = None) -> tuple[str, Session]:
        """A new session and the cookie value that opens it (returned once, never stored)."""
        cookie = secrets.token_urlsafe(32)
        now = utcnow()
        session = Session(
            key=_row_id(cookie),
            csrf_token=secrets.token_urlsafe(32),
            locale=locale,
            created_at=now,
            last_seen_at=now,
        )
        await self.save(session)
        return cookie, session

    async def load(self, cookie: str | None, *, touch: bool = True) -> Session | None:
        """The live session the cookie opens; an idle or too old one is ended on the spot."""
        if not cookie or len(cookie) > 100:
            return None
        key = _row_id(cookie)
        async with self.database.transaction() as db:
            row = await db.get(SessionRow, key)
            if row is None:
                return None
            now = utcnow()
            if now - row.last_seen_at > self.idle_timeout or now - row.created_at > self.absolute:
                await db.delete(row)
                return None
            try:
                session = self._session(row)
            except InvalidTag:  # sealed under a key-encryption key since rotated away
                await db.delete(row)
                return None
            if touch:
                row.last_seen_at = now
                db.add(row)
            return session

    async def save(self, session: Session) -> None:
        sealed = self._seal(session.key, session.secrets) if session.secrets else None
        async with self.database.transaction() as db:
            row = await db.get(SessionRow, session.key) or SessionRow(
                id=session.key,
                csrf_token=session.csrf_token,
                created_at=session.created_at,
                last_seen_at=session.last_seen_at,
            )
            row.csrf_token, row.locale, row.username = (
                session.csrf_token,
                session.locale,
                session.username,
            )
            row.sealed, row.access_expires_at = sealed, session.access_expires_at
            db.add(row)

    async def end(self, session: Session) -> None:
        async with self.database.transaction() as db:
            await db.exec(delete(SessionRow).where(SessionRow.id == session.key))  # type: ignore[call-overload]

    async def prune(self) -> None:
        """Forget sessions idle past the timeout (run at each sign-in: cheap, indexed)."""
        async with self.database.transaction() as db:
            cutoff = utcnow() - self.idle_timeout
            await db.exec(delete(SessionRow).where(SessionRow.last_seen_at < cutoff))  # type: ignore[call-overload,arg-type]

    def _session(self, row: SessionRow) -> Session:
        return Session(
            key=row.id,
            csrf_token=row.csrf_token,
            locale=row.locale,
            username=row.username,
            secrets=self._open(row.id, row.sealed) if row.sealed else {},
            access_expires_at=row.access_expires_at,
            created_at=row.created_at,
            last_seen_at=row.last_seen_at,
        )

    def _seal(self, key: str, payload: dict[str, Any]) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, json.dumps(payload).encode(), key.encode())

    def _open(self, key: str, sealed: bytes) -> dict[str, Any]:
        return json.loads(self._aead.decrypt(sealed[:12], sealed[12:], key.encode()))
