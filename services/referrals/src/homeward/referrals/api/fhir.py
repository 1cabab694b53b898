"""FHIR R4 routes for partner systems that speak FHIR: Task (read, search, update),
ServiceRequest (read) and the CapabilityStatement, in application/fhir+json, refusing with
OperationOutcome. The same roles (403) and scope (404) as the REST API's referral routes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request

from homeward.common.errors import Unprocessable
from homeward.common.service import SessionDep
from homeward.common.storable import MESSAGE, first_unstorable
from homeward.referrals.api.deps import ReferralReader, RequesterOrAgency, SettingsDep
from homeward.referrals.domain.lifecycle import ReferralState
from homeward.referrals.fhir import mapping
from homeward.referrals.fhir.capabilities import capability_statement
from homeward.referrals.fhir.mapping import FHIR_JSON
from homeward.referrals.fhir.outcome import FhirResponse, FhirRoute
from homeward.referrals.fhir.schemas import (
    FhirBundle,
    FhirCapabilityStatement,
    FhirOperationOutcome,
    FhirServiceRequest,
    FhirTask,
)
from homeward.referrals.handlers import fhir as handlers

BASE = "/fhir/R4"
# FHIR's id type: what a Task, ServiceRequest or Organization id may be, and nothing else.
FHIR_ID = r"[A-Za-z0-9\-\.]{1,64}"
ResourceId = Annotated[str, Path(pattern=f"^{FHIR_ID}$")]
ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": FhirOperationOutcome, "description": description}
    for status, description in (
        (401, "No valid bearer token"), (403, "Your role may not do this"),
        (404, "No such resource, or not yours to see"), (422, "Invalid request"),
    )
}  # fmt: skip
SEARCH_ERRORS = {status: ERRORS[status] for status in (401, 403, 422)}
UPDATE_ERRORS = {**ERRORS, 409: {"model": FhirOperationOutcome,
                                 "description": "Not allowed from the current status"}}  # fmt: skip
TASK_EXAMPLE = {
    "resourceType": "Task", "id": "8c3d2e5a-0000-4000-8000-000000000004", "status": "rejected",
    "intent": "order",
    "statusReason": {"coding": [{"system": mapping.REASON_SYSTEM, "code": "no-capacity"}],
                     "text": "no capacity"},
}  # fmt: skip

router = APIRouter(
    prefix=BASE, tags=["fhir"], route_class=FhirRoute, default_response_class=FhirResponse
)


def _base_url(request: Request) -> str:
    return f"{str(request.base_url).rstrip('/')}{BASE}"


@router.get("/metadata", name="fhir_capabilities", response_model=FhirCapabilityStatement)
async def capabilities(request: Request) -> FhirResponse:
    """The CapabilityStatement: what this FHIR server offers (no token needed)."""
    return FhirResponse(capability_statement(_base_url(request)))


@router.get("/Task/{task_id}", name="fhir_read_task", response_model=FhirTask, responses=ERRORS)
async def read_task(
    task_id: ResourceId, principal: ReferralReader, session: SessionDep, settings: SettingsDep
) -> FhirResponse:
    """A referral as a FHIR Task."""
    return FhirResponse(await handlers.read_task(session, principal=principal, task_id=task_id,
                                          settings=settings))  # fmt: skip


@router.get("/Task", name="fhir_search_tasks", response_model=FhirBundle, responses=SEARCH_ERRORS)
async def search_tasks(
    request: Request,
    principal: ReferralReader,
    session: SessionDep,
    settings: SettingsDep,
    status: ReferralState | None = None,
    owner: Annotated[
        str | None, Query(pattern=f"^(Organization/)?{FHIR_ID}$", description="Organization/<id>")
    ] = None,
    last_updated: Annotated[
        str | None,
        Query(alias="_lastUpdated", max_length=40, description="gt<instant>: changed since"),
    ] = None,
    count: Annotated[int, Query(alias="_count", ge=1)] = 20,
    offset: Annotated[int, Query(alias="_offset", ge=0, le=100_000)] = 0,
) -> FhirResponse:
    """Tasks you may see, by status, owner (the agency) and last change, as a paged Bundle."""
    count = min(count, settings.max_page_size)
    tasks, total = await handlers.search_tasks(
        session, principal=principal, status=status, count=count, offset=offset,
        owner=owner.removeprefix("Organization/") if owner else None,
        changed_after=_changed_after(last_updated), settings=settings,
    )  # fmt: skip
    base = _base_url(request)
    params = {k: v for k, v in request.query_params.items() if k not in ("_count", "_offset")}

    def page(at: int) -> str:
        return f"{base}/Task?{urlencode({**params, '_count': count, '_offset': at})}"

    links = {"self": page(offset)}
    if offset + count < total:
        links["next"] = page(offset + count)
    if offset > 0:
        links["previous"] = page(max(offset - count, 0))
    return FhirResponse(mapping.searchset(tasks, total=total, base_url=base, links=links))


def _changed_after(last_updated: str | None) -> datetime | None:
    """`_lastUpdated=gt<instant>`, the polling SDOHCC's "Checking Task Status" shows; a date or
    a time without a zone is taken as UTC."""
    if last_updated is None:
        return None
    try:
        if not last_updated.startswith("gt"):
            raise ValueError
        moment = datetime.fromisoformat(last_updated[2:])
    except ValueError:
        raise Unprocessable(
            "_lastUpdated takes gt and an instant, e.g. gt2026-12-01T08:00:00Z"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@router.put(
    "/Task/{task_id}",
    name="fhir_update_task",
    response_model=FhirTask,
    responses=UPDATE_ERRORS,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                FHIR_JSON: {
                    "schema": {"$ref": "#/components/schemas/FhirTask"},
                    "example": TASK_EXAMPLE,
                }
            },
        }
    },
)
async def update_task(
    task_id: ResourceId,
    request: Request,
    principal: RequesterOrAgency,
    session: SessionDep,
    settings: SettingsDep,
) -> FhirResponse:
    """Move a referral by its Task's new status (with statusReason or an outcome output)."""
    # Read here, after the token was checked: a bad body from nobody gets 401, not 422.
    try:
        body = json.loads(await request.body())
    except (ValueError, RecursionError):  # not JSON, or nested past what a Task needs
        raise Unprocessable("the body must be a FHIR Task in JSON") from None
    if not isinstance(body, dict):
        raise Unprocessable("the body must be a FHIR Task in JSON")
    if first_unstorable(body) is not None:  # the one body that is not a `Command`
        raise Unprocessable(f"the Task's {MESSAGE}")
    return FhirResponse(await handlers.update_task(session, principal=principal, task_id=task_id,
                                            body=body, settings=settings))  # fmt: skip


@router.get(
    "/ServiceRequest/{request_id}",
    name="fhir_read_service_request",
    response_model=FhirServiceRequest,
    responses=ERRORS,
)
async def read_service_request(
    request_id: ResourceId, principal: ReferralReader, session: SessionDep
) -> FhirResponse:
    """The referral as the FHIR ServiceRequest its Task fulfils."""
    return FhirResponse(await handlers.read_service_request(session, principal=principal,
                                                     request_id=request_id))  # fmt: skip
