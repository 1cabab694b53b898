"""Routes for consent and for transfers between municipalities."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from homeward.common.openapi import problem_responses
from homeward.common.service import SessionDep
from homeward.intake.api.deps import CaseReader, CaseWriter, Decider, DecidingMunicipality
from homeward.intake.api.schemas import ConsentView, ExpiringConsentView, TransferView
from homeward.intake.api.views import consent_view, transfer_view
from homeward.intake.commands import DeclineTransfer, GrantConsent, RequestTransfer
from homeward.intake.domain.transfers import TransferStatus
from homeward.intake.handlers import consents, transfers

router = APIRouter(prefix="/v1", tags=["consent and transfers"])
CONSENTS = "/cases/{case_id}/persons/{person_id}/consents"


@router.post(
    CONSENTS,
    name="grant_consent",
    responses=problem_responses(409),
    response_model=ConsentView,
    status_code=status.HTTP_201_CREATED,
)
async def grant_consent(
    case_id: str, person_id: str, command: GrantConsent, principal: CaseWriter, session: SessionDep
) -> ConsentView:
    """Record consent for an agency type and data categories, until a date."""
    consent = await consents.grant_consent(
        session, principal=principal, case_id=case_id, person_id=person_id, command=command
    )
    return consent_view(consent)


@router.get(CONSENTS, name="list_consents", response_model=list[ConsentView])
async def list_consents(
    case_id: str, person_id: str, principal: CaseReader, session: SessionDep
) -> list[ConsentView]:
    """A person's consents, newest first, with whether each is in force today."""
    found = await consents.list_consents(
        session, principal=principal, case_id=case_id, person_id=person_id
    )
    return [consent_view(consent) for consent in found]


@router.get(
    "/cases/{case_id}/consents", name="list_case_consents", response_model=list[ConsentView]
)
async def list_case_consents(
    case_id: str, principal: CaseReader, session: SessionDep
) -> list[ConsentView]:
    """Every person's consents in the case, newest first (one read for a family page)."""
    found = await consents.list_consents(
        session, principal=principal, case_id=case_id, person_id=None
    )
    return [consent_view(consent) for consent in found]


@router.get("/consents/expiring", name="list_expiring_consents",
            response_model=list[ExpiringConsentView])  # fmt: skip
async def list_expiring_consents(
    principal: CaseReader,
    session: SessionDep,
    within_days: Annotated[int, Query(ge=1, le=365)] = 30,
) -> list[ExpiringConsentView]:
    """Consents in force in your municipality's open cases that end within `within_days`."""
    found = await consents.expiring_consents(session, principal=principal, within_days=within_days)
    codes = await consents.person_codes(session, [consent.person_id for consent, _ in found])
    return [
        ExpiringConsentView(**consent_view(consent).model_dump(), case_id=case.id,
                            case_code=case.code, person_code=codes.get(consent.person_id, ""))
        for consent, case in found
    ]  # fmt: skip


@router.post(
    f"{CONSENTS}/{{consent_id}}/revoke",
    name="revoke_consent",
    responses=problem_responses(409),
    response_model=ConsentView,
)
async def revoke_consent(
    case_id: str, person_id: str, consent_id: str, principal: CaseWriter, session: SessionDep
) -> ConsentView:
    """Revoke a consent, effective immediately."""
    consent = await consents.revoke_consent(
        session, principal=principal, case_id=case_id, person_id=person_id, consent_id=consent_id
    )
    return consent_view(consent)


@router.post(
    "/cases/{case_id}/transfers",
    name="request_transfer",
    responses=problem_responses(409),
    response_model=TransferView,
    status_code=status.HTTP_201_CREATED,
)
async def request_transfer(
    case_id: str,
    command: RequestTransfer,
    principal: CaseWriter,
    session: SessionDep,
    decides_for: DecidingMunicipality,
) -> TransferView:
    """Ask another municipality to take over the case."""
    transfer, case = await transfers.request_transfer(
        session, principal=principal, case_id=case_id, command=command
    )
    return transfer_view(transfer, case, decides_for=decides_for)


@router.get("/transfers", name="list_transfers", response_model=list[TransferView])
async def list_transfers(
    principal: CaseReader,
    session: SessionDep,
    decides_for: DecidingMunicipality,
    status: TransferStatus | None = None,
) -> list[TransferView]:
    """Transfers into or out of your municipality, newest first."""
    found = await transfers.list_transfers(
        session, principal=principal, status=status.value if status else None
    )
    return [transfer_view(transfer, case, decides_for=decides_for) for transfer, case in found]


@router.post(
    "/transfers/{transfer_id}/accept",
    name="accept_transfer",
    responses=problem_responses(409),
    response_model=TransferView,
)
async def accept_transfer(
    transfer_id: str, principal: Decider, session: SessionDep, decides_for: DecidingMunicipality
) -> TransferView:
    """Accept a transfer into your municipality: the case and its access move to you."""
    transfer, case = await transfers.accept_transfer(
        session, principal=principal, transfer_id=transfer_id
    )
    return transfer_view(transfer, case, decides_for=decides_for)


@router.post(
    "/transfers/{transfer_id}/decline",
    name="decline_transfer",
    responses=problem_responses(409),
    response_model=TransferView,
)
async def decline_transfer(
    transfer_id: str,
    command: DeclineTransfer,
    principal: Decider,
    session: SessionDep,
    decides_for: DecidingMunicipality,
) -> TransferView:
    """Decline a transfer into your municipality with a reason; the case stays where it is."""
    transfer, case = await transfers.decline_transfer(
        session, principal=principal, transfer_id=transfer_id, command=command
    )
    return transfer_view(transfer, case, decides_for=decides_for)
