"""The `Referral` aggregate: its state, gates and timestamps, and the events each action makes.

Plain Python: a handler loads it, calls one action, saves it and stages the events the action
returned, in one transaction. The rules of the lifecycle are in `lifecycle` (which transition
an action makes), `gates` (what blocks it) and `deadlines` (when it is overdue); this class
applies them to one referral and says what happened.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from homeward.common.contracts import referrals as contracts
from homeward.common.events.contracts import EventContract
from homeward.referrals.domain.deadlines import Overdue
from homeward.referrals.domain.directory import closed_agency
from homeward.referrals.domain.errors import StateConflict
from homeward.referrals.domain.lifecycle import (
    Action,
    Outcome,
    ReasonCode,
    ReferralState,
    Transition,
    transition,
)

# What the system writes as the actor when it acts on an event, not on a person's request.
SYSTEM_ACTOR = "system:referrals"
# States in which the agency is working: revoked consent puts these on hold.
HOLDABLE = frozenset({ReferralState.ACCEPTED, ReferralState.IN_PROGRESS})
CONSENT, DOCUMENTS = "consent", "documents"


def blocked_on(
    *,
    missing_consent: Sequence[str],
    consent_override_basis: str | None,
    missing_documents: Sequence[Sequence[str]],
) -> list[str]:
    """The gates that hold a referral: consent (unless overridden) and documents."""
    gates = []
    if missing_consent and consent_override_basis is None:
        gates.append(CONSENT)
    if missing_documents:
        gates.append(DOCUMENTS)
    return gates


@dataclass(frozen=True, kw_only=True)
class Deadlines:
    """The spans of the referral's service category (settings), for the due dates events carry."""

    acceptance: timedelta
    completion: timedelta


@dataclass(frozen=True, kw_only=True)
class HistoryEntry:
    at: datetime
    actor: str
    action: str
    from_state: str | None
    to_state: str
    reason_code: str | None = None
    note: str | None = None
    outcome: str | None = None


@dataclass(kw_only=True)
class Referral:
    id: str
    case_id: str
    case_code: str
    person_id: str
    person_code: str
    municipality: str
    agency_id: str
    agency_type: str
    service_category: str
    priority: str
    reason: str
    disclose: list[str]
    deadlines: Deadlines
    state: ReferralState = ReferralState.DRAFT
    send_requested: bool = False
    missing_consent: list[str] = field(default_factory=list)
    missing_documents: list[list[str]] = field(default_factory=list)
    consent_override_basis: str | None = None
    warnings: list[str] = field(default_factory=list)
    outcome: str | None = None
    created_at: datetime
    created_by: str
    sent_at: datetime | None = None
    accepted_at: datetime | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    # Whether the agency has closed its capacity: a draft is not sent to it, by a person
    # (refused) or on its own when its gates clear (it waits). Not a column: read from the
    # directory by the handlers whose actions may send (`load_referral`).
    agency_closed: bool = False
    # History written by the actions since the referral was loaded (the handler saves it).
    new_history: list[HistoryEntry] = field(default_factory=list)

    # --- what the referral is --------------------------------------------------------------

    @property
    def blocked_on(self) -> list[str]:
        return blocked_on(
            missing_consent=self.missing_consent,
            consent_override_basis=self.consent_override_basis,
            missing_documents=self.missing_documents,
        )

    @property
    def is_open(self) -> bool:
        return self.state in contracts.OPEN_STATES

    # --- actions -------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        *,
        missing_consent: Sequence[str],
        missing_documents: Sequence[Sequence[str]],
        send: bool,
        now: datetime,
        **details: object,
    ) -> tuple[Referral, list[EventContract]]:
        """A new draft, blocked where a gate is shut, and sent at once if asked and clear."""
        referral = cls(
            **details,  # type: ignore[arg-type]
            state=ReferralState.DRAFT, send_requested=send, created_at=now,
            missing_consent=sorted(missing_consent),
            missing_documents=[list(alternatives) for alternatives in missing_documents],
        )  # fmt: skip
        referral._record(at=now, actor=referral.created_by, action="create", from_state=None)
        events: list[EventContract] = [
            contracts.ReferralCreated(
                **referral._facts(), disclosed_categories=referral.disclose,
                blocked_on=referral.blocked_on, warnings=referral.warnings, created_at=now,
            )
        ]  # fmt: skip
        events += referral._blocked_events(referral.blocked_on, now=now)
        if send and not referral.blocked_on:
            events += referral._apply(
                transition(state=referral.state, action=Action.SEND), actor=referral.created_by,
                note=None, now=now,
            )  # fmt: skip
        return referral, events

    def act(
        self,
        action: Action,
        *,
        actor: str,
        now: datetime,
        reason: ReasonCode | None = None,
        outcome: Outcome | None = None,
        note: str | None = None,
    ) -> list[EventContract]:
        """Any lifecycle action by a person; raises TransitionNotAllowed or RuleViolation."""
        if action is Action.SEND and self.agency_closed and self.state is ReferralState.DRAFT:
            raise closed_agency(self.agency_id)
        if action is Action.SEND and self.blocked_on:
            if self.state is not ReferralState.DRAFT:
                transition(state=self.state, action=action)  # raises the 409 with allowed states
            # Sending is remembered; the referral goes out when the gates clear.
            self.send_requested = True
            self._record(at=now, actor=actor, action="send-requested", from_state=self.state,
                         note=note)  # fmt: skip
            return []
        change = transition(state=self.state, action=action, reason=reason, outcome=outcome,
                            blocked=bool(self.blocked_on))  # fmt: skip
        return self._apply(change, actor=actor, note=note, now=now)

    def update_gates(
        self,
        *,
        missing_consent: Sequence[str],
        missing_documents: Sequence[Sequence[str]],
        now: datetime,
        actor: str = SYSTEM_ACTOR,
    ) -> list[EventContract]:
        """What consents and readiness now say: Blocked for a gate newly shut, Unblocked when
        the last one opens, and the sending that was waiting for it."""
        before = set(self.blocked_on)
        self.missing_consent = sorted(missing_consent)
        self.missing_documents = [list(alternatives) for alternatives in missing_documents]
        events: list[EventContract] = []
        if newly := sorted(set(self.blocked_on) - before):
            events += self._blocked_events(newly, now=now)
            self._record(at=now, actor=actor, action="blocked", from_state=self.state,
                         reason_code="+".join(newly))  # fmt: skip
        return events + self._release_if_clear(was_blocked=bool(before), actor=actor, now=now)

    def override_consent(
        self, *, legal_basis: str, reason: str, actor: str, now: datetime
    ) -> list[EventContract]:
        """A supervisor lifts the consent block on a legal basis (the reason stays here)."""
        if CONSENT not in self.blocked_on:
            raise StateConflict("this referral is not blocked on consent", allowed_next_states=[])
        overridden = list(self.missing_consent)
        self.consent_override_basis = legal_basis
        self._record(at=now, actor=actor, action="consent-override", from_state=self.state,
                     reason_code=legal_basis, note=reason)  # fmt: skip
        events: list[EventContract] = [
            contracts.ReferralConsentOverridden(
                **self._facts(), legal_basis=legal_basis, overridden_categories=overridden,
                overridden_at=now,
            )
        ]  # fmt: skip
        return events + self._release_if_clear(was_blocked=True, actor=actor, now=now)

    def consent_revoked(
        self,
        *,
        missing_consent: Sequence[str],
        missing_documents: Sequence[Sequence[str]],
        now: datetime,
    ) -> list[EventContract]:
        """The person withdrew a consent this referral relied on: an override decided before
        no longer stands, and work the agency had begun is put on hold."""
        self.consent_override_basis = None
        events = self.update_gates(
            missing_consent=missing_consent, missing_documents=missing_documents, now=now
        )
        if CONSENT in self.blocked_on and self.state in HOLDABLE:
            change = transition(state=self.state, action=Action.HOLD,
                                reason=ReasonCode.CONSENT_REVOKED)  # fmt: skip
            events += self._apply(change, actor=SYSTEM_ACTOR, note=None, now=now)
        return events

    def escalate(self, overdue: Overdue, *, now: datetime) -> list[EventContract]:
        """Past a deadline: the coordinator, then the supervisor, is told (once per level)."""
        self._record(at=now, actor=SYSTEM_ACTOR, action=f"overdue-{overdue.kind.value}",
                     from_state=self.state, reason_code=overdue.level.value)  # fmt: skip
        return [
            contracts.ReferralOverdue(
                **self._facts(), deadline=overdue.kind.value, level=overdue.level.value,
                due_at=overdue.due_at, detected_at=now,
            )
        ]  # fmt: skip

    def reassign(self, *, municipality: str, now: datetime) -> list[EventContract]:
        """The case moved: an open referral follows it (nothing when it already has)."""
        origin = self.municipality
        if not self.is_open or origin == municipality:
            return []
        self.municipality = municipality
        self._record(at=now, actor=SYSTEM_ACTOR, action="reassigned", from_state=self.state,
                     reason_code="case-transferred")  # fmt: skip
        return [
            contracts.ReferralReassigned(
                **self._facts(), from_municipality=origin, reassigned_at=now
            )
        ]

    # --- internals -----------------------------------------------------------------------

    def _apply(
        self, change: Transition, *, actor: str, note: str | None, now: datetime
    ) -> list[EventContract]:
        """The new state, its timestamps, its history line and its event."""
        self.state = change.to_state
        match change.action:
            case Action.SEND:
                self.sent_at, self.send_requested = now, True
            case Action.ACCEPT:
                self.accepted_at = now
            case Action.START if self.started_at is None:
                self.started_at = now
            case Action.COMPLETE:
                self.outcome = change.outcome.value if change.outcome else None
        if self.state in contracts.TERMINAL_STATES:
            self.ended_at = now
        reason = change.reason.value if change.reason else None
        self._record(
            at=now, actor=actor, action=change.action.value, from_state=change.from_state,
            reason_code=reason, note=note,
            outcome=self.outcome if change.action is Action.COMPLETE else None,
        )  # fmt: skip
        return [self._event_for(change, now=now)]

    def _event_for(self, change: Transition, *, now: datetime) -> EventContract:
        base = self._facts()
        reason = change.reason.value if change.reason else None
        match change.action:
            case Action.SEND:
                due = now + self.deadlines.acceptance
                return contracts.ReferralSent(**base, acceptance_due_at=due, sent_at=now)
            case Action.ACCEPT:
                due = now + self.deadlines.completion
                return contracts.ReferralAccepted(**base, completion_due_at=due, accepted_at=now)
            case Action.REJECT:
                return contracts.ReferralRejected(**base, reason_code=reason, rejected_at=now)
            case Action.START:
                return contracts.ReferralStarted(**base, started_at=now)
            case Action.HOLD:
                return contracts.ReferralHeld(**base, reason_code=reason, held_at=now)
            case Action.RESUME:
                return contracts.ReferralResumed(**base, resumed_at=now)
            case Action.COMPLETE:
                return contracts.ReferralCompleted(**base, outcome=self.outcome, completed_at=now)
            case Action.FAIL:
                return contracts.ReferralFailed(**base, reason_code=reason, failed_at=now)
            case Action.CANCEL:
                return contracts.ReferralCancelled(**base, reason_code=reason, cancelled_at=now)
            case Action.MARK_ENTERED_IN_ERROR:
                return contracts.ReferralEnteredInError(**base, reason_code=reason, marked_at=now)
        raise AssertionError(f"no event for {change.action}")

    def _blocked_events(self, gates: Sequence[str], *, now: datetime) -> list[EventContract]:
        route = self._route()
        return [
            contracts.ReferralBlocked(
                **route, blocked_on=gate,
                missing_documents=self.missing_documents if gate == DOCUMENTS else [],
                missing_consent_categories=self.missing_consent if gate == CONSENT else [],
                blocked_at=now,
            )
            for gate in gates
        ]  # fmt: skip

    def _release_if_clear(
        self, *, was_blocked: bool, actor: str, now: datetime
    ) -> list[EventContract]:
        """Announce the end of a block, and send the referral if its sending was asked for."""
        if self.blocked_on:
            return []
        events: list[EventContract] = []
        if was_blocked:
            events.append(contracts.ReferralUnblocked(**self._route(), unblocked_at=now))
            self._record(at=now, actor=actor, action="unblocked", from_state=self.state)
        if self.send_requested and self.state is ReferralState.DRAFT and self.agency_closed:
            # Sending was asked for, but the agency takes none now: it stays a draft, and
            # goes out when the coordinator sends it again once the agency reopened.
            self._record(at=now, actor=actor, action="send-held", from_state=self.state,
                         reason_code="agency-closed")  # fmt: skip
        elif self.send_requested and self.state is ReferralState.DRAFT:
            # The coordinator already asked to send it: the referral proceeds on its own.
            change = transition(state=self.state, action=Action.SEND)
            events += self._apply(change, actor=actor, note=None, now=now)
        return events

    def _record(self, *, at: datetime, actor: str, action: str, from_state: str | None,
                **details: str | None) -> None:  # fmt: skip
        self.new_history.append(
            HistoryEntry(
                at=at,
                actor=actor,
                action=action,
                from_state=str(from_state) if from_state else None,
                to_state=self.state.value,
                **details,
            )
        )

    def _route(self) -> dict[str, object]:
        return {
            "referral_id": self.id, "case_id": self.case_id, "case_code": self.case_code,
            "municipality": self.municipality, "person_id": self.person_id,
            "agency_id": self.agency_id, "agency_type": self.agency_type,
            "service_category": self.service_category,
        }  # fmt: skip

    def _facts(self) -> dict[str, object]:
        return self._route() | {
            "person_code": self.person_code, "priority": self.priority, "state": self.state,
        }  # fmt: skip
