"""The referral state machine, every (state, action) pair: legal ones move, others are 409.

The table is the HL7 SDOHCC TaskForReferralManagement state diagram, written out here
independently of the module's table (plus requested -> cancelled from base FHIR Task)."""

from __future__ import annotations

import itertools

import pytest

from homeward.referrals.domain.errors import RuleViolation, TransitionNotAllowed
from homeward.referrals.domain.lifecycle import (
    ACTION_SIDES,
    Action,
    Outcome,
    ReasonCode,
    ReferralState,
    Side,
    allowed_next_states,
    transition,
)

S, A = ReferralState, Action
LEGAL = {
    (S.DRAFT, A.SEND): S.REQUESTED,
    (S.DRAFT, A.MARK_ENTERED_IN_ERROR): S.ENTERED_IN_ERROR,
    (S.REQUESTED, A.ACCEPT): S.ACCEPTED,
    (S.REQUESTED, A.REJECT): S.REJECTED,
    (S.REQUESTED, A.CANCEL): S.CANCELLED,
    (S.ACCEPTED, A.START): S.IN_PROGRESS,
    (S.ACCEPTED, A.COMPLETE): S.COMPLETED,
    (S.ACCEPTED, A.FAIL): S.FAILED,
    (S.ACCEPTED, A.CANCEL): S.CANCELLED,
    (S.ACCEPTED, A.HOLD): S.ON_HOLD,
    (S.IN_PROGRESS, A.HOLD): S.ON_HOLD,
    (S.IN_PROGRESS, A.COMPLETE): S.COMPLETED,
    (S.IN_PROGRESS, A.FAIL): S.FAILED,
    (S.IN_PROGRESS, A.CANCEL): S.CANCELLED,
    (S.ON_HOLD, A.RESUME): S.IN_PROGRESS,
    (S.ON_HOLD, A.COMPLETE): S.COMPLETED,
    (S.ON_HOLD, A.FAIL): S.FAILED,
    (S.ON_HOLD, A.CANCEL): S.CANCELLED,
}


def _arguments(action: Action) -> dict[str, object]:
    if action is A.COMPLETE:
        return {"outcome": Outcome.ACHIEVED}
    if action in (A.REJECT, A.CANCEL, A.HOLD, A.FAIL):
        return {"reason": ReasonCode.OTHER}
    return {}


@pytest.mark.parametrize(("state", "action"), list(itertools.product(S, A)))
def test_every_state_and_action(state: ReferralState, action: Action) -> None:
    if (state, action) in LEGAL:
        change = transition(state=state, action=action, **_arguments(action))
        assert change.to_state is LEGAL[(state, action)]
        assert change.from_state is state
    else:
        with pytest.raises(TransitionNotAllowed) as refused:
            transition(state=state, action=action, **_arguments(action))
        expected = sorted({to.value for (frm, _), to in LEGAL.items() if frm is state})
        assert refused.value.allowed_next_states == expected


@pytest.mark.parametrize("action", [A.REJECT, A.CANCEL, A.HOLD, A.FAIL])
def test_reason_required(action: Action) -> None:
    state = next(frm for (frm, act) in LEGAL if act is action)
    with pytest.raises(RuleViolation, match="reason"):
        transition(state=state, action=action)


def test_outcome_required_for_completion_only() -> None:
    with pytest.raises(RuleViolation, match="outcome"):
        transition(state=S.IN_PROGRESS, action=A.COMPLETE)
    with pytest.raises(RuleViolation, match="outcome"):
        transition(state=S.ACCEPTED, action=A.START, outcome=Outcome.ACHIEVED)


@pytest.mark.parametrize(
    ("state", "action"), [(S.REQUESTED, A.ACCEPT), (S.ACCEPTED, A.START), (S.ON_HOLD, A.RESUME)]
)
def test_blocked_referral_cannot_move_work_forward(state: ReferralState, action: Action) -> None:
    with pytest.raises(TransitionNotAllowed) as refused:
        transition(state=state, action=action, blocked=True)
    assert LEGAL[(state, action)].value not in refused.value.allowed_next_states
    if state is not S.REQUESTED:
        transition(state=state, action=A.COMPLETE, outcome=Outcome.ACHIEVED, blocked=True)


def test_sides_follow_the_guides_set_by_column() -> None:
    requester = {a for a, sides in ACTION_SIDES.items() if Side.REQUESTER in sides}
    receiver = {a for a, sides in ACTION_SIDES.items() if Side.RECEIVER in sides}
    assert requester == {A.SEND, A.CANCEL, A.MARK_ENTERED_IN_ERROR}
    assert receiver == set(A) - {A.SEND, A.MARK_ENTERED_IN_ERROR}
    assert set(ACTION_SIDES) == set(A)


def test_entered_in_error_only_from_draft_and_terminal_states_are_final() -> None:
    assert S.ENTERED_IN_ERROR in allowed_next_states(S.DRAFT)
    for state in set(S) - {S.DRAFT}:
        assert S.ENTERED_IN_ERROR not in allowed_next_states(state)
    for state in (S.REJECTED, S.COMPLETED, S.FAILED, S.CANCELLED, S.ENTERED_IN_ERROR):
        assert allowed_next_states(state) == []


def test_on_hold_may_end_every_way() -> None:
    assert allowed_next_states(S.ON_HOLD) == sorted(
        [S.IN_PROGRESS, S.COMPLETED, S.FAILED, S.CANCELLED]
    )
