"""The `Referral` aggregate: every action, the state and timestamps it leaves, the history it
writes and the events it returns. Plain Python, no I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from homeward.common.contracts import referrals as contracts
from homeward.referrals.domain.deadlines import DeadlineKind, EscalationLevel, Overdue
from homeward.referrals.domain.errors import RuleViolation, StateConflict, TransitionNotAllowed
from homeward.referrals.domain.lifecycle import Action, Outcome, ReasonCode, ReferralState
from homeward.referrals.domain.referral import SYSTEM_ACTOR, Deadlines, Referral

S, A = ReferralState, Action
T0 = datetime(2025, 6, 1, 9, tzinfo=UTC)
T1 = T0 + timedelta(hours=1)
DEADLINES = Deadlines(acceptance=timedelta(days=5), completion=timedelta(days=30))
COORDINATOR, AGENCY = "https://idp#coordinator", "https://idp#school"
CLEAR = {"missing_consent": [], "missing_documents": []}


def new(*, send: bool = True, **gates: list) -> tuple[Referral, list]:
    return Referral.create(
        id="00000000-0000-4000-8000-000000000001",
        case_id="00000000-0000-4000-8000-0000000000c1", case_code="HW-7KQ3-M9",
        person_id="00000000-0000-4000-8000-0000000000a1", person_code="P-4TXR-8N",
        municipality="riverton", agency_id="riverton-primary-school", agency_type="school",
        service_category="school-enrolment", priority="routine", reason="enrol the child",
        disclose=["education", "identity"], warnings=[], created_by=COORDINATOR,
        deadlines=DEADLINES, send=send, now=T0, **(CLEAR | gates),
    )  # fmt: skip


def types(events: list) -> list[type]:
    return [type(event) for event in events]


def in_state(state: ReferralState) -> Referral:
    """A referral driven to `state` by the receiving agency's actions."""
    referral, _ = new()
    path = {
        S.REQUESTED: [], S.ACCEPTED: [A.ACCEPT], S.IN_PROGRESS: [A.ACCEPT, A.START],
        S.ON_HOLD: [A.ACCEPT, A.START, A.HOLD],
    }[state]  # fmt: skip
    for action in path:
        referral.act(action, actor=AGENCY, now=T0, reason=ReasonCode.OTHER)
    referral.new_history.clear()
    return referral


def test_create_a_draft() -> None:
    referral, events = new(send=False)
    assert referral.state is S.DRAFT and referral.blocked_on == [] and not referral.send_requested
    assert types(events) == [contracts.ReferralCreated]
    assert events[0].state is S.DRAFT and events[0].disclosed_categories == [
        "education",
        "identity",
    ]
    assert [(h.action, h.from_state, h.to_state) for h in referral.new_history] == [
        ("create", None, "draft")
    ]


def test_create_and_send_at_once() -> None:
    referral, events = new()
    assert types(events) == [contracts.ReferralCreated, contracts.ReferralSent]
    assert referral.state is S.REQUESTED and referral.sent_at == T0
    assert events[1].acceptance_due_at == T0 + DEADLINES.acceptance
    assert [h.action for h in referral.new_history] == ["create", "send"]


def test_create_blocked_announces_each_gate_and_waits_to_send() -> None:
    referral, events = new(missing_consent=["identity"], missing_documents=[["passport"]])
    assert referral.state is S.DRAFT and referral.send_requested
    assert referral.blocked_on == ["consent", "documents"]
    assert types(events) == [contracts.ReferralCreated, *[contracts.ReferralBlocked] * 2]
    consent, documents = events[1], events[2]
    assert consent.blocked_on == "consent" and consent.missing_consent_categories == ["identity"]
    assert documents.blocked_on == "documents" and documents.missing_documents == [["passport"]]
    assert events[0].blocked_on == ["consent", "documents"]


def test_sending_a_blocked_draft_is_remembered_without_events() -> None:
    referral, _ = new(send=False, missing_documents=[["passport"]])
    assert referral.act(A.SEND, actor=COORDINATOR, now=T1) == []
    assert referral.send_requested and referral.state is S.DRAFT
    assert referral.new_history[-1].action == "send-requested"


@pytest.mark.parametrize(
    ("state", "action", "arguments", "event", "to"),
    [
        (S.REQUESTED, A.ACCEPT, {}, contracts.ReferralAccepted, S.ACCEPTED),
        (S.REQUESTED, A.REJECT, {"reason": ReasonCode.NO_CAPACITY}, contracts.ReferralRejected,
         S.REJECTED),
        (S.ACCEPTED, A.START, {}, contracts.ReferralStarted, S.IN_PROGRESS),
        (S.IN_PROGRESS, A.HOLD, {"reason": ReasonCode.OTHER}, contracts.ReferralHeld, S.ON_HOLD),
        (S.ON_HOLD, A.RESUME, {}, contracts.ReferralResumed, S.IN_PROGRESS),
        (S.IN_PROGRESS, A.COMPLETE, {"outcome": Outcome.ACHIEVED}, contracts.ReferralCompleted,
         S.COMPLETED),
        (S.ON_HOLD, A.COMPLETE, {"outcome": Outcome.NOT_ACHIEVED}, contracts.ReferralCompleted,
         S.COMPLETED),
        (S.ON_HOLD, A.FAIL, {"reason": ReasonCode.PERSON_MOVED}, contracts.ReferralFailed,
         S.FAILED),
        (S.ACCEPTED, A.CANCEL, {"reason": ReasonCode.DUPLICATE}, contracts.ReferralCancelled,
         S.CANCELLED),
        (S.ON_HOLD, A.CANCEL, {"reason": ReasonCode.DUPLICATE}, contracts.ReferralCancelled,
         S.CANCELLED),
    ],
)  # fmt: skip
def test_each_action_returns_its_event(state, action, arguments, event, to) -> None:
    referral = in_state(state)
    events = referral.act(action, actor=AGENCY, now=T1, note="for us only", **arguments)
    assert types(events) == [event]
    assert events[0].state is to and referral.state is to
    [line] = referral.new_history
    assert (line.action, line.from_state, line.to_state, line.note) == (
        action.value,
        state.value,
        to.value,
        "for us only",
    )
    if to in contracts.TERMINAL_STATES:
        assert referral.ended_at == T1
    else:
        assert referral.ended_at is None
    if "reason" in arguments:
        assert events[0].reason_code == arguments["reason"].value == line.reason_code


def test_timestamps_and_due_dates() -> None:
    referral = in_state(S.REQUESTED)
    [accepted] = referral.act(A.ACCEPT, actor=AGENCY, now=T1)
    assert referral.accepted_at == T1 and accepted.completion_due_at == T1 + DEADLINES.completion
    referral.act(A.START, actor=AGENCY, now=T1)
    referral.act(A.HOLD, actor=AGENCY, now=T1, reason=ReasonCode.OTHER)
    referral.act(A.RESUME, actor=AGENCY, now=T1 + timedelta(days=1))
    assert referral.started_at == T1  # the first start, not the resumption
    [completed] = referral.act(A.COMPLETE, actor=AGENCY, now=T1, outcome=Outcome.PARTLY_ACHIEVED)
    assert referral.outcome == completed.outcome == "partly-achieved"


def test_entered_in_error_from_a_draft_only() -> None:
    draft, _ = new(send=False)
    [voided] = draft.act(A.MARK_ENTERED_IN_ERROR, actor=COORDINATOR, now=T1)
    assert type(voided) is contracts.ReferralEnteredInError and draft.state is S.ENTERED_IN_ERROR
    assert draft.ended_at == T1
    sent = in_state(S.REQUESTED)
    with pytest.raises(TransitionNotAllowed) as refused:
        sent.act(A.MARK_ENTERED_IN_ERROR, actor=COORDINATOR, now=T1)
    assert refused.value.allowed_next_states == ["accepted", "cancelled", "rejected"]
    assert sent.new_history == []


def test_refusals_change_nothing() -> None:
    referral = in_state(S.REQUESTED)
    with pytest.raises(RuleViolation):
        referral.act(A.REJECT, actor=AGENCY, now=T1)  # no reason
    with pytest.raises(TransitionNotAllowed):
        referral.act(A.START, actor=AGENCY, now=T1)
    assert referral.state is S.REQUESTED and referral.new_history == []


def test_gates_block_then_unblock_and_send_what_was_waiting() -> None:
    referral, _ = new(missing_documents=[["passport"]])
    referral.new_history.clear()
    assert referral.update_gates(missing_consent=[], missing_documents=[["passport"]], now=T1) == []
    events = referral.update_gates(now=T1, **CLEAR)
    assert types(events) == [contracts.ReferralUnblocked, contracts.ReferralSent]
    assert referral.state is S.REQUESTED and referral.sent_at == T1
    assert [(h.action, h.actor) for h in referral.new_history] == [
        ("unblocked", SYSTEM_ACTOR),
        ("send", SYSTEM_ACTOR),
    ]
    [blocked] = referral.update_gates(missing_consent=["identity"], missing_documents=[], now=T1)
    assert type(blocked) is contracts.ReferralBlocked and blocked.blocked_on == "consent"
    assert referral.new_history[-1].action == "blocked"


def test_a_blocked_referral_cannot_be_accepted_but_can_be_cancelled() -> None:
    referral = in_state(S.REQUESTED)
    referral.update_gates(missing_consent=["identity"], missing_documents=[], now=T1)
    with pytest.raises(TransitionNotAllowed):
        referral.act(A.ACCEPT, actor=AGENCY, now=T1)
    assert types(referral.act(A.CANCEL, actor=AGENCY, now=T1, reason=ReasonCode.OTHER)) == [
        contracts.ReferralCancelled
    ]


def test_consent_override_lifts_the_block_and_sends() -> None:
    referral, _ = new(missing_consent=["identity"])
    events = referral.override_consent(legal_basis="child-protection", reason="court order",
                                       actor="https://idp#supervisor", now=T1)  # fmt: skip
    assert types(events) == [contracts.ReferralConsentOverridden, contracts.ReferralUnblocked,
                             contracts.ReferralSent]  # fmt: skip
    assert events[0].overridden_categories == ["identity"] and referral.blocked_on == []
    assert referral.new_history[1].note == "court order"  # stays here, never on the bus
    with pytest.raises(StateConflict):
        referral.override_consent(legal_basis="public-task", reason="again", actor="x", now=T1)


@pytest.mark.parametrize("state", [S.ACCEPTED, S.IN_PROGRESS])
def test_revoked_consent_holds_work_in_progress(state: ReferralState) -> None:
    referral = in_state(state)
    referral.consent_override_basis = "public-task"  # decided before the revocation
    events = referral.consent_revoked(missing_consent=["identity"], missing_documents=[], now=T1)
    assert types(events) == [contracts.ReferralBlocked, contracts.ReferralHeld]
    assert events[1].reason_code == "consent-revoked" and referral.state is S.ON_HOLD
    assert referral.consent_override_basis is None


@pytest.mark.parametrize("state", [S.REQUESTED, S.ON_HOLD])
def test_revoked_consent_blocks_what_is_not_being_worked_on(state: ReferralState) -> None:
    referral = in_state(state)
    events = referral.consent_revoked(missing_consent=["identity"], missing_documents=[], now=T1)
    assert types(events) == [contracts.ReferralBlocked] and referral.state is state


def test_revocation_of_an_unused_consent_changes_nothing() -> None:
    referral = in_state(S.IN_PROGRESS)
    assert referral.consent_revoked(now=T1, **CLEAR) == [] and referral.state is S.IN_PROGRESS


def test_escalation() -> None:
    referral = in_state(S.REQUESTED)
    overdue = Overdue(kind=DeadlineKind.ACCEPTANCE, level=EscalationLevel.SUPERVISOR, due_at=T0)
    [event] = referral.escalate(overdue, now=T1)
    assert type(event) is contracts.ReferralOverdue
    assert (event.deadline, event.level, event.due_at) == ("acceptance", "supervisor", T0)
    assert referral.new_history[-1].action == "overdue-acceptance"


def test_reassignment_follows_the_case_while_open() -> None:
    referral = in_state(S.ACCEPTED)
    [moved] = referral.reassign(municipality="lakeside", now=T1)
    assert type(moved) is contracts.ReferralReassigned and moved.from_municipality == "riverton"
    assert moved.municipality == referral.municipality == "lakeside"
    assert referral.reassign(municipality="lakeside", now=T1) == []  # redelivered transfer
    referral.act(A.COMPLETE, actor=AGENCY, now=T1, outcome=Outcome.ACHIEVED)
    assert referral.reassign(municipality="riverton", now=T1) == []  # ended: stays where it was


def test_events_carry_no_free_text() -> None:
    referral, events = new()
    events += referral.act(A.ACCEPT, actor=AGENCY, now=T1, note="the child is called Sam")
    for event in events:
        assert "Sam" not in event.model_dump_json() and "enrol the child" not in str(event)


def test_a_draft_is_not_sent_to_a_closed_agency() -> None:
    referral, _ = new(send=False)
    referral.agency_closed = True
    with pytest.raises(RuleViolation, match="takes no new referrals"):
        referral.act(A.SEND, actor=COORDINATOR, now=T1)
    assert referral.state is S.DRAFT and not referral.send_requested


def test_a_blocked_draft_is_neither_sent_nor_released_to_a_closed_agency() -> None:
    referral, _ = new(missing_consent=["identity"])  # sending asked for, held by the gate
    referral.agency_closed = True
    with pytest.raises(RuleViolation, match="takes no new referrals"):
        referral.act(A.SEND, actor=COORDINATOR, now=T1)
    events = referral.update_gates(missing_consent=[], missing_documents=[], now=T1)
    assert types(events) == [contracts.ReferralUnblocked]
    assert referral.state is S.DRAFT and referral.send_requested
    assert referral.new_history[-1].action == "send-held"
    referral.agency_closed = False  # the agency reopened: the coordinator sends it
    assert contracts.ReferralSent in types(referral.act(A.SEND, actor=COORDINATOR, now=T1))
