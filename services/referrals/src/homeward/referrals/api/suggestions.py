"""Routes for onward-referral suggestions: partners suggest, coordinators decide."""

from __future__ import annotations

from fastapi import APIRouter, status

from homeward.common.service import SessionDep
from homeward.referrals.api.deps import ReceivingAgency, ReferralReader, Requester, SettingsDep
from homeward.referrals.api.schemas import SuggestionView
from homeward.referrals.commands import AcceptSuggestion, DeclineSuggestion, SuggestReferral
from homeward.referrals.domain.suggestions import SuggestionStatus
from homeward.referrals.handlers import suggestions as handlers

router = APIRouter(prefix="/v1", tags=["suggestions"])
ONE = "/suggestions/{suggestion_id}"


@router.post(
    "/referrals/{referral_id}/suggestions",
    name="suggest_referral",
    response_model=SuggestionView,
    status_code=status.HTTP_201_CREATED,
)
async def suggest_referral(
    referral_id: str, body: SuggestReferral, principal: ReceivingAgency, session: SessionDep
) -> SuggestionView:
    """Suggest another service for the person your agency serves in this referral."""
    suggestion = await handlers.suggest_referral(
        session, principal=principal, referral_id=referral_id, command=body
    )
    return SuggestionView.model_validate(suggestion)


@router.get("/suggestions", name="list_suggestions", response_model=list[SuggestionView])
async def list_suggestions(
    principal: ReferralReader, session: SessionDep, status: SuggestionStatus | None = None
) -> list[SuggestionView]:
    """Your municipality's suggestions, or (partners) your agency's, newest first."""
    found = await handlers.list_suggestions(session, principal=principal, status=status)
    return [SuggestionView.model_validate(suggestion) for suggestion in found]


@router.post(f"{ONE}/accept", name="accept_suggestion", response_model=SuggestionView)
async def accept_suggestion(
    suggestion_id: str,
    body: AcceptSuggestion,
    principal: Requester,
    session: SessionDep,
    settings: SettingsDep,
) -> SuggestionView:
    """Draft a referral to the agency you choose from the suggestion, in one step."""
    suggestion = await handlers.accept_suggestion(
        session, principal=principal, suggestion_id=suggestion_id, command=body, settings=settings
    )
    return SuggestionView.model_validate(suggestion)


@router.post(f"{ONE}/decline", name="decline_suggestion", response_model=SuggestionView)
async def decline_suggestion(
    suggestion_id: str, body: DeclineSuggestion, principal: Requester, session: SessionDep
) -> SuggestionView:
    """Decline the suggestion with a reason code the suggesting agency sees."""
    suggestion = await handlers.decline_suggestion(
        session, principal=principal, suggestion_id=suggestion_id, command=body
    )
    return SuggestionView.model_validate(suggestion)
