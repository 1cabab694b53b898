"""`Idempotency-Key` on POST and PATCH: a client that retries a request it lost the answer to
gets the first answer again instead of a second referral, case or record.

Every POST and PATCH, not only those that create: the IETF draft "The Idempotency-Key HTTP
Header Field" names exactly these two methods (the others are idempotent already), and a
retried state change (`/send`, `/accept`, a consent override) needs the first answer as much
as a retried creation does: without it the retry meets a 409 for a transition it made itself.
Sending no key changes nothing. Every such operation documents the header, its 409 and 422
(`openapi.document_errors`).

The key is scoped to the caller (issuer and subject from the token): two callers may use the
same key. The same key with the same request (method, path, query and body) answers what the
first did, with `Idempotent-Replayed: true`; with another request, 422; while the first is still
being handled, 409. Answers of 5xx are not kept, so the client may try again. Keys are kept
`idempotency_retention_hours` (at least 24) and pruned with the event tables. Requests
without a valid token are passed on untouched: the route answers 401 before anything else.

Each service has the table from its own migration (`create_idempotency_table`).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from fastapi.routing import iter_route_contexts
from sqlalchemy import Column, Index, Integer, LargeBinary, String, delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel, col
from starlette.datastructures import Headers
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from homeward.common.auth import InvalidToken
from homeward.common.db import Database, UTCDateTime, utcnow
from homeward.common.errors import problem_response

HEADER = "idempotency-key"
IDEMPOTENT_METHODS = frozenset({"POST", "PATCH"})  # the ones that are not idempotent already
MAX_KEY_LENGTH = 255
# A first request that never finished (its process died) frees its key after this long.
ABANDONED_AFTER = timedelta(minutes=2)


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_keys"
    __table_args__ = (Index("ix_idempotency_keys_created_at", "created_at"),)

    actor: str = Field(sa_column=Column(String(255), primary_key=True))
    key: str = Field(sa_column=Column(String(MAX_KEY_LENGTH), primary_key=True))
    fingerprint: str = Field(sa_column=Column(String(64), nullable=False))
    status_code: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    content_type: str | None = Field(default=None, sa_column=Column(String(255), nullable=True))
    body: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


def create_idempotency_table(op: Any) -> None:
    """Version 1 of the idempotency-key table, inside an Alembic migration."""
    op.create_table(
        "idempotency_keys",
        sa.Column("actor", sa.String(255), primary_key=True),
        sa.Column("key", sa.String(MAX_KEY_LENGTH), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer, nullable=True),
        sa.Column("content_type", sa.String(255), nullable=True),
        sa.Column("body", sa.LargeBinary, nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])


def drop_idempotency_table(op: Any) -> None:
    op.drop_index("ix_idempotency_keys_created_at", table_name="idempotency_keys")
    op.drop_table("idempotency_keys")


async def prune_idempotency_keys(database: Database, *, created_before: datetime) -> int:
    async with database.transaction() as session:
        result = await session.exec(
            delete(IdempotencyRecord).where(col(IdempotencyRecord.created_at) < created_before)
        )
    return result.rowcount


class IdempotentRequests:
    """ASGI middleware; the app's `state.parts` gives the database and the token validator."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in IDEMPOTENT_METHODS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if (key := headers.get(HEADER)) is None or not _has_route(scope):
            await self.app(scope, receive, send)  # no key, or for the router's 404 or 405
            return
        parts = scope["app"].state.parts
        actor = await _actor(scope, parts, headers)
        if actor is None:
            await self.app(scope, receive, send)  # the route answers 401
            return
        if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
            detail = f"an Idempotency-Key has 1 to {MAX_KEY_LENGTH} printable characters"
            await _problem(scope, receive, send, 422, "Invalid Idempotency-Key", detail)
            return
        body = await _read_body(receive)
        method, path = scope["method"].encode(), scope["path"].encode()
        request = [method, path, scope.get("query_string", b""), body]
        fingerprint = hashlib.sha256(b"\0".join(request)).hexdigest()
        database: Database = parts.database
        found = await _claim(database, actor, key, fingerprint)
        if found is None:
            await self._first(scope, body, send, database, actor, key)
        elif found.fingerprint != fingerprint:
            detail = "this Idempotency-Key was used for another request"
            await _problem(scope, receive, send, 422, "Idempotency-Key reused", detail)
        elif found.status_code is None:
            detail = "a request with this Idempotency-Key is still being handled"
            await _problem(scope, receive, send, 409, "Request in progress", detail)
        else:
            await _replay(found, send)

    async def _first(
        self, scope: Scope, body: bytes, send: Send, database: Database, actor: str, key: str
    ) -> None:
        sent = False
        response: dict[str, Any] = {"chunks": []}

        async def replayed_receive() -> Message:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def capturing_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                response["status"] = message["status"]
                response["content_type"] = Headers(raw=message.get("headers", [])).get(
                    "content-type"
                )
            elif message["type"] == "http.response.body":
                response["chunks"].append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, replayed_receive, capturing_send)
        finally:
            async with database.transaction() as session:
                record = await session.get(IdempotencyRecord, (actor, key))
                if record is not None:
                    if response.get("status", 500) >= 500:
                        await session.delete(record)  # not kept: the client may try again
                    else:
                        record.status_code = response["status"]
                        record.content_type = response["content_type"]
                        record.body = b"".join(response["chunks"])
                        session.add(record)


def _has_route(scope: Scope) -> bool:
    """A route takes this method at this path (routing has not run yet)."""
    contexts = iter_route_contexts(scope["app"].routes)
    return any(context.matches(scope)[0] is Match.FULL for context in contexts)


async def _actor(scope: Scope, parts: Any, headers: Headers) -> str | None:
    # Under /v1/ the token was validated already (auth.AuthenticateFirst runs outside us).
    principal = scope.get("state", {}).get("principal")
    if principal is not None:
        return f"{principal.issuer}#{principal.subject}"
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    try:
        principal = await parts.token_validator.validate(token.strip())
    except InvalidToken:
        return None
    return f"{principal.issuer}#{principal.subject}"


async def _claim(
    database: Database, actor: str, key: str, fingerprint: str
) -> IdempotencyRecord | None:
    """None: the key is ours now (first use, or an abandoned first use); else what holds it."""
    now = utcnow()
    try:
        async with database.transaction() as session:
            found = await session.get(IdempotencyRecord, (actor, key))
            if found is not None:
                abandoned = found.status_code is None and now - found.created_at > ABANDONED_AFTER
                if not abandoned:
                    return found
                await session.delete(found)
                await session.flush()
            session.add(
                IdempotencyRecord(actor=actor, key=key, fingerprint=fingerprint, created_at=now)
            )
    except IntegrityError:  # a concurrent first use won
        async with database.sessions() as session:
            return await session.get(IdempotencyRecord, (actor, key))
    return None


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _replay(found: IdempotencyRecord, send: Send) -> None:
    headers = [(b"idempotent-replayed", b"true")]
    if found.content_type:
        headers.append((b"content-type", found.content_type.encode()))
    body = found.body or b""
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": found.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _problem(
    scope: Scope, receive: Receive, send: Send, status: int, title: str, detail: str
) -> None:
    await problem_response(status, title, detail)(scope, receive, send)
