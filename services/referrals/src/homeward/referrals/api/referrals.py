"""Routes for referrals: the requester's side, the receiving agency's side, and reading."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from homeward.common.auth import Principal
from homeward.common.codes import CODE_MAX_LENGTH
from homeward.common.openapi import problem_responses
from homeward.common.service import SessionDep
from homeward.referrals.api.deps import (
    ReceivingAgency,
    ReferralReader,
    Requester,
    RequesterOrAgency,
    SettingsDep,
    Supervisor,
)
from homeward.referrals.api.schemas import ReferralDetailView, ReferralPage, ReferralView
from homeward.referrals.api.views import referral_detail_view, referral_view
from homeward.referrals.commands import (
    AgencyDecision,
    CompleteReferral,
    CreateReferral,
    Decision,
    OverrideConsent,
    RequesterDecision,
    SendReferral,
)
from homeward.referrals.domain.deadlines import EscalationLevel
from homeward.referrals.domain.lifecycle import Action, ReferralState
from homeward.referrals.handlers import queries
from homeward.referrals.handlers import referrals as handlers
from homeward.referrals.handlers.access import is_municipal_staff

router = APIRouter(prefix="/v1/referrals", tags=["referrals"])
ONE = "/{referral_id}"


@router.post(
    "",
    name="create_referral",
    responses=problem_responses(404),
    response_model=ReferralView,
    status_code=status.HTTP_201_CREATED,
)
async def create_referral(
    command: CreateReferral, principal: Requester, session: SessionDep, settings: SettingsDep
) -> ReferralView:
    """Refer a person of a case in your municipality to a partner agency (draft or sent)."""
    referral = await handlers.create_referral(
        session, principal=principal, command=command, settings=settings
    )
    return referral_view(referral, settings)


@router.get("", name="list_referrals", response_model=ReferralPage)
async def list_referrals(
    principal: ReferralReader,
    session: SessionDep,
    settings: SettingsDep,
    state: Annotated[list[ReferralState] | None, Query(description="one or more states")] = None,
    case_id: Annotated[str | None, Query(max_length=36)] = None,
    code: Annotated[
        str | None,
        Query(
            max_length=CODE_MAX_LENGTH,
            description="a case or person code, typed any way (hw7kq3m9, HW-7KQ3-M9, ...)",
        ),
    ] = None,
    blocked: Annotated[
        bool | None, Query(description="held by a consent or documents gate (or not)")
    ] = None,
    escalated: Annotated[
        EscalationLevel | None,
        Query(description="overdue, its running deadline escalated to this level or higher"),
    ] = None,
    limit: Annotated[int, Query(ge=1)] = 20,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> ReferralPage:
    """Your municipality's referrals, or (partners) those addressed to your agency; `code`
    keeps those of one case or person."""
    limit = min(limit, settings.max_page_size)
    listing = await queries.list_referrals(
        session,
        principal=principal,
        states=[s.value for s in state or ()],
        case_id=case_id,
        code=code,
        blocked=blocked,
        escalated=escalated,
        limit=limit,
        offset=offset,
    )
    for_partner = not is_municipal_staff(principal)
    return ReferralPage(
        items=[
            referral_view(
                r, settings, for_partner=for_partner, escalation_level=listing.escalations.get(r.id)
            )
            for r in listing.items
        ],
        total=listing.total,
        next_offset=offset + limit if offset + limit < listing.total else None,
    )


@router.get(ONE, name="read_referral", response_model=ReferralDetailView)
async def read_referral(
    referral_id: str, principal: ReferralReader, session: SessionDep, settings: SettingsDep
) -> ReferralDetailView:
    """A referral with its history; partners get the consent-filtered case summary."""
    details = await queries.read_referral(session, principal=principal, referral_id=referral_id)
    return referral_detail_view(details, settings)


async def _act(
    session: SessionDep,
    settings: SettingsDep,
    principal: Principal,
    referral_id: str,
    action: Action,
    body: Decision | SendReferral | CompleteReferral,
) -> ReferralView:
    referral = await handlers.act_on_referral(
        session,
        principal=principal,
        referral_id=referral_id,
        action=action,
        reason=getattr(body, "reason", None),
        outcome=getattr(body, "outcome", None),
        note=body.note,
        settings=settings,
    )
    return referral_view(referral, settings, for_partner=not is_municipal_staff(principal))


@router.post(
    f"{ONE}/send",
    name="send_referral",
    responses=problem_responses(409),
    response_model=ReferralView,
)
async def send_referral(
    referral_id: str,
    principal: Requester,
    session: SessionDep,
    settings: SettingsDep,
    body: SendReferral | None = None,
) -> ReferralView:
    """Send a draft to the agency; a blocked draft goes out as soon as nothing blocks it."""
    return await _act(
        session, settings, principal, referral_id, Action.SEND, body or SendReferral()
    )


@router.post(
    f"{ONE}/cancel",
    name="cancel_referral",
    responses=problem_responses(409),
    response_model=ReferralView,
)
async def cancel_referral(
    referral_id: str,
    body: Decision,
    principal: RequesterOrAgency,
    session: SessionDep,
    settings: SettingsDep,
) -> ReferralView:
    """Cancel a referral, as its requester or its receiving agency (a reason code is required)."""
    return await _act(session, settings, principal, referral_id, Action.CANCEL, body)


@router.post(
    f"{ONE}/entered-in-error",
    name="mark_referral_entered_in_error",
    responses=problem_responses(409),
    response_model=ReferralView,
)
async def mark_entered_in_error(
    referral_id: str,
    body: RequesterDecision,
    principal: Requester,
    session: SessionDep,
    settings: SettingsDep,
) -> ReferralView:
    """Mark a draft as entered in error (it should never have existed)."""
    return await _act(session, settings, principal, referral_id, Action.MARK_ENTERED_IN_ERROR, body)


def _agency_route(action: Action, doc: str) -> None:
    async def agency_action(
        referral_id: str,
        body: AgencyDecision,
        principal: ReceivingAgency,
        session: SessionDep,
        settings: SettingsDep,
    ) -> ReferralView:
        return await _act(session, settings, principal, referral_id, action, body)

    agency_action.__doc__ = doc
    router.add_api_route(
        f"{ONE}/{action.value}",
        agency_action,
        methods=["POST"],
        name=f"{action.value}_referral",
        responses=problem_responses(409),
        response_model=ReferralView,
    )


_agency_route(Action.ACCEPT, "Accept a referral addressed to your agency.")
_agency_route(Action.REJECT, "Reject a referral addressed to your agency (reason required).")
_agency_route(Action.START, "Start the service for an accepted referral.")
_agency_route(Action.HOLD, "Put a referral on hold (reason required).")
_agency_route(Action.RESUME, "Resume a referral that is on hold.")
_agency_route(Action.FAIL, "Record that the service failed (reason required).")


@router.post(
    f"{ONE}/complete",
    name="complete_referral",
    responses=problem_responses(409),
    response_model=ReferralView,
)
async def complete_referral(
    referral_id: str,
    body: CompleteReferral,
    principal: ReceivingAgency,
    session: SessionDep,
    settings: SettingsDep,
) -> ReferralView:
    """Complete a referral with its outcome: achieved, partly-achieved or not-achieved."""
    return await _act(session, settings, principal, referral_id, Action.COMPLETE, body)


@router.post(
    f"{ONE}/consent-override",
    name="override_referral_consent",
    responses=problem_responses(409),
    response_model=ReferralView,
)
async def override_consent(
    referral_id: str,
    body: OverrideConsent,
    principal: Supervisor,
    session: SessionDep,
    settings: SettingsDep,
) -> ReferralView:
    """Lift a consent block on a legal basis, with a reason (audited)."""
    referral = await handlers.override_consent(
        session, principal=principal, referral_id=referral_id, command=body, settings=settings
    )
    return referral_view(referral, settings)
