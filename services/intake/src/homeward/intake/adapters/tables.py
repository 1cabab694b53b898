"""The intake tables. Protected values are stored only as vault ciphertext (`*_sealed`).

Every column that could hold an identity or a free-text note is a ciphertext sealed with the
case's data key, so erasing the case (destroying the key) leaves nothing readable behind.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import uuid4

import sqlalchemy as sa
from sqlalchemy.orm import relationship
from sqlmodel import Field, Relationship, SQLModel

from homeward.common.db import UTCDateTime


# The unit of work orders its INSERTs by relationships, not by foreign keys: these let a
# registration stage a case, its persons and their identities and flush them in one go.
# Never loaded (async sessions cannot lazy-load); code sets and reads the `*_id` columns.
# Targets are named with their module: every service's tables share SQLModel's registry, and
# documents has a `PersonRow` too (the two meet when the test suite imports every service).
def _for_flush_order_only(target: str) -> Any:
    return Relationship(sa_relationship=relationship(f"{__name__}.{target}", lazy="raise"))


def new_id() -> str:
    return str(uuid4())


class CaseRow(SQLModel, table=True):
    __tablename__ = "intake_cases"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    code: str = Field(max_length=16, unique=True)
    municipality: str = Field(max_length=100, index=True)
    return_operation: str = Field(max_length=120)
    arrival_date: date
    placement: str = Field(max_length=32)
    status: str = Field(max_length=32, index=True)
    coordinator: str | None = Field(default=None, max_length=200)
    registered_at: datetime = Field(sa_type=UTCDateTime)
    registered_by: str = Field(max_length=300)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    close_reason: str | None = Field(default=None, max_length=40)
    identities_erased_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PersonRow(SQLModel, table=True):
    __tablename__ = "intake_persons"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    case_id: str = Field(foreign_key="intake_cases.id", index=True, max_length=36)
    code: str = Field(max_length=16, unique=True)
    household_role: str = Field(max_length=32)
    birth_year: int
    sex: str = Field(max_length=16)
    guardian_id: str | None = Field(default=None, foreign_key="intake_persons.id", max_length=36)
    added_at: datetime = Field(sa_type=UTCDateTime)

    case: CaseRow = _for_flush_order_only("CaseRow")


class IdentityRow(SQLModel, table=True):
    __tablename__ = "intake_identities"

    person_id: str = Field(foreign_key="intake_persons.id", primary_key=True, max_length=36)
    case_id: str = Field(foreign_key="intake_cases.id", index=True, max_length=36)
    full_name_sealed: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    date_of_birth_sealed: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    place_of_birth_sealed: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    national_id_sealed: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    address_sealed: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    phone_sealed: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    recorded_at: datetime = Field(sa_type=UTCDateTime)

    person: PersonRow = _for_flush_order_only("PersonRow")


class ReceivingFamilyRow(SQLModel, table=True):
    __tablename__ = "intake_receiving_families"

    case_id: str = Field(foreign_key="intake_cases.id", primary_key=True, max_length=36)
    relation: str = Field(max_length=40)
    support_capacity: str = Field(max_length=16)
    assessed_positive_support: bool | None = None
    notes_sealed: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    recorded_at: datetime = Field(sa_type=UTCDateTime)


class AssessmentRow(SQLModel, table=True):
    __tablename__ = "intake_assessments"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    case_id: str = Field(foreign_key="intake_cases.id", index=True, max_length=36)
    person_id: str = Field(foreign_key="intake_persons.id", index=True, max_length=36)
    assessed_on: date
    levels: dict[str, str] = Field(sa_type=sa.JSON)
    notes_sealed: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    recorded_at: datetime = Field(sa_type=UTCDateTime)
    recorded_by: str = Field(max_length=300)


class ConsentRow(SQLModel, table=True):
    __tablename__ = "intake_consents"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    case_id: str = Field(foreign_key="intake_cases.id", index=True, max_length=36)
    person_id: str = Field(foreign_key="intake_persons.id", index=True, max_length=36)
    given_by_id: str | None = Field(default=None, foreign_key="intake_persons.id", max_length=36)
    recipient_agency_type: str = Field(max_length=32)
    categories: list[str] = Field(sa_type=sa.JSON)
    legal_basis: str = Field(max_length=32)
    valid_from: date
    valid_until: date
    granted_at: datetime = Field(sa_type=UTCDateTime)
    granted_by: str = Field(max_length=300)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_by: str | None = Field(default=None, max_length=300)


class TransferRow(SQLModel, table=True):
    __tablename__ = "intake_transfers"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    case_id: str = Field(foreign_key="intake_cases.id", index=True, max_length=36)
    from_municipality: str = Field(max_length=100, index=True)
    to_municipality: str = Field(max_length=100, index=True)
    status: str = Field(max_length=16)
    requested_at: datetime = Field(sa_type=UTCDateTime)
    requested_by: str = Field(max_length=300)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decided_by: str | None = Field(default=None, max_length=300)
    decision_reason: str | None = Field(default=None, max_length=40)


class AgencyReferralRow(SQLModel, table=True):
    """Read model of referrals' events: which agency holds which person's referral, and
    whether it still gives that agency need-to-know access to the person's identity."""

    __tablename__ = "intake_agency_referrals"

    referral_id: str = Field(primary_key=True, max_length=36)
    case_id: str = Field(max_length=36, index=True)
    person_id: str = Field(max_length=36, index=True)
    agency_id: str = Field(max_length=64, index=True)
    agency_type: str = Field(max_length=32)
    state: str = Field(max_length=20)
    accepted_and_open: bool = False
    ended: bool = False
    updated_at: datetime = Field(sa_type=UTCDateTime)


class ClosureRequestRow(SQLModel, table=True):
    __tablename__ = "intake_closure_requests"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    case_id: str = Field(foreign_key="intake_cases.id", index=True, max_length=36)
    reason: str = Field(max_length=40)
    status: str = Field(max_length=16)
    requested_at: datetime = Field(sa_type=UTCDateTime)
    requested_by: str = Field(max_length=300)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decided_by: str | None = Field(default=None, max_length=300)
    decision_reason: str | None = Field(default=None, max_length=40)
