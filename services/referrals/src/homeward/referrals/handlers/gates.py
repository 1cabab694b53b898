"""The consent and documents gates of stored referrals, from the read models.

`current_gates` answers what blocks a referral now; `refresh_gates` hands that to the
aggregate (which decides the Blocked/Unblocked events and a waiting send) and saves it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from homeward.referrals.adapters.repository import load_referral, save
from homeward.referrals.adapters.tables import (
    KnownConsent,
    KnownPerson,
    KnownReadiness,
    ReferralRow,
)
from homeward.referrals.domain.gates import (
    ConsentFact,
    Readiness,
    missing_consent,
    missing_documents,
)
from homeward.referrals.domain.lifecycle import OPEN
from homeward.referrals.settings import ReferralsSettings


async def consents_of(session: AsyncSession, *, person_id: str) -> list[ConsentFact]:
    rows = await session.exec(select(KnownConsent).where(KnownConsent.person_id == person_id))
    return [
        ConsentFact(
            recipient_agency_type=row.recipient_agency_type,
            categories=frozenset(row.categories),
            valid_from=row.valid_from,
            valid_until=row.valid_until,
            revoked_at=row.revoked_at,
        )
        for row in rows.all()
    ]


async def readiness_of(session: AsyncSession, *, person_id: str) -> Readiness | None:
    row = await session.get(KnownReadiness, person_id)
    if row is None:
        return None
    return Readiness(ready_categories=frozenset(row.ready_categories), missing=row.missing)


async def current_gates(
    session: AsyncSession,
    *,
    person_id: str,
    agency_type: str,
    disclose: list[str],
    service_category: str,
    now: datetime,
) -> dict[str, list]:
    """What the read models say blocks such a referral: the aggregate's gate arguments."""
    consents = await consents_of(session, person_id=person_id)
    readiness = await readiness_of(session, person_id=person_id)
    return {
        "missing_consent": missing_consent(
            disclose=disclose, consents=consents, agency_type=agency_type, today=now.date()
        ),
        "missing_documents": missing_documents(
            readiness=readiness, service_category=service_category
        ),
    }


async def gates_of(session: AsyncSession, row: ReferralRow, *, now: datetime) -> dict[str, list]:
    return await current_gates(
        session, person_id=row.person_id, agency_type=row.agency_type, disclose=row.disclose,
        service_category=row.service_category, now=now,
    )  # fmt: skip


async def refresh_gates(
    session: AsyncSession, row: ReferralRow, *, settings: ReferralsSettings, now: datetime
) -> None:
    referral = await load_referral(session, row, settings=settings)
    events = referral.update_gates(**await gates_of(session, row, now=now), now=now)
    await save(session, referral, events, row=row)


async def lock_person(session: AsyncSession, *, person_id: str) -> None:
    """Take the person's row lock (a write: SQLite's write lock, PostgreSQL's row lock) until
    the transaction ends. Creating a referral reads the person's consents and readiness, and
    their changes re-gate the person's open referrals: without a lock both can commit at
    once, each missing the other (write skew), and the referral is never gated. With it,
    whichever comes second sees what the first committed."""
    await session.exec(
        update(KnownPerson)  # type: ignore[call-overload]
        .where(col(KnownPerson.person_id) == person_id)
        .values(person_id=person_id)
    )


async def open_referrals_of_person(
    session: AsyncSession, *, person_id: str, agency_type: str | None = None
) -> list[ReferralRow]:
    """The person's open referrals, the person locked (`lock_person`) so that a referral
    being created meanwhile is either among them or gated by what this transaction wrote."""
    await lock_person(session, person_id=person_id)
    query = (
        select(ReferralRow)
        .where(ReferralRow.person_id == person_id)
        .where(col(ReferralRow.state).in_([s.value for s in OPEN]))
        .order_by(col(ReferralRow.created_at))
    )
    if agency_type is not None:
        query = query.where(ReferralRow.agency_type == agency_type)
    return list((await session.exec(query)).all())
