"""Email opt-in of the caller (coordinators, supervisors and partner agencies' staff)."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from homeward.common.openapi import problem_responses
from homeward.common.service import SessionDep
from homeward.notifications.api.deps import EmailSubscriber
from homeward.notifications.api.schemas import EmailOptIn, EmailOptInView
from homeward.notifications.handlers import email as handlers

router = APIRouter(prefix="/v1/me/email", tags=["email"])


@router.put("", name="opt_in_email", response_model=EmailOptInView)
async def opt_in_email(
    body: EmailOptIn, principal: EmailSubscriber, session: SessionDep
) -> EmailOptInView:
    """Receive your notifications by email too, at this address of yours."""
    row = await handlers.opt_in(
        session, principal=principal, address=body.address, locale=body.locale
    )
    return EmailOptInView.model_validate(row)


@router.get(
    "", name="read_email_opt_in", responses=problem_responses(404), response_model=EmailOptInView
)
async def read_email_opt_in(principal: EmailSubscriber, session: SessionDep) -> EmailOptInView:
    """Your email opt-in (404 if you have none)."""
    return EmailOptInView.model_validate(await handlers.read_opt_in(session, principal=principal))


@router.delete(
    "",
    name="opt_out_email",
    responses=problem_responses(404),
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
)
async def opt_out_email(principal: EmailSubscriber, session: SessionDep) -> Response:
    """Stop email notifications and forget your address."""
    await handlers.opt_out(session, principal=principal)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
