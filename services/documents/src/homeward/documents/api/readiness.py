"""Routes for readiness, documentation tasks, the overview and the catalogue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from homeward.common.service import SessionDep
from homeward.documents.api.deps import (
    CatalogueDep,
    CatalogueReader,
    OverviewReader,
    ReadinessReader,
    RecordReader,
)
from homeward.documents.api.schemas import (
    CatalogueView,
    OverviewView,
    PartnerReadinessView,
    ReadinessView,
    TaskPage,
)
from homeward.documents.api.views import task_view
from homeward.documents.domain.tasks import TaskStatus
from homeward.documents.handlers import views as handlers

router = APIRouter(prefix="/v1", tags=["readiness"])


@router.get(
    "/persons/{person_id}/readiness",
    name="read_readiness",
    response_model=ReadinessView | PartnerReadinessView,
)
async def read_readiness(
    person_id: str, principal: ReadinessReader, session: SessionDep, catalogue: CatalogueDep
) -> ReadinessView | PartnerReadinessView:
    """Service readiness; partners see ready-or-not for their agency's categories only."""
    if handlers.is_partner_only(principal):
        ready = await handlers.read_partner_readiness(
            session, principal=principal, person_id=person_id, catalogue=catalogue
        )
        return PartnerReadinessView(person_id=person_id, ready=ready)
    person, readiness = await handlers.read_readiness(
        session, principal=principal, person_id=person_id, catalogue=catalogue
    )
    return ReadinessView(
        person_id=person.id,
        person_code=person.person_code,
        ready_categories=sorted(readiness.ready),
        missing=dict(readiness.missing),
        rules_version=catalogue.rules.version,
    )


@router.get(
    "/cases/{case_id}/readiness", name="read_case_readiness", response_model=list[ReadinessView]
)
async def read_case_readiness(
    case_id: str, principal: RecordReader, session: SessionDep, catalogue: CatalogueDep
) -> list[ReadinessView]:
    """Service readiness of every person of a case (staff only: partners read per person)."""
    found = await handlers.read_case_readiness(
        session, principal=principal, case_id=case_id, catalogue=catalogue
    )
    return [
        ReadinessView(
            person_id=person.id,
            person_code=person.person_code,
            ready_categories=sorted(readiness.ready),
            missing=dict(readiness.missing),
            rules_version=catalogue.rules.version,
        )
        for person, readiness in found
    ]


@router.get("/tasks", name="list_tasks", response_model=TaskPage)
async def list_tasks(
    request: Request,
    principal: RecordReader,
    session: SessionDep,
    task_status: Annotated[TaskStatus, Query(alias="status")] = TaskStatus.OPEN,
    limit: Annotated[int, Query(ge=1)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> TaskPage:
    """Documentation tasks of your municipality, oldest first."""
    limit = min(limit, request.app.state.parts.settings.max_page_size)
    listing = await handlers.list_tasks(
        session, principal=principal, status=task_status, limit=limit, offset=offset
    )
    return TaskPage(
        items=[task_view(task, code) for task, code in listing.tasks],
        total=listing.total,
        next_offset=offset + limit if offset + limit < listing.total else None,
    )


@router.get("/overview", name="read_overview", response_model=OverviewView)
async def read_overview(
    principal: OverviewReader, session: SessionDep, catalogue: CatalogueDep
) -> OverviewView:
    """Your municipality in numbers; counts under 5 are shown as "<5"."""
    summary = await handlers.overview(session, principal=principal, catalogue=catalogue)
    return OverviewView(**summary.__dict__)


@router.get("/catalogue", name="read_catalogue", response_model=CatalogueView)
async def read_catalogue(_reader: CatalogueReader, catalogue: CatalogueDep) -> CatalogueView:
    """Document types, service categories and the readiness rules in force."""
    return CatalogueView(
        document_types=list(catalogue.document_types),
        service_categories=list(catalogue.service_categories),
        rules_version=catalogue.rules.version,
        rules={c: [list(r) for r in reqs] for c, reqs in catalogue.rules.categories.items()},
    )
