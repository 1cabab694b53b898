"""The suggestion rules as plain Python: who may suggest when, and what may be decided."""

from __future__ import annotations

import pytest

from homeward.referrals.domain.errors import RuleViolation, StateConflict
from homeward.referrals.domain.lifecycle import ReferralState
from homeward.referrals.domain.suggestions import SuggestionStatus, check_may_suggest, check_open


@pytest.mark.parametrize("state", list(ReferralState))
def test_only_a_serving_agency_may_suggest(state: ReferralState) -> None:
    serving = state in {ReferralState.ACCEPTED, ReferralState.IN_PROGRESS, ReferralState.ON_HOLD}
    if serving:
        check_may_suggest(referral_state=state, referral_category="school-enrolment",
                          suggested_category="mental-health")  # fmt: skip
    else:
        with pytest.raises(StateConflict, match="while you serve the person"):
            check_may_suggest(referral_state=state, referral_category="school-enrolment",
                              suggested_category="mental-health")  # fmt: skip


def test_a_suggestion_names_another_service() -> None:
    with pytest.raises(RuleViolation, match="already provides"):
        check_may_suggest(
            referral_state=ReferralState.ACCEPTED,
            referral_category="mental-health",
            suggested_category="mental-health",
        )


def test_only_open_suggestions_are_decided() -> None:
    check_open(SuggestionStatus.OPEN)
    for status in (SuggestionStatus.ACCEPTED, SuggestionStatus.DECLINED):
        with pytest.raises(StateConflict, match=status.value):
            check_open(status)
