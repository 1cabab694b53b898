"""Writing one piece of content to its recipients in every channel, in the caller's
transaction: inbox items, webhook deliveries for agencies, emails for opted-in staff."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Table, insert, or_, text
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
# The inbox items a session's transaction wrote, by (kind, scope kind): counted in the
# `homeward_notifications_created_total` metric once it commits (see `live.py`).
CREATED = "homeward.notifications.created"
# The kind of a notification in the metric: `referral.accepted`, `webhook_subscription.disabled`.
KIND = re.compile(r"^homeward\.|\.v[0-9]+$")
# Any constant: the lock that makes notification ids commit in id order on PostgreSQL.
STREAM_ORDER_LOCK = 7_310_042


# Where the lock is held: once taken, a transaction keeps it until it ends.
_STREAM_LOCK_HELD = "homeward.notifications.stream_lock"
_LOOKUPS = "homeward.notifications.lookups"
NOTIFICATIONS: Table = NotificationRow.__table__  # type: ignore[attr-defined]
# One INSERT .. RETURNING (built once): the ids, without flushing the rest of the session.
INSERT_NOTIFICATIONS = insert(NOTIFICATIONS).returning(
    NOTIFICATIONS.c.id, sort_by_parameter_order=True
)


@dataclass(frozen=True)
class Address:
    """Where an opted-in reader's email goes, and in which language (None: English)."""

    address: str
    locale: str | None


@dataclass
class Lookups:
    """Who receives what beyond the inbox: an agency's active webhook subscriptions, and
    the addresses of the staff of a user, role or agency scope who opted in to email. Each is read
    once, then kept for the rest of the lookups' life (see `lookups_of`)."""

    subscriptions: dict[str, list[SubscriptionRow]] = field(default_factory=dict)
    addresses: dict[Recipient, list[Address]] = field(default_factory=dict)

    async def load(self, session: AsyncSession, recipients: Sequence[Recipient]) -> None:
        """Read what is not known yet about `recipients`: one query per kind at most."""
        agencies = {r.value for r in recipients if r.kind is ScopeKind.AGENCY}
        agencies -= self.subscriptions.keys()
        staff = [r for r in dict.fromkeys(recipients) if r not in self.addresses]
        if agencies:
            await self._load_subscriptions(session, agencies)
        if staff:
            await self._load_addresses(session, staff)

    async def _load_subscriptions(self, session: AsyncSession, agencies: set[str]) -> None:
        for agency in agencies:
            self.subscriptions[agency] = []
        rows = await session.exec(
            select(SubscriptionRow).where(
                col(SubscriptionRow.agency_id).in_(agencies), SubscriptionRow.status == "active"
            )
        )
        for subscription in rows:
            self.subscriptions[subscription.agency_id].append(subscription)

    async def _load_addresses(self, session: AsyncSession, staff: list[Recipient]) -> None:
        # Both scopes read `<who>@<municipality>`: a user's address only if they opted in
        # from that municipality, a role's for its staff there; an agency's, its staff's.
        users = {r: r.value.partition("@") for r in staff if r.kind is ScopeKind.USER}
        roles = {r: r.value.partition("@") for r in staff if r.kind is ScopeKind.ROLE}
        municipalities = {municipality for _, _, municipality in roles.values()}
        usernames = {username for username, _, _ in users.values()}
        agencies = {r.value for r in staff if r.kind is ScopeKind.AGENCY}
        rows = (
            await session.exec(
                select(EmailOptInRow)
                .where(
                    or_(
                        col(EmailOptInRow.username).in_(usernames),
                        col(EmailOptInRow.municipality).in_(municipalities),
                        col(EmailOptInRow.agency_id).in_(agencies),
                    )
                )
                .order_by(col(EmailOptInRow.reader))
            )
        ).all()
        for recipient in staff:
            if recipient.kind is ScopeKind.USER:
                username, _, municipality = users[recipient]
                wanted = [
                    row
                    for row in rows
                    if row.username == username and row.municipality == municipality
                ]
            elif recipient.kind is ScopeKind.AGENCY:
                wanted = [row for row in rows if row.agency_id == recipient.value]
            else:
                role, _, municipality = roles[recipient]
                wanted = [
                    row for row in rows if row.municipality == municipality and role in row.roles
                ]
            self.addresses[recipient] = [Address(row.address, row.locale) for row in wanted]


def lookups_of(session: AsyncSession) -> Lookups:
    """The lookups of the session's transaction, shared by every event handled in it (a
    consumer's batch): subscriptions and opt-ins are read once per batch, not per event.
    Only for transactions that do not change subscriptions or opt-ins themselves."""
    transaction = session.sync_session.get_transaction()
    held = session.info.get(_LOOKUPS)
    if held is None or held[0] is not transaction:
        held = (transaction, Lookups())
        if transaction is not None:
            session.info[_LOOKUPS] = held
    return held[1]


async def dispatch(
    session: AsyncSession,
    *,
    event_id: str,
    content: Content,
    recipients: Sequence[Recipient],
    lookups: Lookups | None = None,
) -> list[NotificationRow]:
    """Inbox items for `recipients` (written now, so that their ids follow the stream
    order), and their deliveries and emails (added to the session). `lookups`: what is known
    already of subscriptions and opt-ins in this transaction (by default, read afresh)."""
    await _serialise_stream_order(session)
    now = utcnow()
    items = [
        NotificationRow(
            event_id=event_id,
            recipient=recipient.key,
            event_type=content.event_type,
            summary=content.summary,
            case_code=content.case_code,
            details=content.details,
            link=content.link,
            created_at=now,
        )
        for recipient in recipients
    ]
    if items:
        ids = await session.exec(
            INSERT_NOTIFICATIONS, params=[item.model_dump(exclude={"id"}) for item in items]
        )
        for item, (item_id,) in zip(items, ids, strict=True):
            item.id = item_id
        created: Counter[tuple[str, str]] = session.info.setdefault(CREATED, Counter())
        kind = KIND.sub("", content.event_type)
        created.update((kind, recipient.kind.value) for recipient in recipients)
    lookups = lookups or Lookups()
    await lookups.load(session, recipients)
    emails: dict[str | None, tuple[str, str]] = {}  # by language, each written once
    for recipient, item in zip(recipients, items, strict=True):
        if recipient.kind is ScopeKind.AGENCY:
            _queue_webhooks(session, item, lookups.subscriptions[recipient.value])
        for address in lookups.addresses.get(recipient, []):
            if address.locale not in emails:
                emails[address.locale] = email_text(content, address.locale)
            _queue_email(session, item, address.address, emails[address.locale])
    session.info[WROTE_NOTIFICATIONS] = True
    return items


async def _serialise_stream_order(session: AsyncSession) -> None:
    """The live stream resumes from the last id a client saw, so ids must become visible in
    order. On PostgreSQL two transactions could commit ids 6 then 5, and a client that saw 6
    would never get 5; a transaction-scoped advisory lock makes writers take turns (taken
    before the first inbox item of a transaction, held until it ends). SQLite has one writer
    at a time anyway."""
    if session.get_bind().dialect.name != "postgresql":
        return
    # A savepoint rolled back may have released it: keyed by the innermost transaction.
    sync_session = session.sync_session
    transaction = sync_session.get_nested_transaction() or sync_session.get_transaction()
    if transaction is not None and session.info.get(_STREAM_LOCK_HELD) is transaction:
        return
    connection = await session.connection()
    await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": STREAM_ORDER_LOCK})
    session.info[_STREAM_LOCK_HELD] = transaction


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


def case_code_of(payload: str) -> str | None:
    """The case a webhook body (`webhook_payload`) is about, if any."""
    return json.loads(payload)["data"].get("case_code")


def subscribed(subscription: SubscriptionRow, event_type: str) -> bool:
    """Empty list: everything. Entries match a full type or its `noun.verb` (any version)."""
    wanted = subscription.event_types
    return not wanted or event_type in wanted or action_of(event_type) in wanted


def _queue_webhooks(
    session: AsyncSession, item: NotificationRow, subscriptions: Sequence[SubscriptionRow]
) -> None:
    payload: str | None = None
    for subscription in subscriptions:
        if subscribed(subscription, item.event_type):
            payload = payload or webhook_payload(item)
            session.add(new_delivery(subscription, item, payload=payload))


def new_delivery(
    subscription: SubscriptionRow, item: NotificationRow, *, payload: str | None = None
) -> DeliveryRow:
    return DeliveryRow(
        id=new_message_id(),
        subscription_id=subscription.id,
        agency_id=subscription.agency_id,
        event_id=item.event_id,
        event_type=item.event_type,
        payload=payload or webhook_payload(item),
        status="pending",
        next_attempt_at=item.created_at,
        created_at=item.created_at,
    )


def _queue_email(
    session: AsyncSession, item: NotificationRow, address: str, email: tuple[str, str]
) -> None:
    assert item.id is not None
    subject, body = email
    session.add(
        EmailRow(
            notification_id=item.id,
            address=address,
            subject=subject,
            body=body,
            status="pending",
            next_attempt_at=item.created_at,
        )
    )
