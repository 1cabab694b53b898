"""Staging referral events and history in the caller's transaction (the outbox publishes)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from homeward.common.contracts import referrals as contracts
from homeward.common.events import EventContract, add_event
from homeward.referrals.adapters.tables import ReferralHistoryRow, ReferralRow
from homeward.referrals.domain.lifecycle import Action, Transition
from homeward.referrals.settings import ReferralsSettings

# What the system writes as the actor when it acts on an event, not on a person's request.
SYSTEM_ACTOR = "system:referrals"


def facts(referral: ReferralRow) -> dict[str, Any]:
    return {
        "referral_id": referral.id,
        "case_id": referral.case_id,
        "case_code": referral.case_code,
        "municipality": referral.municipality,
        "person_id": referral.person_id,
        "person_code": referral.person_code,
        "agency_id": referral.agency_id,
        "agency_type": referral.agency_type,
        "service_category": referral.service_category,
        "priority": referral.priority,
        "state": referral.state,
    }


def publish(session: AsyncSession, referral: ReferralRow, event: EventContract) -> None:
    add_event(session, event, key=referral.case_id, subject=referral.case_code)


def record_history(
    session: AsyncSession,
    referral: ReferralRow,
    *,
    at: datetime,
    actor: str,
    action: str,
    from_state: str | None,
    reason_code: str | None = None,
    note: str | None = None,
    outcome: str | None = None,
) -> None:
    session.add(
        ReferralHistoryRow(
            referral_id=referral.id, at=at, actor=actor, action=action, from_state=from_state,
            to_state=referral.state, reason_code=reason_code, note=note, outcome=outcome,
        )
    )  # fmt: skip


def apply_transition(
    session: AsyncSession,
    referral: ReferralRow,
    change: Transition,
    *,
    actor: str,
    note: str | None,
    settings: ReferralsSettings,
    now: datetime,
) -> None:
    """Write the new state, its timestamps, its history line and its event: one unit."""
    referral.state = change.to_state.value
    if change.action is Action.SEND:
        referral.sent_at = now
        referral.send_requested = True
    elif change.action is Action.ACCEPT:
        referral.accepted_at = now
    elif change.action is Action.START and referral.started_at is None:
        referral.started_at = now
    elif change.action is Action.COMPLETE:
        referral.outcome = change.outcome.value if change.outcome else None
    if change.to_state.value in ("completed", "failed", "cancelled", "rejected"):
        referral.ended_at = now
    session.add(referral)
    reason = change.reason.value if change.reason else None
    record_history(
        session, referral, at=now, actor=actor, action=change.action.value,
        from_state=change.from_state.value, reason_code=reason, note=note,
        outcome=referral.outcome if change.action is Action.COMPLETE else None,
    )  # fmt: skip
    publish(session, referral, _event_for(change, referral, settings=settings, now=now))


def _event_for(
    change: Transition, referral: ReferralRow, *, settings: ReferralsSettings, now: datetime
) -> EventContract:
    base = facts(referral)
    reason = change.reason.value if change.reason else None
    match change.action:
        case Action.SEND:
            due = now + settings.acceptance_deadline(referral.service_category)
            return contracts.ReferralSent(**base, acceptance_due_at=due, sent_at=now)
        case Action.ACCEPT:
            due = now + settings.completion_target(referral.service_category)
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
            return contracts.ReferralCompleted(**base, outcome=referral.outcome, completed_at=now)
        case Action.FAIL:
            return contracts.ReferralFailed(**base, reason_code=reason, failed_at=now)
        case Action.CANCEL:
            return contracts.ReferralCancelled(**base, reason_code=reason, cancelled_at=now)
        case Action.MARK_ENTERED_IN_ERROR:
            return contracts.ReferralEnteredInError(**base, reason_code=reason, marked_at=now)
    raise AssertionError(f"no event for {change.action}")
