"""What intake learns from referrals' events: which agency holds which person's referral.

Need-to-know identity rests on it: an agency whose referral for a person was accepted and has
not ended may reveal that person's name (if consent covers `identity`). Each handler runs in
the consumer's transaction with the inbox row, so a redelivered event changes nothing; and an
ended referral stays ended, since a replayed older event must not reopen an agency's access.
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from homeward.common.contracts.referrals import (
    SERVING_STATES,
    TERMINAL_STATES,
    ReferralAccepted,
    ReferralCancelled,
    ReferralCompleted,
    ReferralConsentOverridden,
    ReferralCreated,
    ReferralEnteredInError,
    ReferralFacts,
    ReferralFailed,
    ReferralHeld,
    ReferralOverdue,
    ReferralReassigned,
    ReferralRejected,
    ReferralResumed,
    ReferralSent,
    ReferralStarted,
)
from homeward.common.db import utcnow
from homeward.common.events import CloudEvent, HandlerMap
from homeward.intake.adapters.tables import AgencyReferralRow

# Every lifecycle event: each reports the state the referral reached.
CONSUMED: tuple[type[ReferralFacts], ...] = (
    ReferralCreated,
    ReferralSent,
    ReferralAccepted,
    ReferralStarted,
    ReferralHeld,
    ReferralResumed,
    ReferralOverdue,
    ReferralConsentOverridden,
    ReferralReassigned,
    ReferralRejected,
    ReferralCompleted,
    ReferralFailed,
    ReferralCancelled,
    ReferralEnteredInError,
)


async def on_referral_moved(session: AsyncSession, event: ReferralFacts) -> None:
    """Remember the referral's state and whether it gives its agency need-to-know access."""
    referral_id = str(event.referral_id)
    row = await session.get(AgencyReferralRow, referral_id)
    if row is None:
        row = AgencyReferralRow(
            referral_id=referral_id,
            case_id=str(event.case_id),
            person_id=str(event.person_id),
            agency_id=event.agency_id,
            agency_type=event.agency_type,
            state=event.state,
            updated_at=utcnow(),
        )
    elif row.ended:
        return
    row.state = event.state
    row.ended = event.state in TERMINAL_STATES
    row.accepted_and_open = event.state in SERVING_STATES
    row.updated_at = utcnow()
    session.add(row)


def referral_event_handlers() -> HandlerMap:
    """The consumer's handlers, by contract class."""

    async def referral_moved(session: AsyncSession, event: ReferralFacts, _: CloudEvent) -> None:
        await on_referral_moved(session, event)

    return dict.fromkeys(CONSUMED, referral_moved)
