"""Onward referrals suggested by a partner: who may suggest, and what may be decided when.

A partner suggests only while it serves the person (its referral accepted and not ended);
the coordinator of the case's municipality turns an open suggestion into a draft referral or
declines it with a reason the partner sees. Reasons are codes: free text stays in the note.
"""

from __future__ import annotations

from enum import StrEnum

from homeward.common.contracts.referrals import SERVING_STATES, ReferralState
from homeward.referrals.domain.errors import RuleViolation, StateConflict


class SuggestionStatus(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class SuggestionReason(StrEnum):
    """Why the partner suggests it."""

    NEED_OBSERVED = "need-observed"
    PERSON_ASKED = "person-asked"
    GUARDIAN_ASKED = "guardian-asked"
    RISK_OBSERVED = "risk-observed"
    OUR_SERVICE_ENDING = "our-service-ending"
    OTHER = "other"


class SuggestionDeclineReason(StrEnum):
    """Why the coordinator does not refer, as the partner will read it."""

    ALREADY_REFERRED = "already-referred"
    NOT_NEEDED_NOW = "not-needed-now"
    SEQUENCING = "sequencing"
    NO_AGENCY_AVAILABLE = "no-agency-available"
    NO_CONSENT = "no-consent"
    OTHER = "other"


def check_may_suggest(
    *, referral_state: ReferralState, referral_category: str, suggested_category: str
) -> None:
    if referral_state not in SERVING_STATES:
        raise StateConflict(
            "suggest onward referrals while you serve the person: after accepting the "
            "referral and before it ends"
        )
    if suggested_category == referral_category:
        raise RuleViolation("your agency already provides this service; suggest another one")


def check_open(status: SuggestionStatus) -> None:
    if status is not SuggestionStatus.OPEN:
        raise StateConflict(
            f"this suggestion is already {status.value}; only open ones are decided"
        )
