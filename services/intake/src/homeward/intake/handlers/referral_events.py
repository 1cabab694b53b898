"""What intake learns from referrals' events: which agency holds which person's referral.

Need-to-know identity rests on it: an agency whose referral for a person was accepted and has
not ended may reveal that person's name (if consent covers `identity`). Each handler runs in
the consumer's transaction with the inbox row, so a redelivered event changes nothing; and an
ended referral stays ended, since a replayed older event must not reopen an agency's access.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlmodel.ext.asyncio.session import AsyncSession

from homeward.common.contracts.referrals import (
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
from homeward.common.events import CloudEvent, EventContract, Handler
from homeward.intake.adapters.tables import AgencyReferralRow

# The states after the agency accepted and before the referral ended, and the ended ones.
# TODO(lead, at merge with `lifecycle`): use the shared open/terminal/in-the-agency's-hands
# definitions of homeward.common.contracts.referrals instead of these two local sets.
ACCEPTED_AND_OPEN_STATES = frozenset({"accepted", "in-progress", "on-hold"})
ENDED_STATES = frozenset({"rejected", "completed", "failed", "cancelled", "entered-in-error"})

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
    row.ended = event.state in ENDED_STATES
    row.accepted_and_open = event.state in ACCEPTED_AND_OPEN_STATES
    row.updated_at = utcnow()
    session.add(row)


def referral_event_handlers() -> Mapping[str, Handler]:
    """The consumer's handlers by event type (typed functions behind one adapter)."""

    async def referral_moved(session: AsyncSession, event: EventContract, _: CloudEvent) -> None:
        assert isinstance(event, ReferralFacts)
        await on_referral_moved(session, event)

    return {contract.event_type: referral_moved for contract in CONSUMED}
