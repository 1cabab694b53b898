"""The inbox: which events each consumer group has already applied.

A consumer inserts the row in the same transaction as the event's effect, so "applied" and
"recorded as applied" commit together. Redelivery (Kafka is at-least-once, the relay too)
then finds the row and skips the event; two consumers racing on one event collide on the
primary key and the loser retries into the duplicate check.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, String
from sqlmodel import Field, SQLModel

from homeward.common.db import UTCDateTime


class ProcessedEvent(SQLModel, table=True):
    __tablename__ = "event_inbox"

    consumer_group: str = Field(sa_column=Column(String(255), primary_key=True))
    event_id: str = Field(sa_column=Column(String(255), primary_key=True))
    topic: str = Field(sa_column=Column(String(255), nullable=False))
    processed_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
