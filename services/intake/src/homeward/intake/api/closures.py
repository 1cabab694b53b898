"""Routes for closing cases under supervision: coordinators request, supervisors decide."""

from __future__ import annotations

from fastapi import APIRouter, status

from homeward.common.service import SessionDep
from homeward.intake.api.deps import CaseReader, CaseWriter, Decider
from homeward.intake.api.schemas import ClosureRequestView
from homeward.intake.api.views import closure_view
from homeward.intake.commands import CloseCase, RejectClosure
from homeward.intake.domain.closures import ClosureStatus
from homeward.intake.handlers import closures

router = APIRouter(prefix="/v1", tags=["cases"])
ONE = "/closure-requests/{closure_id}"


@router.post(
    "/cases/{case_id}/closure-requests",
    name="request_closure",
    response_model=ClosureRequestView,
    status_code=status.HTTP_201_CREATED,
)
async def request_closure(
    case_id: str, command: CloseCase, principal: CaseWriter, session: SessionDep
) -> ClosureRequestView:
    """Ask your supervisor to close the case, with a reason; work goes on until decided."""
    request, case = await closures.request_closure(
        session, principal=principal, case_id=case_id, command=command
    )
    return closure_view(request, case)


@router.get(
    "/closure-requests", name="list_closure_requests", response_model=list[ClosureRequestView]
)
async def list_closure_requests(
    principal: CaseReader, session: SessionDep, status: ClosureStatus | None = None
) -> list[ClosureRequestView]:
    """Closure requests of your municipality's cases, newest first."""
    found = await closures.list_closure_requests(session, principal=principal, status=status)
    return [closure_view(request, case) for request, case in found]


@router.post(f"{ONE}/approve", name="approve_closure", response_model=ClosureRequestView)
async def approve_closure(
    closure_id: str, principal: Decider, session: SessionDep
) -> ClosureRequestView:
    """Approve a closure request: the case closes with the requested reason."""
    request, case = await closures.approve_closure(
        session, principal=principal, closure_id=closure_id
    )
    return closure_view(request, case)


@router.post(f"{ONE}/reject", name="reject_closure", response_model=ClosureRequestView)
async def reject_closure(
    closure_id: str, command: RejectClosure, principal: Decider, session: SessionDep
) -> ClosureRequestView:
    """Reject a closure request with a reason: the case stays open."""
    request, case = await closures.reject_closure(
        session, principal=principal, closure_id=closure_id, command=command
    )
    return closure_view(request, case)
