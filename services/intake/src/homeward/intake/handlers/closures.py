"""Closing cases: directly by a decider (a supervisor, unless the setting lets coordinators
too), or on a coordinator's request that a supervisor approves or rejects with a reason."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from homeward.common.audit import record_audit
from homeward.common.auth import Principal
from homeward.common.contracts.intake import CaseClosed, CaseClosureRejected, CaseClosureRequested
from homeward.common.db import utcnow
from homeward.common.errors import NotFound
from homeward.intake.adapters.tables import CaseRow, ClosureRequestRow
from homeward.intake.commands import CloseCase, RejectClosure
from homeward.intake.domain.cases import CaseStatus
from homeward.intake.domain.closures import (
    ClosureStatus,
    check_closure_decision,
    check_closure_request,
    check_direct_close,
)
from homeward.intake.domain.errors import StateConflict
from homeward.intake.handlers.access import case_to_change, municipality_of, stage_case_event

CLOSURE_NOT_FOUND = "no such closure request"


def _close(session: AsyncSession, *, principal: Principal, case: CaseRow, reason: str) -> None:
    case.status = CaseStatus.CLOSED.value
    case.closed_at = utcnow()
    case.close_reason = reason
    session.add(case)
    stage_case_event(
        session,
        case=case,
        event=CaseClosed(
            case_id=case.id,
            case_code=case.code,
            municipality=case.municipality,
            reason=reason,
            closed_at=case.closed_at,
        ),
    )
    record_audit(session, principal=principal, action="case.closed", case_code=case.code)


async def close_case(
    session: AsyncSession, *, principal: Principal, case_id: str, command: CloseCase
) -> CaseRow:
    case = await case_to_change(session, case_id=case_id, principal=principal)
    check_direct_close(case_status=CaseStatus(case.status))
    _close(session, principal=principal, case=case, reason=command.reason.value)
    await session.commit()
    return case


async def request_closure(
    session: AsyncSession, *, principal: Principal, case_id: str, command: CloseCase
) -> tuple[ClosureRequestRow, CaseRow]:
    case = await case_to_change(session, case_id=case_id, principal=principal)
    check_closure_request(case_status=CaseStatus(case.status))
    now = utcnow()
    request = ClosureRequestRow(
        case_id=case.id,
        reason=command.reason.value,
        status=ClosureStatus.PENDING.value,
        requested_at=now,
        requested_by=principal.actor,
    )
    case.status = CaseStatus.CLOSURE_REQUESTED.value
    session.add_all([request, case])
    try:
        await session.flush()
    except IntegrityError:
        # The partial unique index caught a concurrent request that won the race.
        raise StateConflict("a closure of this case is already requested") from None
    stage_case_event(
        session,
        case=case,
        event=CaseClosureRequested(
            closure_request_id=request.id,
            case_id=case.id,
            case_code=case.code,
            municipality=case.municipality,
            reason=request.reason,
            requested_at=now,
        ),
    )
    record_audit(session, principal=principal, action="case.closure_requested", case_code=case.code)
    await session.commit()
    return request, case


async def list_closure_requests(
    session: AsyncSession, *, principal: Principal, status: ClosureStatus | None
) -> list[tuple[ClosureRequestRow, CaseRow]]:
    """Closure requests of the caller's municipality's cases, newest first."""
    query = (
        select(ClosureRequestRow, CaseRow)
        .join(CaseRow, col(CaseRow.id) == col(ClosureRequestRow.case_id))
        .where(CaseRow.municipality == municipality_of(principal))
        .order_by(col(ClosureRequestRow.requested_at).desc())
        .limit(200)
    )
    if status is not None:
        query = query.where(ClosureRequestRow.status == status.value)
    return [(request, case) for request, case in (await session.exec(query)).all()]


async def _request_to_decide(
    session: AsyncSession, *, principal: Principal, closure_id: str
) -> tuple[ClosureRequestRow, CaseRow]:
    request = await session.get(ClosureRequestRow, closure_id, with_for_update=True)
    if request is None:
        raise NotFound(CLOSURE_NOT_FOUND)
    try:
        case = await case_to_change(session, case_id=request.case_id, principal=principal)
    except NotFound:
        raise NotFound(CLOSURE_NOT_FOUND) from None
    check_closure_decision(status=ClosureStatus(request.status))
    return request, case


def _decided(
    request: ClosureRequestRow, *, principal: Principal, status: ClosureStatus
) -> datetime:
    now = utcnow()
    request.status, request.decided_at, request.decided_by = status.value, now, principal.actor
    return now


async def approve_closure(
    session: AsyncSession, *, principal: Principal, closure_id: str
) -> tuple[ClosureRequestRow, CaseRow]:
    request, case = await _request_to_decide(session, principal=principal, closure_id=closure_id)
    _decided(request, principal=principal, status=ClosureStatus.APPROVED)
    session.add(request)
    _close(session, principal=principal, case=case, reason=request.reason)
    await session.commit()
    return request, case


async def reject_closure(
    session: AsyncSession, *, principal: Principal, closure_id: str, command: RejectClosure
) -> tuple[ClosureRequestRow, CaseRow]:
    request, case = await _request_to_decide(session, principal=principal, closure_id=closure_id)
    now = _decided(request, principal=principal, status=ClosureStatus.REJECTED)
    request.decision_reason = command.reason.value
    case.status = CaseStatus.OPEN.value
    session.add_all([request, case])
    stage_case_event(
        session,
        case=case,
        event=CaseClosureRejected(
            closure_request_id=request.id,
            case_id=case.id,
            case_code=case.code,
            municipality=case.municipality,
            reason=request.reason,
            rejection_reason=command.reason.value,
            rejected_at=now,
        ),
    )
    record_audit(session, principal=principal, action="case.closure_rejected", case_code=case.code)
    await session.commit()
    return request, case
