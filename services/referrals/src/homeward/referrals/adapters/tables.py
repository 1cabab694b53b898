"""The referrals tables: the partner directory, referrals and their history, escalations, and
read models of what intake and documents announced (cases, persons, consents, readiness).

No identity is stored here: referrals only ever learnt pseudonymous codes from events. The
referral's short reason and transition notes are the only free text; they never leave this
database on the bus.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import uuid4

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from homeward.common.db import UTCDateTime


def new_id() -> str:
    return str(uuid4())


class AgencyRow(SQLModel, table=True):
    __tablename__ = "ref_agencies"

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    description: str | None = Field(default=None, max_length=1000)
    agency_type: str = Field(max_length=32, index=True)
    service_categories: list[str] = Field(sa_type=sa.JSON)
    municipalities: list[str] = Field(sa_type=sa.JSON)
    capacity: str = Field(max_length=16)
    active: bool = True
    website: str | None = Field(default=None, max_length=300)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    # Kept by the agency's own staff: ISO 639 codes, and [{"code": ..., "count": n}].
    languages: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    accreditations: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON)


class ReferralRow(SQLModel, table=True):
    __tablename__ = "ref_referrals"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    case_id: str = Field(max_length=36, index=True)
    case_code: str = Field(max_length=16)
    person_id: str = Field(max_length=36, index=True)
    person_code: str = Field(max_length=16)
    municipality: str = Field(max_length=100, index=True)
    agency_id: str = Field(max_length=64, index=True)
    agency_type: str = Field(max_length=32)
    service_category: str = Field(max_length=32)
    priority: str = Field(max_length=16)
    reason: str = Field(max_length=500)
    disclose: list[str] = Field(sa_type=sa.JSON)
    state: str = Field(max_length=20, index=True)
    send_requested: bool = False
    missing_consent: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    missing_documents: list[list[str]] = Field(default_factory=list, sa_type=sa.JSON)
    consent_override_basis: str | None = Field(default=None, max_length=32)
    warnings: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    outcome: str | None = Field(default=None, max_length=20)
    created_at: datetime = Field(sa_type=UTCDateTime)
    created_by: str = Field(max_length=300)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    accepted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ReferralHistoryRow(SQLModel, table=True):
    __tablename__ = "ref_referral_history"

    id: int | None = Field(default=None, primary_key=True)
    referral_id: str = Field(foreign_key="ref_referrals.id", index=True, max_length=36)
    at: datetime = Field(sa_type=UTCDateTime)
    actor: str = Field(max_length=300)
    action: str = Field(max_length=32)
    from_state: str | None = Field(default=None, max_length=20)
    to_state: str = Field(max_length=20)
    reason_code: str | None = Field(default=None, max_length=32)
    note: str | None = Field(default=None, max_length=1000)
    outcome: str | None = Field(default=None, max_length=20)


class EscalationRow(SQLModel, table=True):
    """One row per referral, deadline and level: the unique key is what makes the overdue
    check safe with several replicas (the second insert fails and its event rolls back)."""

    __tablename__ = "ref_escalations"
    __table_args__ = (sa.UniqueConstraint("referral_id", "deadline", "level"),)

    id: int | None = Field(default=None, primary_key=True)
    referral_id: str = Field(foreign_key="ref_referrals.id", max_length=36)
    deadline: str = Field(max_length=16)
    level: str = Field(max_length=16)
    escalated_at: datetime = Field(sa_type=UTCDateTime)


# --- read models, fed by intake and documents events --------------------------------------


class KnownCase(SQLModel, table=True):
    __tablename__ = "ref_known_cases"

    case_id: str = Field(primary_key=True, max_length=36)
    case_code: str = Field(max_length=16)
    municipality: str = Field(max_length=100, index=True)
    closed: bool = False
    identities_erased_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class KnownPerson(SQLModel, table=True):
    __tablename__ = "ref_known_persons"

    person_id: str = Field(primary_key=True, max_length=36)
    case_id: str = Field(max_length=36, index=True)
    person_code: str = Field(max_length=16)
    household_role: str = Field(max_length=32)
    age_group: str = Field(max_length=16)
    # Demographics, dropped when the case's identities are erased.
    birth_year: int | None = None
    sex: str | None = Field(default=None, max_length=16)
    need_levels: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)


class KnownConsent(SQLModel, table=True):
    __tablename__ = "ref_known_consents"

    consent_id: str = Field(primary_key=True, max_length=36)
    case_id: str = Field(max_length=36)
    person_id: str = Field(max_length=36, index=True)
    recipient_agency_type: str = Field(max_length=32)
    categories: list[str] = Field(sa_type=sa.JSON)
    legal_basis: str = Field(max_length=32)
    valid_from: date
    valid_until: date
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class KnownReadiness(SQLModel, table=True):
    __tablename__ = "ref_known_readiness"

    person_id: str = Field(primary_key=True, max_length=36)
    case_id: str = Field(max_length=36)
    ready_categories: list[str] = Field(sa_type=sa.JSON)
    missing: dict[str, Any] = Field(sa_type=sa.JSON)
    computed_at: datetime = Field(sa_type=UTCDateTime)


class SuggestionRow(SQLModel, table=True):
    """A partner's suggestion of another service for a person it serves. The note is the
    partner's free text for the coordinator: it stays in this database, never on the bus.
    Its municipality is the case's (KnownCase), so a suggestion follows a case that moves."""

    __tablename__ = "ref_suggestions"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    from_referral_id: str = Field(foreign_key="ref_referrals.id", max_length=36)
    case_id: str = Field(max_length=36)
    case_code: str = Field(max_length=16)
    person_id: str = Field(max_length=36, index=True)
    person_code: str = Field(max_length=16)
    agency_id: str = Field(max_length=64, index=True)
    agency_type: str = Field(max_length=32)
    service_category: str = Field(max_length=32)
    reason_code: str = Field(max_length=32)
    note: str | None = Field(default=None, max_length=1000)
    status: str = Field(max_length=16)
    suggested_at: datetime = Field(sa_type=UTCDateTime)
    suggested_by: str = Field(max_length=300)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decided_by: str | None = Field(default=None, max_length=300)
    decline_reason: str | None = Field(default=None, max_length=32)
    referral_id: str | None = Field(default=None, foreign_key="ref_referrals.id", max_length=36)
