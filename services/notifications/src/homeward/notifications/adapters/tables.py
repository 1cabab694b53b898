"""The notifications tables: read models, inbox items and receipts, webhooks, email.

Nothing here holds personal data of returnees: codes, ids, enums, dates and links only.
Staff email addresses (given by the staff themselves) are the one exception, kept to send.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from homeward.common.db import UTCDateTime

ACTOR = 300  # issuer URL + "#" + subject


class CaseFactsRow(SQLModel, table=True):
    __tablename__ = "notif_cases"

    case_id: str = Field(primary_key=True, max_length=36)
    case_code: str = Field(max_length=16)
    municipality: str = Field(max_length=100)
    coordinator: str | None = Field(default=None, max_length=200)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class ReferralFactsRow(SQLModel, table=True):
    __tablename__ = "notif_referrals"

    referral_id: str = Field(primary_key=True, max_length=36)
    case_id: str = Field(index=True, max_length=36)
    agency_id: str = Field(max_length=100)
    agency_type: str | None = Field(default=None, max_length=40)
    person_id: str | None = Field(default=None, max_length=36)
    service_category: str | None = Field(default=None, max_length=40)
    # The lifecycle state the last event carried (None: none has yet); whether the agency
    # may hear of the referral follows from it (the shared `IN_AGENCY_HANDS`).
    state: str | None = Field(default=None, max_length=20)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class NotificationRow(SQLModel, table=True):
    """One inbox item for one scope. `id` orders the live stream (`Last-Event-ID`)."""

    __tablename__ = "notif_notifications"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "recipient", name="uq_notif_event_recipient"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=200)
    recipient: str = Field(index=True, max_length=200)
    event_type: str = Field(max_length=120)
    summary: str = Field(max_length=200)
    case_code: str | None = Field(default=None, max_length=16)
    details: dict[str, Any] = Field(sa_type=sa.JSON)
    link: str = Field(max_length=500)
    created_at: datetime = Field(sa_type=UTCDateTime, index=True)


class ReceiptRow(SQLModel, table=True):
    """A reader's state of one item: read, acknowledged (acted upon). Per user, so that one
    coordinator reading a team notification does not hide it from the others."""

    __tablename__ = "notif_receipts"

    notification_id: int = Field(primary_key=True, foreign_key="notif_notifications.id")
    reader: str = Field(primary_key=True, max_length=ACTOR)
    read_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SubscriptionRow(SQLModel, table=True):
    __tablename__ = "notif_subscriptions"

    id: str = Field(primary_key=True, max_length=36)
    agency_id: str = Field(index=True, max_length=100)
    url: str = Field(max_length=500)
    event_types: list[str] = Field(sa_type=sa.JSON)
    secret_sealed: bytes = Field(sa_type=sa.LargeBinary)
    secret_key_id: str = Field(max_length=40)
    status: str = Field(max_length=16)  # active | disabled
    created_at: datetime = Field(sa_type=UTCDateTime)
    created_by: str = Field(max_length=ACTOR)
    disabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    disabled_reason: str | None = Field(default=None, max_length=200)


class DeliveryRow(SQLModel, table=True):
    __tablename__ = "notif_deliveries"

    id: str = Field(primary_key=True, max_length=40)  # the `webhook-id`, stable over retries
    subscription_id: str = Field(foreign_key="notif_subscriptions.id", index=True, max_length=36)
    agency_id: str = Field(index=True, max_length=100)
    event_id: str = Field(max_length=200)
    event_type: str = Field(max_length=120)
    payload: str = Field(sa_type=sa.Text)
    status: str = Field(max_length=16)  # pending | delivered | failed
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_status_code: int | None = None
    created_at: datetime = Field(sa_type=UTCDateTime, index=True)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class DeliveryAttemptRow(SQLModel, table=True):
    __tablename__ = "notif_delivery_attempts"

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: str = Field(foreign_key="notif_deliveries.id", index=True, max_length=40)
    attempt: int
    attempted_at: datetime = Field(sa_type=UTCDateTime)
    status_code: int | None = None
    error: str | None = Field(default=None, max_length=200)
    duration_ms: int


class EmailOptInRow(SQLModel, table=True):
    __tablename__ = "notif_email_optins"

    reader: str = Field(primary_key=True, max_length=ACTOR)
    username: str = Field(index=True, max_length=200)
    address: str = Field(max_length=320)
    municipality: str = Field(max_length=100)
    roles: list[str] = Field(sa_type=sa.JSON)
    # A partner's agency (what is addressed to the agency reaches its opted-in staff).
    agency_id: str | None = Field(default=None, index=True, max_length=100)
    # The language of their emails (None: English).
    locale: str | None = Field(default=None, max_length=8)
    opted_in_at: datetime = Field(sa_type=UTCDateTime)


class EmailRow(SQLModel, table=True):
    __tablename__ = "notif_emails"

    id: int | None = Field(default=None, primary_key=True)
    notification_id: int = Field(foreign_key="notif_notifications.id", index=True)
    address: str = Field(max_length=320)
    subject: str = Field(max_length=300)
    body: str = Field(sa_type=sa.Text)
    status: str = Field(max_length=16)  # pending | sent | failed
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=200)
