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
    if state is ReferralState.REQUESTED and sent_at is not None:
        kind, start, span = DeadlineKind.ACCEPTANCE, sent_at, acceptance_deadline
    elif state in (ReferralState.ACCEPTED, ReferralState.IN_PROGRESS, ReferralState.ON_HOLD) and (
        accepted_at is not None
    ):
        kind, start, span = DeadlineKind.COMPLETION, accepted_at, completion_target
    else:
        return []
    due = start + span
    found = []
    if now >= due:
        found.append(Overdue(kind=kind, level=EscalationLevel.COORDINATOR, due_at=due))
    supervisor_due = start + span * supervisor_factor
    if now >= supervisor_due:
        found.append(Overdue(kind=kind, level=EscalationLevel.SUPERVISOR, due_at=supervisor_due))
    return found
