"""The referral lifecycle: FHIR closed-loop referral Task states (DESIGN.md, "Referral lifecycle").

    draft -> requested -> accepted -> in-progress <-> on-hold
                 |            |            |-> completed | failed | cancelled
                 |            |-> completed | failed | cancelled | on-hold
                 |-> rejected | cancelled
    any -> entered-in-error (requester only)

The requester (coordinator) sends, cancels and marks entered-in-error; the receiving agency
does everything else. The system acts for the requester when a blocked referral whose sending
was asked for is unblocked, and for the agency when revoked consent puts a referral on hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from homeward.referrals.domain.errors import RuleViolation, TransitionNotAllowed


class ReferralState(StrEnum):
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


class Action(StrEnum):
    SEND = "send"
    CANCEL = "cancel"
    MARK_ENTERED_IN_ERROR = "entered-in-error"
    ACCEPT = "accept"
    REJECT = "reject"
    START = "start"
    HOLD = "hold"
    RESUME = "resume"
    COMPLETE = "complete"
    FAIL = "fail"


class Side(StrEnum):
    REQUESTER = "requester"
    RECEIVER = "receiver"


class ReasonCode(StrEnum):
    """Why a referral was rejected, cancelled, held or failed: codes, so events carry no prose."""

    NO_CAPACITY = "no-capacity"
    NOT_ELIGIBLE = "not-eligible"
    PERSON_DECLINED = "person-declined"
    PERSON_UNREACHABLE = "person-unreachable"
    PERSON_MOVED = "person-moved"
    DUPLICATE = "duplicate"
    NEEDS_CHANGED = "needs-changed"
    SERVICE_UNAVAILABLE = "service-unavailable"
    SAFETY_CONCERN = "safety-concern"
    CONSENT_REVOKED = "consent-revoked"
    OTHER = "other"


class Outcome(StrEnum):
    ACHIEVED = "achieved"
    PARTLY_ACHIEVED = "partly-achieved"
    NOT_ACHIEVED = "not-achieved"


S = ReferralState
TERMINAL = frozenset({S.REJECTED, S.COMPLETED, S.FAILED, S.CANCELLED, S.ENTERED_IN_ERROR})
# Open: the referral still asks something of someone (deadlines, transfers, consent).
OPEN = frozenset(set(S) - TERMINAL)

ACTION_SIDE: dict[Action, Side] = {
    Action.SEND: Side.REQUESTER,
    Action.CANCEL: Side.REQUESTER,
    Action.MARK_ENTERED_IN_ERROR: Side.REQUESTER,
    **{
        action: Side.RECEIVER
        for action in (
            Action.ACCEPT, Action.REJECT, Action.START, Action.HOLD,
            Action.RESUME, Action.COMPLETE, Action.FAIL,
        )
    },
}  # fmt: skip

TRANSITIONS: dict[tuple[ReferralState, Action], ReferralState] = {
    (S.DRAFT, Action.SEND): S.REQUESTED,
    (S.REQUESTED, Action.ACCEPT): S.ACCEPTED,
    (S.REQUESTED, Action.REJECT): S.REJECTED,
    (S.REQUESTED, Action.CANCEL): S.CANCELLED,
    (S.ACCEPTED, Action.START): S.IN_PROGRESS,
    (S.ACCEPTED, Action.COMPLETE): S.COMPLETED,
    (S.ACCEPTED, Action.FAIL): S.FAILED,
    (S.ACCEPTED, Action.CANCEL): S.CANCELLED,
    (S.ACCEPTED, Action.HOLD): S.ON_HOLD,
    (S.IN_PROGRESS, Action.HOLD): S.ON_HOLD,
    (S.IN_PROGRESS, Action.COMPLETE): S.COMPLETED,
    (S.IN_PROGRESS, Action.FAIL): S.FAILED,
    (S.IN_PROGRESS, Action.CANCEL): S.CANCELLED,
    (S.ON_HOLD, Action.RESUME): S.IN_PROGRESS,
    **{(state, Action.MARK_ENTERED_IN_ERROR): S.ENTERED_IN_ERROR
       for state in S if state is not S.ENTERED_IN_ERROR},
}  # fmt: skip

# What moves work forward for the person: not while a gate blocks the referral.
WORK_ACTIONS = frozenset({Action.ACCEPT, Action.START, Action.RESUME})
REASON_REQUIRED = frozenset({Action.REJECT, Action.CANCEL, Action.HOLD, Action.FAIL})


@dataclass(frozen=True, kw_only=True)
class Transition:
    action: Action
    from_state: ReferralState
    to_state: ReferralState
    reason: ReasonCode | None
    outcome: Outcome | None


def allowed_next_states(state: ReferralState) -> list[ReferralState]:
    return sorted({to for (frm, _), to in TRANSITIONS.items() if frm is state})


def allowed_actions(state: ReferralState) -> list[Action]:
    return sorted(action for (frm, action) in TRANSITIONS if frm is state)


def transition(
    *,
    state: ReferralState,
    action: Action,
    reason: ReasonCode | None = None,
    outcome: Outcome | None = None,
    blocked: bool = False,
) -> Transition:
    """The transition `action` makes from `state`, or why it may not happen.

    A blocked referral (waiting for consent or documents) can still be closed or put aside,
    but the agency cannot accept, start or resume work on it until the gate clears.
    """
    to_state = TRANSITIONS.get((state, action))
    if to_state is None:
        allowed = [s.value for s in allowed_next_states(state)]
        raise TransitionNotAllowed(
            f"a referral in state {state.value} cannot be {_past(action)}",
            allowed_next_states=allowed,
        )
    if blocked and action in WORK_ACTIONS:
        allowed = sorted(
            {to.value for (frm, act), to in TRANSITIONS.items()
             if frm is state and act not in WORK_ACTIONS}
        )  # fmt: skip
        raise TransitionNotAllowed(
            f"this referral is blocked (consent or documents) and cannot be {_past(action)} yet",
            allowed_next_states=allowed,
        )
    if action in REASON_REQUIRED and reason is None:
        raise RuleViolation(f"a reason code is required to {action.value} a referral")
    if action is Action.COMPLETE and outcome is None:
        raise RuleViolation("an outcome (achieved, partly-achieved, not-achieved) is required")
    if action is not Action.COMPLETE and outcome is not None:
        raise RuleViolation("an outcome is given only when completing a referral")
    return Transition(
        action=action, from_state=state, to_state=to_state, reason=reason, outcome=outcome
    )


def _past(action: Action) -> str:
    return {
        Action.SEND: "sent", Action.CANCEL: "cancelled",
        Action.MARK_ENTERED_IN_ERROR: "marked entered-in-error", Action.ACCEPT: "accepted",
        Action.REJECT: "rejected", Action.START: "started", Action.HOLD: "put on hold",
        Action.RESUME: "resumed", Action.COMPLETE: "completed", Action.FAIL: "failed",
    }[action]  # fmt: skip
