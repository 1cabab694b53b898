"""Webhook subscriptions of a partner agency, their deliveries and replays; admin health."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from homeward.common.service import SessionDep
from homeward.notifications.api.deps import (
    Admin,
    KeyRingDep,
    SettingsDep,
    UrlPolicyDep,
    WebhookManager,
)
from homeward.notifications.api.schemas import (
    DeliveryHealth,
    DeliveryView,
    NewSubscription,
    SubscriptionCreated,
    SubscriptionView,
)
from homeward.notifications.handlers import subscriptions as handlers

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])


@router.post(
    "/subscriptions",
    name="create_subscription",
    response_model=SubscriptionCreated,
    status_code=status.HTTP_201_CREATED,
)
async def create_subscription(
    body: NewSubscription,
    principal: WebhookManager,
    session: SessionDep,
    keyring: KeyRingDep,
    policy: UrlPolicyDep,
) -> SubscriptionCreated:
    """Subscribe a URL of your agency; the signing secret is in this answer only."""
    row, secret = await handlers.create_subscription(
        session,
        principal=principal,
        url=body.url,
        event_types=body.event_types,
        agency_id=body.agency_id,
        keyring=keyring,
        policy=policy,
    )
    return SubscriptionCreated(**SubscriptionView.model_validate(row).model_dump(), secret=secret)


@router.get("/subscriptions", name="list_subscriptions", response_model=list[SubscriptionView])
async def list_subscriptions(
    principal: WebhookManager,
    session: SessionDep,
    subscription_status: Annotated[str | None, Query(alias="status", max_length=16)] = None,
) -> list[SubscriptionView]:
    """Your agency's subscriptions (an admin: every agency's; `status=disabled` to filter)."""
    rows = await handlers.list_subscriptions(
        session, principal=principal, status=subscription_status
    )
    return [SubscriptionView.model_validate(row) for row in rows]


@router.get(
    "/subscriptions/{subscription_id}", name="read_subscription", response_model=SubscriptionView
)
async def read_subscription(
    subscription_id: str, principal: WebhookManager, session: SessionDep
) -> SubscriptionView:
    """One subscription of your agency."""
    row = await handlers.get_subscription(
        session, principal=principal, subscription_id=subscription_id
    )
    return SubscriptionView.model_validate(row)


@router.post(
    "/subscriptions/{subscription_id}/enable",
    name="enable_subscription",
    response_model=SubscriptionView,
)
async def enable_subscription(
    subscription_id: str, principal: WebhookManager, session: SessionDep
) -> SubscriptionView:
    """Enable a (disabled) subscription; its held-back deliveries go out again."""
    row = await handlers.set_status(
        session, principal=principal, subscription_id=subscription_id, active=True
    )
    return SubscriptionView.model_validate(row)


@router.post(
    "/subscriptions/{subscription_id}/disable",
    name="disable_subscription",
    response_model=SubscriptionView,
)
async def disable_subscription(
    subscription_id: str, principal: WebhookManager, session: SessionDep
) -> SubscriptionView:
    """Pause a subscription; deliveries wait until it is enabled again."""
    row = await handlers.set_status(
        session, principal=principal, subscription_id=subscription_id, active=False
    )
    return SubscriptionView.model_validate(row)


@router.delete(
    "/subscriptions/{subscription_id}",
    name="delete_subscription",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
)
async def delete_subscription(
    subscription_id: str, principal: WebhookManager, session: SessionDep
) -> Response:
    """Stop a subscription for good (its delivery records are kept)."""
    await handlers.delete_subscription(
        session, principal=principal, subscription_id=subscription_id
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/subscriptions/{subscription_id}/deliveries",
    name="list_deliveries",
    response_model=list[DeliveryView],
)
async def list_deliveries(
    subscription_id: str,
    principal: WebhookManager,
    session: SessionDep,
    settings: SettingsDep,
    limit: Annotated[int, Query(ge=1)] = 20,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> list[DeliveryView]:
    """A subscription's deliveries, newest first, with every attempt."""
    rows = await handlers.list_deliveries(
        session,
        principal=principal,
        subscription_id=subscription_id,
        limit=min(limit, settings.max_page_size),
        offset=offset,
    )
    return [DeliveryView.of(delivery, attempts) for delivery, attempts in rows]


@router.post(
    "/deliveries/{delivery_id}/replay", name="replay_delivery", response_model=DeliveryView
)
async def replay_delivery(
    delivery_id: str, principal: WebhookManager, session: SessionDep
) -> DeliveryView:
    """Send a delivery again, with the same `webhook-id`."""
    row = await handlers.replay_delivery(session, principal=principal, delivery_id=delivery_id)
    return DeliveryView.of(row)


@router.get("/health", name="delivery_health", response_model=DeliveryHealth)
async def delivery_health(principal: Admin, session: SessionDep) -> DeliveryHealth:
    """Deliveries by status and the disabled subscriptions (admins)."""
    return DeliveryHealth.model_validate(await handlers.delivery_health(session))
