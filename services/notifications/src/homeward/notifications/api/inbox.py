"""The inbox: list, count, read, acknowledge; and the live stream (Server-Sent Events)."""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, status
from fastapi.responses import StreamingResponse

from homeward.common.auth import Principal
from homeward.common.db import Database, RowCursor, RowId, utcnow
from homeward.common.service import SessionDep
from homeward.notifications.api.deps import InboxReader, SettingsDep, SignalDep
from homeward.notifications.api.schemas import (
    MarkedCount,
    NotificationPage,
    NotificationView,
    UnreadCount,
)
from homeward.notifications.handlers import inbox as handlers
from homeward.notifications.handlers.inbox import InboxItem
from homeward.notifications.live import NotificationSignal
from homeward.notifications.settings import NotificationsSettings

router = APIRouter(prefix="/v1/notifications", tags=["inbox"])


@router.get("", name="list_notifications", response_model=NotificationPage)
async def list_notifications(
    principal: InboxReader,
    session: SessionDep,
    settings: SettingsDep,
    unread_only: bool = False,
    case_id: Annotated[
        str | None, Query(max_length=36, description="only those about this case")
    ] = None,
    limit: Annotated[int, Query(ge=1)] = 20,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> NotificationPage:
    """Your notifications (addressed to you, your role or your agency): unread first; with
    `case_id`, those about that case (a case page's history)."""
    limit = min(limit, settings.max_page_size)
    page = await handlers.list_inbox(
        session, principal=principal, unread_only=unread_only, limit=limit, offset=offset,
        case_id=case_id,
    )  # fmt: skip
    return NotificationPage(
        items=[NotificationView.of(item) for item in page.items],
        total=page.total,
        unread=page.unread,
        next_offset=offset + limit if offset + limit < page.total else None,
    )


@router.get("/unread-count", name="count_unread", response_model=UnreadCount)
async def count_unread(principal: InboxReader, session: SessionDep) -> UnreadCount:
    """How many of your notifications you have not read."""
    return UnreadCount(unread=await handlers.unread_count(session, principal=principal))


@router.post("/read-all", name="mark_all_read", response_model=MarkedCount)
async def mark_all_read(principal: InboxReader, session: SessionDep) -> MarkedCount:
    """Mark all your unread notifications read (up to 1000 at a time)."""
    return MarkedCount(marked=await handlers.mark_all_read(session, principal=principal))


@router.get(
    "/stream",
    name="stream_notifications",
    response_class=StreamingResponse,
    responses={status.HTTP_200_OK: {"content": {"text/event-stream": {}}}},
)
async def stream_notifications(
    request: Request,
    principal: InboxReader,
    settings: SettingsDep,
    signal: SignalDep,
    last_event_id: Annotated[RowCursor | None, Header(alias="Last-Event-ID")] = None,
) -> StreamingResponse:
    """Your new notifications as Server-Sent Events; send `Last-Event-ID` to resume."""
    database: Database = request.app.state.parts.database
    after = last_event_id
    if after is None:
        async with database.sessions() as session:
            after = await handlers.latest_id(session)
    events = _sse(
        request,
        database=database,
        principal=principal,
        after=after,
        signal=signal,
        settings=settings,
    )
    return StreamingResponse(
        events,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _sse(
    request: Request,
    *,
    database: Database,
    principal: Principal,
    after: int,
    signal: NotificationSignal,
    settings: NotificationsSettings,
) -> AsyncIterator[str]:
    yield "retry: 2000\n\n"
    idle_s = 0.0
    while not await request.is_disconnected():
        token_left_s = _seconds_until(principal.expires_at)
        if token_left_s <= 0:
            # The token no longer vouches for the caller: the client reconnects with a fresh
            # one and `Last-Event-ID`, and misses nothing.
            yield "event: token-expired\ndata: {}\n\n"
            return
        seen = signal.version
        async with database.sessions() as session:
            rows = await handlers.stream_after(session, principal=principal, after_id=after)
        for row in rows:
            assert row.id is not None
            after = row.id
            view = NotificationView.of(InboxItem(row, None))
            data = json.dumps(view.model_dump(mode="json"), separators=(",", ":"))
            yield f"id: {row.id}\nevent: notification\ndata: {data}\n\n"
        if rows:
            idle_s = 0.0
            continue
        await signal.wait(seen=seen, timeout_s=min(settings.stream_poll_interval_s, token_left_s))
        idle_s += settings.stream_poll_interval_s
        if idle_s >= settings.stream_keepalive_s:
            idle_s = 0.0
            yield ": keep-alive\n\n"


def _seconds_until(moment: datetime | None) -> float:
    return math.inf if moment is None else (moment - utcnow()).total_seconds()


@router.get("/{notification_id:int}", name="read_notification", response_model=NotificationView)
async def read_notification(
    notification_id: RowId, principal: InboxReader, session: SessionDep
) -> NotificationView:
    """One of your notifications."""
    item = await handlers.read_item(session, principal=principal, notification_id=notification_id)
    return NotificationView.of(item)


@router.post("/{notification_id:int}/read", name="mark_read", response_model=NotificationView)
async def mark_read(
    notification_id: RowId, principal: InboxReader, session: SessionDep
) -> NotificationView:
    """Mark one of your notifications read."""
    item = await handlers.mark(
        session, principal=principal, notification_id=notification_id, acknowledge=False
    )
    return NotificationView.of(item)


@router.post(
    "/{notification_id:int}/acknowledge", name="acknowledge", response_model=NotificationView
)
async def acknowledge(
    notification_id: RowId, principal: InboxReader, session: SessionDep
) -> NotificationView:
    """Acknowledge a notification: you acted on it (it is read as well)."""
    item = await handlers.mark(
        session, principal=principal, notification_id=notification_id, acknowledge=True
    )
    return NotificationView.of(item)
