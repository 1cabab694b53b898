"""The inbox: a caller's notifications, from the scopes their token grants."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, case, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from homeward.common.auth import Principal
from homeward.common.db import utcnow
from homeward.common.errors import NotFound
from homeward.notifications.adapters.tables import CaseFactsRow, NotificationRow, ReceiptRow
from homeward.notifications.domain.scopes import scopes_of


@dataclass(frozen=True)
class InboxItem:
    notification: NotificationRow
    receipt: ReceiptRow | None


@dataclass(frozen=True)
class InboxPage:
    items: list[InboxItem]
    total: int
    unread: int


def _scope_keys(principal: Principal) -> list[str]:
    return sorted(scope.key for scope in scopes_of(principal))


def _in_inbox(principal: Principal, scopes: Sequence[str], *columns: Any) -> Select:
    """`columns` of the notifications addressed to `scopes`, each with this reader's receipt."""
    receipt_of_reader = and_(
        col(ReceiptRow.notification_id) == col(NotificationRow.id),
        col(ReceiptRow.reader) == principal.actor,
    )
    return (
        select(*columns)
        .select_from(NotificationRow)
        .outerjoin(ReceiptRow, receipt_of_reader)
        .where(col(NotificationRow.recipient).in_(scopes))
    )


async def list_inbox(
    session: AsyncSession,
    *,
    principal: Principal,
    unread_only: bool,
    limit: int,
    offset: int,
    case_id: str | None = None,
) -> InboxPage:
    """Unread first, newest first within each group; `case_id`: only those about that case
    (still only the caller's own: a case they are told nothing about gives an empty page)."""
    scopes = _scope_keys(principal)
    about: list[Any] = []
    if case_id is not None:
        known = await session.get(CaseFactsRow, case_id)
        if known is None:
            return InboxPage(items=[], total=0, unread=0)
        about.append(NotificationRow.case_code == known.case_code)
    unread_filter = col(ReceiptRow.read_at).is_(None)
    base = _in_inbox(principal, scopes, NotificationRow, ReceiptRow).where(*about)
    if unread_only:
        base = base.where(unread_filter)
    unread_first = case((unread_filter, 0), else_=1)
    rows = await session.exec(
        base.order_by(unread_first, col(NotificationRow.id).desc()).limit(limit).offset(offset)
    )
    items = [InboxItem(notification, receipt) for notification, receipt in rows]
    total = await _count(
        session, principal=principal, scopes=scopes, unread_only=unread_only, about=about
    )
    unread = await _count(
        session, principal=principal, scopes=scopes, unread_only=True, about=about
    )
    return InboxPage(items=items, total=total, unread=unread)


async def unread_count(session: AsyncSession, *, principal: Principal) -> int:
    return await _count(
        session, principal=principal, scopes=_scope_keys(principal), unread_only=True
    )


async def _count(
    session: AsyncSession,
    *,
    principal: Principal,
    scopes: Sequence[str],
    unread_only: bool,
    about: Sequence[Any] = (),
) -> int:
    query = _in_inbox(principal, scopes, func.count()).where(*about)
    if unread_only:
        query = query.where(col(ReceiptRow.read_at).is_(None))
    return int((await session.exec(query)).one())


async def read_item(
    session: AsyncSession, *, principal: Principal, notification_id: int
) -> InboxItem:
    """One item of the caller's inbox; 404 for an id outside it, as for an unknown one."""
    notification = await session.get(NotificationRow, notification_id)
    if notification is None or notification.recipient not in _scope_keys(principal):
        raise NotFound("no such notification")
    receipt = await session.get(
        ReceiptRow, {"notification_id": notification_id, "reader": principal.actor}
    )
    return InboxItem(notification, receipt)


async def mark(
    session: AsyncSession, *, principal: Principal, notification_id: int, acknowledge: bool
) -> InboxItem:
    """Mark read; acknowledging (acted upon) marks read too. Repeating changes nothing."""
    item = await read_item(session, principal=principal, notification_id=notification_id)
    receipt = item.receipt or ReceiptRow(notification_id=notification_id, reader=principal.actor)
    now = utcnow()
    receipt.read_at = receipt.read_at or now
    if acknowledge:
        receipt.acknowledged_at = receipt.acknowledged_at or now
    session.add(receipt)
    await session.commit()
    return InboxItem(item.notification, receipt)


async def mark_all_read(session: AsyncSession, *, principal: Principal) -> int:
    page = await list_inbox(session, principal=principal, unread_only=True, limit=1000, offset=0)
    now = utcnow()
    for item in page.items:
        receipt = item.receipt or ReceiptRow(
            notification_id=item.notification.id or 0, reader=principal.actor
        )
        receipt.read_at = now
        session.add(receipt)
    await session.commit()
    return len(page.items)


async def stream_after(
    session: AsyncSession, *, principal: Principal, after_id: int, limit: int = 100
) -> list[NotificationRow]:
    """The caller's notifications with ids above `after_id`, oldest first (the live stream)."""
    rows = await session.exec(
        select(NotificationRow)
        .where(
            col(NotificationRow.recipient).in_(_scope_keys(principal)),
            col(NotificationRow.id) > after_id,
        )
        .order_by(col(NotificationRow.id))
        .limit(limit)
    )
    return list(rows)


async def latest_id(session: AsyncSession) -> int:
    return int((await session.exec(select(func.coalesce(func.max(NotificationRow.id), 0)))).one())
