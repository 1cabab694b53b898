"""Deadlines and escalation levels: acceptance after sending, completion after acceptance.

A referral past its deadline is escalated to the coordinator; past the deadline again by the
same span (settings: `supervisor_escalation_factor`), to the supervisor. Each level fires once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from homeward.referrals.domain.lifecycle import ReferralState


class DeadlineKind(StrEnum):
    ACCEPTANCE = "acceptance"
    COMPLETION = "completion"


class EscalationLevel(StrEnum):
    COORDINATOR = "coordinator"
    SUPERVISOR = "supervisor"


@dataclass(frozen=True, kw_only=True)
class Overdue:
    kind: DeadlineKind
    level: EscalationLevel
    due_at: datetime


@dataclass(frozen=True, kw_only=True)
class RunningDeadline:
    kind: DeadlineKind
    start: datetime
    span: timedelta

    @property
    def due_at(self) -> datetime:
        return self.start + self.span


# The states each deadline runs in: acceptance once sent, completion once accepted.
DEADLINE_STATES = {
    DeadlineKind.ACCEPTANCE: frozenset({ReferralState.REQUESTED}),
    DeadlineKind.COMPLETION: frozenset(
        {ReferralState.ACCEPTED, ReferralState.IN_PROGRESS, ReferralState.ON_HOLD}
    ),
}


def running_deadline(
    *,
    state: ReferralState,
    sent_at: datetime | None,
    accepted_at: datetime | None,
    acceptance_deadline: timedelta,
    completion_target: timedelta,
) -> RunningDeadline | None:
    """The deadline the referral is under now: acceptance once sent, completion once accepted."""
    if state in DEADLINE_STATES[DeadlineKind.ACCEPTANCE] and sent_at is not None:
        return RunningDeadline(kind=DeadlineKind.ACCEPTANCE, start=sent_at,
                               span=acceptance_deadline)  # fmt: skip
    if state in DEADLINE_STATES[DeadlineKind.COMPLETION] and accepted_at is not None:
        return RunningDeadline(kind=DeadlineKind.COMPLETION, start=accepted_at,
                               span=completion_target)  # fmt: skip
    return None


def overdue_levels(
    *,
    state: ReferralState,
    sent_at: datetime | None,
    accepted_at: datetime | None,
    acceptance_deadline: timedelta,
    completion_target: timedelta,
    supervisor_factor: float,
    now: datetime,
) -> list[Overdue]:
    """Every escalation the referral has earned by `now` (the caller skips those already sent)."""
    deadline = running_deadline(
        state=state, sent_at=sent_at, accepted_at=accepted_at,
        acceptance_deadline=acceptance_deadline, completion_target=completion_target,
    )  # fmt: skip
    if deadline is None:
        return []
    kind, start, span = deadline.kind, deadline.start, deadline.span
    found = []
    if now >= deadline.due_at:
        found.append(Overdue(kind=kind, level=EscalationLevel.COORDINATOR, due_at=deadline.due_at))
    supervisor_due = start + span * supervisor_factor
    if now >= supervisor_due:
        found.append(Overdue(kind=kind, level=EscalationLevel.SUPERVISOR, due_at=supervisor_due))
    return found
