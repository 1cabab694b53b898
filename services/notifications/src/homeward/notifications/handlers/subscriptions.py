"""Webhook subscriptions of partner agencies, their deliveries, replays and health.

A partner manages its own agency's subscriptions only (the agency comes from its token); an
admin may act for any agency. A subscription of another agency answers 404. Every change and
replay is audited for the subscription's agency, by field name: never its URL (which may carry
credentials) nor its secret. No read here returns a person's data (deliveries show their
status, not their body), so reads are not audited.
"""

from __future__ import annotations

import uuid
from typing import TypeVar

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from homeward.common.audit import record_audit
from homeward.common.auth import Principal, Role
from homeward.common.crypto import FieldCipher, KeyRing
from homeward.common.db import utcnow
from homeward.common.errors import Conflict, NotFound, Unprocessable
from homeward.notifications.adapters.addresses import UrlPolicy
from homeward.notifications.adapters.tables import (
    DeliveryAttemptRow,
    DeliveryRow,
    SubscriptionRow,
)
from homeward.notifications.domain.webhooks import UnsafeTarget, new_secret
from homeward.notifications.handlers.dispatch import WROTE_NOTIFICATIONS, case_code_of

DELETED = "deleted"  # final: never enabled, disabled or delivered to again
SECRET_FIELD = "webhook_secret"  # noqa: S105 (the sealed field's name)
AgencyOwned = TypeVar("AgencyOwned", SubscriptionRow, DeliveryRow)


def _agency_of(principal: Principal, requested: str | None) -> str:
    if principal.has_any(Role.ADMIN):
        if not requested:
            raise Unprocessable("an admin names the agency the subscription is for")
        return requested
    if not principal.agency_id:
        raise Unprocessable("your token carries no agency")
    return principal.agency_id


def seal_secret(keyring: KeyRing, subscription_id: str, secret: str) -> tuple[bytes, str]:
    cipher = FieldCipher(subscription_id, keyring.current.key)
    sealed = cipher.encrypt(SECRET_FIELD, secret)
    assert sealed is not None
    return sealed, keyring.current.key_id


def open_secret(keyring: KeyRing, subscription: SubscriptionRow) -> str:
    kek = keyring.get(subscription.secret_key_id)
    secret = FieldCipher(subscription.id, kek.key).decrypt(SECRET_FIELD, subscription.secret_sealed)
    assert secret is not None
    return secret


async def create_subscription(
    session: AsyncSession,
    *,
    principal: Principal,
    url: str,
    event_types: list[str],
    agency_id: str | None,
    keyring: KeyRing,
    policy: UrlPolicy,
) -> tuple[SubscriptionRow, str]:
    """Register a subscription; the secret is returned here once and never again."""
    agency = _agency_of(principal, agency_id)
    try:
        await policy.target(url)
    except UnsafeTarget as refused:
        raise Unprocessable(f"webhook URL refused: {refused}") from None
    subscription_id = str(uuid.uuid4())
    secret = new_secret()
    sealed, key_id = seal_secret(keyring, subscription_id, secret)
    row = SubscriptionRow(
        id=subscription_id,
        agency_id=agency,
        url=url,
        event_types=sorted(set(event_types)),
        secret_sealed=sealed,
        secret_key_id=key_id,
        status="active",
        created_at=utcnow(),
        created_by=principal.actor,
    )
    session.add(row)
    record_audit(session, principal=principal, action="webhook.created", for_agency=agency,
                 fields=["event_types", "secret", "url"])  # fmt: skip
    await session.commit()
    return row, secret


def _in_scope(principal: Principal, row: AgencyOwned | None, what: str) -> AgencyOwned:
    """The row if the caller's agency owns it (admins: any); 404 as if absent otherwise."""
    if row is None or not (principal.has_any(Role.ADMIN) or principal.agency_id == row.agency_id):
        raise NotFound(f"no such {what}")
    return row


async def list_subscriptions(
    session: AsyncSession, *, principal: Principal, status: str | None = None
) -> list[SubscriptionRow]:
    query = select(SubscriptionRow).order_by(col(SubscriptionRow.created_at))
    if not principal.has_any(Role.ADMIN):
        query = query.where(SubscriptionRow.agency_id == (principal.agency_id or ""))
    if status:
        query = query.where(SubscriptionRow.status == status)
    return list(await session.exec(query))


async def get_subscription(
    session: AsyncSession, *, principal: Principal, subscription_id: str
) -> SubscriptionRow:
    return _in_scope(principal, await session.get(SubscriptionRow, subscription_id), "subscription")


async def set_status(
    session: AsyncSession, *, principal: Principal, subscription_id: str, active: bool
) -> SubscriptionRow:
    row = await get_subscription(session, principal=principal, subscription_id=subscription_id)
    if row.status == DELETED:
        raise Conflict("a deleted subscription is final: register a new one")
    row.status = "active" if active else "disabled"
    row.disabled_at = None if active else utcnow()
    row.disabled_reason = None if active else "disabled by request"
    session.add(row)
    if active:
        # Deliveries held back while it was disabled go out again.
        pending = await session.exec(
            select(DeliveryRow).where(
                DeliveryRow.subscription_id == row.id, DeliveryRow.status == "pending"
            )
        )
        for delivery in pending:
            delivery.next_attempt_at = utcnow()
            session.add(delivery)
        session.info[WROTE_NOTIFICATIONS] = True
    action = "webhook.enabled" if active else "webhook.disabled"
    record_audit(session, principal=principal, action=action, for_agency=row.agency_id,
                 fields=["status"])  # fmt: skip
    await session.commit()
    return row


async def delete_subscription(
    session: AsyncSession, *, principal: Principal, subscription_id: str
) -> None:
    # Kept (as deleted, for good) rather than removed: its deliveries stay on record.
    row = await get_subscription(session, principal=principal, subscription_id=subscription_id)
    if row.status == DELETED:
        return
    row.status, row.disabled_at, row.disabled_reason = DELETED, utcnow(), "deleted by request"
    session.add(row)
    record_audit(session, principal=principal, action="webhook.deleted",
                 for_agency=row.agency_id, fields=["status"])  # fmt: skip
    await session.commit()


async def list_deliveries(
    session: AsyncSession,
    *,
    principal: Principal,
    subscription_id: str,
    limit: int,
    offset: int,
) -> list[tuple[DeliveryRow, list[DeliveryAttemptRow]]]:
    await get_subscription(session, principal=principal, subscription_id=subscription_id)
    deliveries = list(
        await session.exec(
            select(DeliveryRow)
            .where(DeliveryRow.subscription_id == subscription_id)
            .order_by(col(DeliveryRow.created_at).desc(), col(DeliveryRow.id))
            .limit(limit)
            .offset(offset)
        )
    )
    attempts = await session.exec(
        select(DeliveryAttemptRow)
        .where(col(DeliveryAttemptRow.delivery_id).in_([d.id for d in deliveries]))
        .order_by(col(DeliveryAttemptRow.id))
    )
    by_delivery: dict[str, list[DeliveryAttemptRow]] = {d.id: [] for d in deliveries}
    for attempt in attempts:
        by_delivery[attempt.delivery_id].append(attempt)
    return [(delivery, by_delivery[delivery.id]) for delivery in deliveries]


async def replay_delivery(
    session: AsyncSession, *, principal: Principal, delivery_id: str
) -> DeliveryRow:
    """Send a delivery again (same `webhook-id`, so receivers can dedupe), attempts restart."""
    delivery = _in_scope(principal, await session.get(DeliveryRow, delivery_id), "delivery")
    subscription = await session.get(SubscriptionRow, delivery.subscription_id)
    if subscription is None or subscription.status == DELETED:
        raise Conflict("the delivery's subscription was deleted")
    delivery.status, delivery.next_attempt_at = "pending", utcnow()
    delivery.attempts = 0
    session.add(delivery)
    session.info[WROTE_NOTIFICATIONS] = True
    case_code = case_code_of(delivery.payload)
    record_audit(session, principal=principal, action="webhook.delivery_replayed",
                 for_agency=delivery.agency_id, case_code=case_code)  # fmt: skip
    await session.commit()
    return delivery


async def delivery_health(session: AsyncSession) -> dict[str, object]:
    """Counts by delivery status and the disabled subscriptions (admin)."""
    counts = await session.exec(
        select(DeliveryRow.status, func.count()).group_by(col(DeliveryRow.status))
    )
    disabled = await session.exec(
        select(SubscriptionRow.id).where(SubscriptionRow.status == "disabled")
    )
    return {"deliveries": dict(counts.all()), "disabled_subscriptions": sorted(disabled.all())}
