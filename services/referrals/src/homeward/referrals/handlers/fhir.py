"""Referrals read and updated as FHIR Tasks: the same scope, lifecycle and events as the
REST API (`queries`, `referrals`), with what a Task shows beyond the row looked up here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from homeward.common.auth import Principal
from homeward.referrals.adapters.repository import blocked_on_of
from homeward.referrals.adapters.tables import ReferralHistoryRow, ReferralRow
from homeward.referrals.domain.deadlines import running_deadline
from homeward.referrals.domain.lifecycle import ReferralState
from homeward.referrals.domain.referral import CONSENT
from homeward.referrals.fhir.mapping import TaskFacts, service_request, task
from homeward.referrals.fhir.updates import requested_change
from homeward.referrals.handlers import queries
from homeward.referrals.handlers.access import check_side, is_municipal_staff, referral_in_scope
from homeward.referrals.handlers.queries import STATUS_CHANGES
from homeward.referrals.handlers.referrals import act_on_referral
from homeward.referrals.settings import ReferralsSettings

# The statuses whose reason the Task carries (SDOHCC: statusReason for these).
S = ReferralState
WITH_REASON = frozenset({S.REJECTED, S.CANCELLED, S.ON_HOLD, S.FAILED, S.ENTERED_IN_ERROR})


async def read_task(
    session: AsyncSession, *, principal: Principal, task_id: str, settings: ReferralsSettings
) -> dict[str, Any]:
    referral = await referral_in_scope(session, referral_id=task_id, principal=principal)
    return (await tasks_of(session, [referral], principal=principal, settings=settings))[0]


async def read_service_request(
    session: AsyncSession, *, principal: Principal, request_id: str
) -> dict[str, Any]:
    referral = await referral_in_scope(session, referral_id=request_id, principal=principal)
    return service_request(referral)


async def search_tasks(
    session: AsyncSession,
    *,
    principal: Principal,
    status: ReferralState | None,
    owner: str | None,
    changed_after: datetime | None,
    count: int,
    offset: int,
    settings: ReferralsSettings,
) -> tuple[list[dict[str, Any]], int]:
    """A page of the Tasks the caller may see (the REST list's scope), and their total."""
    listing = await queries.list_referrals(
        session, principal=principal, states=[status.value] if status else (), limit=count,
        offset=offset, agency_id=owner, state_changed_after=changed_after,
    )  # fmt: skip
    return await tasks_of(
        session, listing.items, principal=principal, settings=settings
    ), listing.total


async def update_task(
    session: AsyncSession,
    *,
    principal: Principal,
    task_id: str,
    body: dict[str, Any],
    settings: ReferralsSettings,
) -> dict[str, Any]:
    """A PUT Task: its new status becomes the lifecycle action the REST API would take."""
    referral = await referral_in_scope(session, referral_id=task_id, principal=principal)
    current = (await tasks_of(session, [referral], principal=principal, settings=settings))[0]
    change = requested_change(body, current=current)
    if change.action is None:
        return current  # the same status: nothing to do (an update is idempotent)
    check_side(principal, change.action)
    referral = await act_on_referral(
        session, principal=principal, referral_id=task_id, action=change.action,
        reason=change.reason, outcome=change.outcome, settings=settings,
    )  # fmt: skip
    return (await tasks_of(session, [referral], principal=principal, settings=settings))[0]


async def tasks_of(
    session: AsyncSession,
    referrals: list[ReferralRow],
    *,
    principal: Principal,
    settings: ReferralsSettings,
) -> list[dict[str, Any]]:
    """The Tasks of `referrals`, in their order, with one query for their status history."""
    ids = [referral.id for referral in referrals]
    history = (
        await session.exec(
            select(ReferralHistoryRow)
            .where(col(ReferralHistoryRow.referral_id).in_(ids))
            .where(col(ReferralHistoryRow.action).in_(STATUS_CHANGES))
            .order_by(col(ReferralHistoryRow.id))
        )
    ).all()
    latest = {entry.referral_id: entry for entry in history}  # the last one of each wins
    # A consent gap is the municipality's to close, not the agency's to know (as in the REST
    # API's partner history); a documents gate is theirs to see.
    hidden = set() if is_municipal_staff(principal) else {CONSENT}
    return [task(referral, _facts(referral, latest.get(referral.id), hidden, settings))
            for referral in referrals]  # fmt: skip


def _facts(
    referral: ReferralRow,
    latest: ReferralHistoryRow | None,
    hidden_gates: set[str],
    settings: ReferralsSettings,
) -> TaskFacts:
    deadline = running_deadline(
        state=ReferralState(referral.state), sent_at=referral.sent_at,
        accepted_at=referral.accepted_at,
        acceptance_deadline=settings.acceptance_deadline(referral.service_category),
        completion_target=settings.completion_target(referral.service_category),
    )  # fmt: skip
    reason = latest.reason_code if latest and referral.state in WITH_REASON else None
    return TaskFacts(
        last_modified=latest.at if latest else referral.created_at,
        blocked_on=[gate for gate in blocked_on_of(referral) if gate not in hidden_gates],
        status_reason=reason,
        due_at=deadline.due_at if deadline else None,
    )
