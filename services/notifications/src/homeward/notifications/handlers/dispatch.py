"""Writing one piece of content to its recipients in every channel, in the caller's
transaction: inbox items, webhook deliveries for agencies, emails for opted-in staff."""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from homeward.common.db import utcnow
from homeward.notifications.adapters.tables import (
    DeliveryRow,
    EmailOptInRow,
    EmailRow,
    NotificationRow,
    SubscriptionRow,
)
from homeward.notifications.domain.content import Content, email_text
from homeward.notifications.domain.facts import action_of
from homeward.notifications.domain.scopes import Recipient, ScopeKind
from homeward.notifications.domain.webhooks import new_message_id

# Set on a session that wrote inbox items, deliveries or emails; the live feed and the
# workers are woken after it commits.
WROTE_NOTIFICATIONS = "homeward.notifications.wrote"
# Any constant: the lock that makes notification ids commit in id order on PostgreSQL.
STREAM_ORDER_LOCK = 7_310_042


async def dispatch(
    session: AsyncSession, *, event_id: str, content: Content, recipients: Sequence[Recipient]
) -> list[NotificationRow]:
    await _serialise_stream_order(session)
    now = utcnow()
    items = []
    for recipient in recipients:
        item = NotificationRow(
            event_id=event_id,
            recipient=recipient.key,
            event_type=content.event_type,
            summary=content.summary,
            case_code=content.case_code,
            details=content.details,
            link=content.link,
            created_at=now,
        )
        session.add(item)
        items.append(item)
    await session.flush()
    for recipient, item in zip(recipients, items, strict=True):
        if recipient.kind is ScopeKind.AGENCY:
            await _queue_webhooks(session, agency_id=recipient.value, item=item)
        elif recipient.kind in (ScopeKind.USER, ScopeKind.ROLE):
            await _queue_emails(session, recipient=recipient, item=item, content=content)
    session.info[WROTE_NOTIFICATIONS] = True
    return items


async def _serialise_stream_order(session: AsyncSession) -> None:
    """The live stream resumes from the last id a client saw, so ids must become visible in
    order. On PostgreSQL two transactions could commit ids 6 then 5, and a client that saw 6
    would never get 5; a transaction-scoped advisory lock makes writers take turns. SQLite
    has one writer at a time anyway."""
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        await connection.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": STREAM_ORDER_LOCK}
        )


def webhook_payload(item: NotificationRow) -> str:
    """The Standard Webhooks body: type, timestamp, data (the same content as the inbox)."""
    body = {
        "type": item.event_type,
        "timestamp": item.created_at.isoformat().replace("+00:00", "Z"),
        "data": {
            "summary": item.summary,
            "case_code": item.case_code,
            "details": item.details,
            "link": item.link,
        },
    }
    return json.dumps(body, separators=(",", ":"), sort_keys=True)


def subscribed(subscription: SubscriptionRow, event_type: str) -> bool:
    """Empty list: everything. Entries match a full type or its `noun.verb` (any version)."""
    wanted = subscription.event_types
    return not wanted or event_type in wanted or action_of(event_type) in wanted


async def _queue_webhooks(session: AsyncSession, *, agency_id: str, item: NotificationRow) -> None:
    subscriptions = await session.exec(
        select(SubscriptionRow).where(
            SubscriptionRow.agency_id == agency_id, SubscriptionRow.status == "active"
        )
    )
    for subscription in subscriptions:
        if subscribed(subscription, item.event_type):
            session.add(new_delivery(subscription, item))


def new_delivery(subscription: SubscriptionRow, item: NotificationRow) -> DeliveryRow:
    return DeliveryRow(
        id=new_message_id(),
        subscription_id=subscription.id,
        agency_id=subscription.agency_id,
        event_id=item.event_id,
        event_type=item.event_type,
        payload=webhook_payload(item),
        status="pending",
        next_attempt_at=item.created_at,
        created_at=item.created_at,
    )


async def _queue_emails(
    session: AsyncSession, *, recipient: Recipient, item: NotificationRow, content: Content
) -> None:
    query = select(EmailOptInRow)
    if recipient.kind is ScopeKind.USER:
        query = query.where(EmailOptInRow.username == recipient.value)
    else:
        role, _, municipality = recipient.value.partition("@")
        query = query.where(EmailOptInRow.municipality == municipality)
    opted_in = [
        row
        for row in await session.exec(query.order_by(col(EmailOptInRow.reader)))
        if recipient.kind is ScopeKind.USER or role in row.roles
    ]
    subject, body = email_text(content)
    for row in opted_in:
        assert item.id is not None
        session.add(
            EmailRow(
                notification_id=item.id,
                address=row.address,
                subject=subject,
                body=body,
                status="pending",
                next_attempt_at=item.created_at,
            )
        )
