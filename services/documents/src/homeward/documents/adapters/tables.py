"""The documents tables. Reference numbers, blocker descriptions and reasons are stored only
as vault ciphertext (`*_sealed`) under the case's data key, so erasing the case (destroying
the key) leaves nothing readable behind.
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import uuid4

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from homeward.common.db import UTCDateTime


def new_id() -> str:
    return str(uuid4())


class PersonRow(SQLModel, table=True):
    """What intake told us about a person: codes and age group, never an identity."""

    __tablename__ = "documents_persons"

    id: str = Field(primary_key=True, max_length=36)
    case_id: str = Field(index=True, max_length=36)
    case_code: str = Field(max_length=16)
    person_code: str = Field(max_length=16)
    municipality: str = Field(max_length=100, index=True)
    age_group: str = Field(max_length=16)
    household_role: str = Field(max_length=32)
    added_at: datetime = Field(sa_type=UTCDateTime)


class RecordRow(SQLModel, table=True):
    __tablename__ = "documents_records"
    __table_args__ = (sa.UniqueConstraint("person_id", "document_type"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    person_id: str = Field(foreign_key="documents_persons.id", index=True, max_length=36)
    case_id: str = Field(index=True, max_length=36)
    municipality: str = Field(max_length=100, index=True)
    document_type: str = Field(max_length=64)
    status: str = Field(max_length=16, index=True)
    issuing_authority: str | None = Field(default=None, max_length=200)
    reference_number_sealed: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    blocker_sealed: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    requested_on: date | None = None
    issued_on: date | None = None
    expiry_on: date | None = Field(default=None, index=True)
    # The expiry date last warned about: one warning per expiry date, across replicas.
    expiry_warned_for: date | None = None
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class RecordChangeRow(SQLModel, table=True):
    __tablename__ = "documents_record_changes"

    id: int | None = Field(default=None, primary_key=True)
    record_id: str = Field(foreign_key="documents_records.id", index=True, max_length=36)
    at: datetime = Field(sa_type=UTCDateTime)
    actor: str = Field(max_length=300)
    from_status: str | None = Field(default=None, max_length=16)
    to_status: str = Field(max_length=16)
    reason_sealed: bytes | None = Field(default=None, sa_type=sa.LargeBinary)


class ReadinessRow(SQLModel, table=True):
    """The readiness last emitted for a person: a new one is emitted only if it differs."""

    __tablename__ = "documents_readiness"

    person_id: str = Field(primary_key=True, max_length=36)
    ready_categories: list[str] = Field(sa_type=sa.JSON)
    missing: dict[str, list[list[str]]] = Field(sa_type=sa.JSON)
    rules_version: str = Field(max_length=64)
    computed_at: datetime = Field(sa_type=UTCDateTime)


class TaskRow(SQLModel, table=True):
    __tablename__ = "documents_tasks"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    referral_id: str = Field(index=True, max_length=36)
    case_id: str = Field(index=True, max_length=36)
    case_code: str = Field(max_length=16)
    municipality: str = Field(max_length=100, index=True)
    person_id: str = Field(index=True, max_length=36)
    service_category: str = Field(max_length=64)
    needed: list[list[str]] = Field(sa_type=sa.JSON)
    status: str = Field(max_length=16, index=True)
    raised_at: datetime = Field(sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_because: str | None = Field(default=None, max_length=32)


class AgencyReferralRow(SQLModel, table=True):
    """Which agency has a referral for which person: all a partner's readiness view needs.

    One row per referral, upserted from every lifecycle event with the state it reached; the
    agency sees the person's readiness while any of its referrals for them is in its hands
    (the shared contracts' `IN_AGENCY_HANDS`). An ended referral stays ended.
    """

    __tablename__ = "documents_agency_referrals"

    referral_id: str = Field(primary_key=True, max_length=36)
    case_id: str = Field(index=True, max_length=36)
    person_id: str = Field(index=True, max_length=36)
    agency_id: str = Field(max_length=100, index=True)
    service_category: str = Field(max_length=64)
    state: str = Field(default="draft", max_length=32)
