"""Events of onward-referral suggestions, on `homeward.referrals.referrals`, keyed by case id.

A partner serving a person suggested another service; the coordinator accepted it (a draft
referral exists) or declined it. Ids, codes and dates only: the partner's note stays in the
referrals database. The suggesting agency and the drafted referral have their own field
names: a consumer that learns "which agency holds which referral" from `agency_id` and
`referral_id` must not mistake the suggester for the draft's recipient.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import Field

from homeward.common.contracts.referrals import REFERRALS_TOPIC
from homeward.common.events.contracts import EventContract, event_contract


class SuggestionFacts(EventContract):
    """Who suggested what for whom: the fields every suggestion event carries."""

    suggestion_id: UUID
    case_id: UUID
    case_code: str
    municipality: str
    person_id: UUID
    person_code: str
    suggesting_agency_id: str
    suggesting_agency_type: str
    service_category: str = Field(description="the service suggested")
    reason_code: str = Field(description="need-observed | person-asked | ...")


@event_contract("homeward.suggestion.made.v1", topic=REFERRALS_TOPIC)
class SuggestionMade(SuggestionFacts):
    """For the coordinators of `municipality`: an onward referral to consider."""

    suggested_at: datetime


@event_contract("homeward.suggestion.accepted.v1", topic=REFERRALS_TOPIC)
class SuggestionAccepted(SuggestionFacts):
    """For the suggesting agency: the coordinator drafted a referral from it."""

    drafted_referral_id: UUID
    accepted_at: datetime


@event_contract("homeward.suggestion.declined.v1", topic=REFERRALS_TOPIC)
class SuggestionDeclined(SuggestionFacts):
    """For the suggesting agency: the coordinator declined, for `decline_reason`."""

    decline_reason: str = Field(description="already-referred | not-needed-now | ...")
    declined_at: datetime
