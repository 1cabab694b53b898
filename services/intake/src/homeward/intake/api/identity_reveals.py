"""Routes for identity reads outside a case's own endpoint: a partner agency's need-to-know
reveal and the civil registry's read. One route shape, registered once per reader: only who
may call, the rule that decides (the handler) and what its 404 means differ.

No `from __future__ import annotations` here: the route's annotations must be the objects the
factory was given (FastAPI reads them), not strings naming its locals.
"""

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter

from homeward.common.openapi import problem_responses
from homeward.common.purpose import StatedPurpose
from homeward.common.service import SessionDep
from homeward.intake.api.deps import DocumentsOfficer, PartnerAgency, SettingsDep, VaultDep
from homeward.intake.api.schemas import AgencyIdentityView
from homeward.intake.handlers.agency_identity import reveal_to_agency
from homeward.intake.handlers.identities import OpenedIdentity
from homeward.intake.handlers.registry_identity import reveal_to_registry

router = APIRouter(tags=["protected data"])

Reveal = Callable[..., Awaitable[OpenedIdentity]]


def _with_description(
    responses: dict[int | str, dict[str, Any]], status: int, description: str
) -> dict[int | str, dict[str, Any]]:
    return {**responses, status: {**responses[status], "description": description}}


def _add_reveal_route(
    *, reader: str, name: str, caller: Any, reveal: Reveal, not_found: str, description: str
) -> None:
    """`GET /v1/{reader}/persons/{person_id}/identity`: the name and birth date that `reveal`
    opens for `caller` (a dependency admitting the reader's role)."""

    async def reveal_identity(
        person_id: str,
        principal: caller,  # first: no token is 401 before the purpose is looked at
        purpose: StatedPurpose,
        session: SessionDep,
        vault: VaultDep,
        settings: SettingsDep,
    ) -> AgencyIdentityView:
        opened = await reveal(
            session,
            principal=principal,
            person_id=person_id,
            purpose=purpose,
            vault=vault,
            reads_per_minute=settings.identity_reads_per_minute,
        )
        return AgencyIdentityView(
            person_id=opened.person_id,
            person_code=opened.person_code,
            full_name=opened.values["full_name"] or "",
            date_of_birth=opened.date_of_birth,
        )

    router.add_api_route(
        f"/v1/{reader}/persons/{{person_id}}/identity",
        reveal_identity,
        methods=["GET"],
        name=name,
        description=description,
        response_model=AgencyIdentityView,
        # 429: the read limit of every identity read. The 404 says what it means here.
        responses=_with_description(problem_responses(404, 410, 429), 404, not_found),
    )


_add_reveal_route(
    reader="agency",
    name="reveal_identity_to_agency",
    caller=PartnerAgency,
    reveal=reveal_to_agency,
    not_found="No accepted, open referral of yours, or no consent to identity",
    description="Reveal a referred person's name and birth date to your agency, for a stated "
    "purpose.",
)
_add_reveal_route(
    reader="registry",
    name="reveal_identity_to_registry",
    caller=DocumentsOfficer,
    reveal=reveal_to_registry,
    not_found="No such person in your municipality",
    description="The name and birth date to issue papers in, for the purpose `documentation` "
    "(audited).",
)
