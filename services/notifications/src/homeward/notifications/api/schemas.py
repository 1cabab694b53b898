"""Request and response bodies."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from homeward.common.commands import Command
from homeward.notifications.adapters.tables import DeliveryAttemptRow, DeliveryRow
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


class EmailOptIn(Command):
    model_config = ConfigDict(
        json_schema_extra={"example": {"address": "coordinator@riverton.example", "locale": "ru"}}
    )

    address: str = Field(max_length=320, pattern=r"^[^@\s<>,;\"]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
    # The language of the emails; by default the token's `locale` claim, else English.
    locale: Literal["en", "ru", "kk", "uz"] | None = None


class RowView(BaseModel):
    """A view read straight from a table row's attributes."""

    model_config = ConfigDict(from_attributes=True)


class EmailOptInView(RowView):
    address: str
    municipality: str
    roles: list[str]
    agency_id: str | None
    locale: str | None
    opted_in_at: datetime


class NewSubscription(Command):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "url": "https://school-system.riverton.example/homeward/webhooks",
                "event_types": ["referral.sent", "documents.readiness_changed"],
            }
        }
    )

    url: str = Field(max_length=500)
    event_types: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="full types or `noun.verb` (any version); empty: every event",
    )
    agency_id: str | None = Field(
        default=None, max_length=100, description="admins only: the agency it is for"
    )


class SubscriptionView(RowView):
    id: str
    agency_id: str
    url: str
    event_types: list[str]
    status: str
    created_at: datetime
    disabled_at: datetime | None
    disabled_reason: str | None


class SubscriptionCreated(SubscriptionView):
    secret: str = Field(description="shown once: verify `webhook-signature` with it")


class AttemptView(RowView):
    attempt: int
    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


class DeliveryView(RowView):
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
    def of(cls, row: DeliveryRow, attempts: Sequence[DeliveryAttemptRow] = ()) -> DeliveryView:
        log = [AttemptView.model_validate(attempt) for attempt in attempts]
        return cls.model_validate(row).model_copy(update={"attempt_log": log})


class DeliveryHealth(BaseModel):
    deliveries: dict[str, int]
    disabled_subscriptions: list[str]
