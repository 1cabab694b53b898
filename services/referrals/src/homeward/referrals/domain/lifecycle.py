"""The referral lifecycle: the SDOHCC closed-loop referral Task state machine.

HL7 SDOH Clinical Care, profile SDOHCC TaskForReferralManagement, "Status Management": its
state diagram (ReferralTaskStateDiagram.svg in HL7/fhir-sdoh-clinicalcare) and table of who
sets each status. Where DESIGN.md differed, the guide wins:

    draft -> requested | entered-in-error            (entered-in-error from draft only)
    requested -> accepted | rejected | cancelled
    accepted -> in-progress | on-hold | completed | failed | cancelled
    in-progress -> on-hold | completed | failed | cancelled
    on-hold -> in-progress | completed | failed | cancelled

`requested -> cancelled` is not drawn in the SDOHCC diagram but is in the base FHIR R4 Task
state machine (the requester withdraws a request nobody has answered); we keep it so that a
coordinator is never stuck waiting for a rejection.

Set by (the guide's table): the requester (coordinator) drafts, sends and marks
entered-in-error; the responder (receiving agency) accepts, rejects, starts, holds, resumes,
completes and fails; either may cancel. The system acts for the requester when a blocked
referral whose sending was asked for is unblocked, and for the agency when revoked consent
puts a referral on hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from homeward.common.contracts.referrals import OPEN_STATES, TERMINAL_STATES, ReferralState
from homeward.referrals.domain.errors import RuleViolation, TransitionNotAllowed


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


# The states themselves, and which are open and terminal, are the shared contracts' (one
# definition for every service); the lifecycle here says how a referral moves between them.
S = ReferralState
TERMINAL = TERMINAL_STATES
OPEN = OPEN_STATES

REQUESTER, RECEIVER = frozenset({Side.REQUESTER}), frozenset({Side.RECEIVER})
# Who may take each action (the guide's "Set By" column).
ACTION_SIDES: dict[Action, frozenset[Side]] = {
    Action.SEND: REQUESTER,
    Action.MARK_ENTERED_IN_ERROR: REQUESTER,
    Action.CANCEL: REQUESTER | RECEIVER,
    **{
        action: RECEIVER
        for action in (
            Action.ACCEPT, Action.REJECT, Action.START, Action.HOLD,
            Action.RESUME, Action.COMPLETE, Action.FAIL,
        )
    },
}  # fmt: skip

TRANSITIONS: dict[tuple[ReferralState, Action], ReferralState] = {
    (S.DRAFT, Action.SEND): S.REQUESTED,
    (S.DRAFT, Action.MARK_ENTERED_IN_ERROR): S.ENTERED_IN_ERROR,
    (S.REQUESTED, Action.ACCEPT): S.ACCEPTED,
    (S.REQUESTED, Action.REJECT): S.REJECTED,
    (S.REQUESTED, Action.CANCEL): S.CANCELLED,
    **{
        (state, action): to
        for state in (S.ACCEPTED, S.IN_PROGRESS, S.ON_HOLD)
        for action, to in (
            (Action.COMPLETE, S.COMPLETED), (Action.FAIL, S.FAILED),
            (Action.CANCEL, S.CANCELLED),
        )
    },
    (S.ACCEPTED, Action.START): S.IN_PROGRESS,
    (S.ACCEPTED, Action.HOLD): S.ON_HOLD,
    (S.IN_PROGRESS, Action.HOLD): S.ON_HOLD,
    (S.ON_HOLD, Action.RESUME): S.IN_PROGRESS,
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
