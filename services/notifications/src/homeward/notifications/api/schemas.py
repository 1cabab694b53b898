"""Request and response bodies."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from homeward.notifications.adapters.tables import (
    DeliveryAttemptRow,
    DeliveryRow,
    EmailOptInRow,
    SubscriptionRow,
)
from homeward.notifications.handlers.inbox import InboxItem


class NotificationView(BaseModel):
    id: int
    event_type: str
    summary: str
    case_code: str | None
    details: dict[str, str]
    link: str
    created_at: datetime
    read_at: datetime | None
    acknowledged_at: datetime | None

    @classmethod
    def of(cls, item: InboxItem) -> NotificationView:
        n, receipt = item.notification, item.receipt
        assert n.id is not None
        return cls(
            id=n.id,
            event_type=n.event_type,
            summary=n.summary,
            case_code=n.case_code,
            details=n.details,
            link=n.link,
            created_at=n.created_at,
            read_at=receipt.read_at if receipt else None,
            acknowledged_at=receipt.acknowledged_at if receipt else None,
        )


class NotificationPage(BaseModel):
    items: list[NotificationView]
    total: int
    unread: int
    next_offset: int | None


class UnreadCount(BaseModel):
    unread: int


class MarkedCount(BaseModel):
    marked: int


class EmailOptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    address: str = Field(max_length=320, pattern=r"^[^@\s<>,;\"]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")


class EmailOptInView(BaseModel):
    address: str
    municipality: str
    roles: list[str]
    opted_in_at: datetime

    @classmethod
    def of(cls, row: EmailOptInRow) -> EmailOptInView:
        return cls(
            address=row.address,
            municipality=row.municipality,
            roles=row.roles,
            opted_in_at=row.opted_in_at,
        )


class NewSubscription(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(max_length=500)
    event_types: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="full types or `noun.verb` (any version); empty: every event",
    )
    agency_id: str | None = Field(
        default=None, max_length=100, description="admins only: the agency it is for"
    )


class SubscriptionView(BaseModel):
    id: str
    agency_id: str
    url: str
    event_types: list[str]
    status: str
    created_at: datetime
    disabled_at: datetime | None
    disabled_reason: str | None

    @classmethod
    def of(cls, row: SubscriptionRow) -> SubscriptionView:
        return cls(
            id=row.id,
            agency_id=row.agency_id,
            url=row.url,
            event_types=row.event_types,
            status=row.status,
            created_at=row.created_at,
            disabled_at=row.disabled_at,
            disabled_reason=row.disabled_reason,
        )


class SubscriptionCreated(SubscriptionView):
    secret: str = Field(description="shown once: verify `webhook-signature` with it")


class AttemptView(BaseModel):
    attempt: int
    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int

    @classmethod
    def of(cls, row: DeliveryAttemptRow) -> AttemptView:
        return cls(
            attempt=row.attempt,
            attempted_at=row.attempted_at,
            status_code=row.status_code,
            error=row.error,
            duration_ms=row.duration_ms,
        )


class DeliveryView(BaseModel):
    id: str
    subscription_id: str
    event_type: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    created_at: datetime
    delivered_at: datetime | None
    attempt_log: list[AttemptView] = []

    @classmethod
    def of(cls, row: DeliveryRow, attempts: list[DeliveryAttemptRow] = ()) -> DeliveryView:  # type: ignore[assignment]
        return cls(
            id=row.id,
            subscription_id=row.subscription_id,
            event_type=row.event_type,
            status=row.status,
            attempts=row.attempts,
            next_attempt_at=row.next_attempt_at,
            last_status_code=row.last_status_code,
            created_at=row.created_at,
            delivered_at=row.delivered_at,
            attempt_log=[AttemptView.of(a) for a in attempts],
        )


class DeliveryHealth(BaseModel):
    deliveries: dict[str, int]
    disabled_subscriptions: list[str]
