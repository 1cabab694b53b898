"""Applying the consent and documents gates to stored referrals, from requests and events.

`refresh_gates` is the one place a referral becomes blocked or unblocked: it recomputes both
gates from the read models, stages Blocked/Unblocked events for what changed, and sends a
referral whose sending was asked for once nothing blocks it any more.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from homeward.common.contracts.referrals import ReferralBlocked, ReferralUnblocked
from homeward.referrals.adapters.tables import KnownConsent, KnownReadiness, ReferralRow
from homeward.referrals.domain.gates import (
    ConsentFact,
    Readiness,
    missing_consent,
    missing_documents,
)
from homeward.referrals.domain.lifecycle import OPEN, Action, ReferralState, transition
from homeward.referrals.handlers.publishing import (
    SYSTEM_ACTOR,
    apply_transition,
    facts,
    publish,
    record_history,
)
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


async def evaluate_gates(session: AsyncSession, referral: ReferralRow, *, now: datetime) -> None:
    """Recompute what blocks the referral from the read models (no events)."""
    consents = await consents_of(session, person_id=referral.person_id)
    referral.missing_consent = missing_consent(
        disclose=referral.disclose, consents=consents, agency_type=referral.agency_type,
        today=now.date(),
    )  # fmt: skip
    readiness = await readiness_of(session, person_id=referral.person_id)
    referral.missing_documents = missing_documents(
        readiness=readiness, service_category=referral.service_category
    )


def stage_blocked_events(referral: ReferralRow, session: AsyncSession, gates: list[str], *,
                         now: datetime) -> None:  # fmt: skip
    for gate in gates:
        publish(session, referral, ReferralBlocked(
            **facts(referral), blocked_on=gate,
            missing_documents=referral.missing_documents if gate == "documents" else [],
            missing_consent_categories=referral.missing_consent if gate == "consent" else [],
            blocked_at=now,
        ))  # fmt: skip


async def refresh_gates(
    session: AsyncSession,
    referral: ReferralRow,
    *,
    settings: ReferralsSettings,
    now: datetime,
    actor: str = SYSTEM_ACTOR,
) -> None:
    before = set(referral.blocked_on)
    await evaluate_gates(session, referral, now=now)
    after = set(referral.blocked_on)
    session.add(referral)
    if newly := sorted(after - before):
        stage_blocked_events(referral, session, newly, now=now)
        record_history(session, referral, at=now, actor=actor, action="blocked",
                       from_state=referral.state, reason_code="+".join(newly))  # fmt: skip
    await release_if_clear(session, referral, was_blocked=bool(before), settings=settings,
                           now=now, actor=actor)  # fmt: skip


async def release_if_clear(
    session: AsyncSession,
    referral: ReferralRow,
    *,
    was_blocked: bool,
    settings: ReferralsSettings,
    now: datetime,
    actor: str,
) -> None:
    """Announce the end of a block and send the referral if its sending was asked for."""
    if referral.blocked_on:
        return
    if was_blocked:
        publish(session, referral, ReferralUnblocked(**facts(referral), unblocked_at=now))
        record_history(session, referral, at=now, actor=actor, action="unblocked",
                       from_state=referral.state)  # fmt: skip
    if referral.send_requested and referral.state == ReferralState.DRAFT.value:
        # The coordinator already asked to send it: the referral proceeds on its own.
        change = transition(state=ReferralState.DRAFT, action=Action.SEND)
        apply_transition(session, referral, change, actor=actor, note=None, settings=settings,
                         now=now)  # fmt: skip


async def open_referrals_of_person(
    session: AsyncSession, *, person_id: str, agency_type: str | None = None
) -> list[ReferralRow]:
    query = (
        select(ReferralRow)
        .where(ReferralRow.person_id == person_id)
        .where(col(ReferralRow.state).in_([s.value for s in OPEN]))
        .order_by(col(ReferralRow.created_at))
    )
    if agency_type is not None:
        query = query.where(ReferralRow.agency_type == agency_type)
    return list((await session.exec(query)).all())
