"""Events the referrals service publishes on `homeward.referrals.referrals`, keyed by case id.

Ids, codes, agency, service category, states, reasons as codes and dates; never a free-text
reason or note.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal
from uuid import UUID

from pydantic import Field

from homeward.common.events.contracts import EventContract, event_contract

REFERRALS_TOPIC = "homeward.referrals.referrals"


class ReferralState(StrEnum):
    """The FHIR closed-loop referral Task states (SDOHCC TaskForReferralManagement)."""

    DRAFT = "draft"
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    IN_PROGRESS = "in-progress"
    ON_HOLD = "on-hold"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    ENTERED_IN_ERROR = "entered-in-error"


# The one definition every service decides by (referrals' lifecycle, documents' readiness
# view, notifications' audiences). Terminal: the referral has ended and never moves again.
TERMINAL_STATES = frozenset(
    {
        ReferralState.REJECTED,
        ReferralState.COMPLETED,
        ReferralState.FAILED,
        ReferralState.CANCELLED,
        ReferralState.ENTERED_IN_ERROR,
    }
)
# Open: the referral still asks something of someone (deadlines, transfers, consent, gates).
OPEN_STATES = frozenset(set(ReferralState) - TERMINAL_STATES)
# In the agency's hands: sent and not ended. Only then may the receiving agency know of the
# referral at all (hear of it, read it, read the person's readiness); a draft is the
# municipality's working paper, and an ended referral is no longer the agency's business.
IN_AGENCY_HANDS = frozenset(OPEN_STATES - {ReferralState.DRAFT})
# Serving: in the agency's hands and accepted by it. Only an agency serving a person may learn
# who the person is (need-to-know identity, with consent) or suggest an onward referral.
SERVING_STATES = frozenset(IN_AGENCY_HANDS - {ReferralState.REQUESTED})


def in_agency_hands(state: str | None) -> bool:
    """Whether a referral in `state` (None: not known yet) is the receiving agency's to see."""
    return state in IN_AGENCY_HANDS


class ReferralRoute(EventContract):
    """Who is referred where, for what: the fields every referral event carries.

    Not registered itself; the events below add what happened, with its date and codes.
    """

    referral_id: UUID
    case_id: UUID
    case_code: str
    municipality: str
    person_id: UUID
    agency_id: str
    agency_type: str
    service_category: str


@event_contract("homeward.referral.blocked.v1", topic=REFERRALS_TOPIC)
class ReferralBlocked(ReferralRoute):
    """The referral waits for consent or for documents; documents raises a task on the latter."""

    blocked_on: Literal["consent", "documents"]
    missing_documents: list[list[str]] = Field(
        default_factory=list, description="unmet requirements, each a list of alternatives"
    )
    missing_consent_categories: list[str] = Field(default_factory=list)
    blocked_at: datetime


@event_contract("homeward.referral.unblocked.v1", topic=REFERRALS_TOPIC)
class ReferralUnblocked(ReferralRoute):
    unblocked_at: datetime


class ReferralFacts(ReferralRoute):
    """A lifecycle event's route plus the person's code, the priority and the state reached."""

    person_code: str
    priority: str
    state: ReferralState


@event_contract("homeward.referral.created.v1", topic=REFERRALS_TOPIC)
class ReferralCreated(ReferralFacts):
    disclosed_categories: list[str]
    blocked_on: list[Literal["consent", "documents"]] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list, description="warning codes, e.g. sequencing")
    created_at: datetime


@event_contract("homeward.referral.sent.v1", topic=REFERRALS_TOPIC)
class ReferralSent(ReferralFacts):
    acceptance_due_at: datetime
    sent_at: datetime


@event_contract("homeward.referral.accepted.v1", topic=REFERRALS_TOPIC)
class ReferralAccepted(ReferralFacts):
    completion_due_at: datetime
    accepted_at: datetime


@event_contract("homeward.referral.rejected.v1", topic=REFERRALS_TOPIC)
class ReferralRejected(ReferralFacts):
    reason_code: str
    rejected_at: datetime


@event_contract("homeward.referral.started.v1", topic=REFERRALS_TOPIC)
class ReferralStarted(ReferralFacts):
    started_at: datetime


@event_contract("homeward.referral.held.v1", topic=REFERRALS_TOPIC)
class ReferralHeld(ReferralFacts):
    reason_code: str
    held_at: datetime


@event_contract("homeward.referral.resumed.v1", topic=REFERRALS_TOPIC)
class ReferralResumed(ReferralFacts):
    resumed_at: datetime


@event_contract("homeward.referral.completed.v1", topic=REFERRALS_TOPIC)
class ReferralCompleted(ReferralFacts):
    outcome: Literal["achieved", "partly-achieved", "not-achieved"]
    completed_at: datetime


@event_contract("homeward.referral.failed.v1", topic=REFERRALS_TOPIC)
class ReferralFailed(ReferralFacts):
    reason_code: str
    failed_at: datetime


@event_contract("homeward.referral.cancelled.v1", topic=REFERRALS_TOPIC)
class ReferralCancelled(ReferralFacts):
    reason_code: str
    cancelled_at: datetime


@event_contract("homeward.referral.voided.v1", topic=REFERRALS_TOPIC)
class ReferralEnteredInError(ReferralFacts):
    """The requester marked the referral entered-in-error (FHIR); consumers disregard it.

    Named "voided" because event types must end in a past participle.
    """

    reason_code: str | None = None
    marked_at: datetime


@event_contract("homeward.referral.escalated.v1", topic=REFERRALS_TOPIC)
class ReferralOverdue(ReferralFacts):
    """Overdue, escalated: first to the case's coordinators, then to the supervisors.

    Typed "escalated" because event types must end in a past participle.
    """

    deadline: Literal["acceptance", "completion"]
    level: Literal["coordinator", "supervisor"]
    due_at: datetime
    detected_at: datetime


@event_contract("homeward.referral.consent_overridden.v1", topic=REFERRALS_TOPIC)
class ReferralConsentOverridden(ReferralFacts):
    """A supervisor lifted the consent block on a legal basis (the reason stays in the audit)."""

    legal_basis: str
    overridden_categories: list[str]
    overridden_at: datetime


@event_contract("homeward.referral.reassigned.v1", topic=REFERRALS_TOPIC)
class ReferralReassigned(ReferralFacts):
    """The case moved: the referral now belongs to `municipality`'s coordinators."""

    from_municipality: str
    reassigned_at: datetime
