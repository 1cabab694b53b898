"""Routes for a person's documentation records."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from sqlmodel.ext.asyncio.session import AsyncSession

from homeward.common.auth import Principal
from homeward.common.crypto import IdentityVault
from homeward.common.openapi import problem_responses
from homeward.common.purpose import PurposeIfStated
from homeward.common.service import SessionDep
from homeward.common.vocabulary import IdentityPurpose
from homeward.documents.api.deps import CatalogueDep, RecordReader, RecordWriter, VaultDep
from homeward.documents.api.schemas import (
    CaseRecordsView,
    PersonRecordsView,
    RecordPage,
    RecordSummaryView,
    RecordView,
)
from homeward.documents.api.views import case_records_view, record_view
from homeward.documents.commands import ChangeStatus, CreateRecord, UpdateRecordDetails
from homeward.documents.domain.records import RecordStatus
from homeward.documents.handlers import record_reads as reads
from homeward.documents.handlers import records as handlers
from homeward.documents.handlers import views
from homeward.documents.handlers.access import person_in_scope

router = APIRouter(prefix="/v1", tags=["records"])


@router.get("/records", name="list_municipality_records", response_model=RecordPage)
async def list_municipality_records(
    request: Request,
    principal: RecordReader,
    session: SessionDep,
    record_status: Annotated[RecordStatus | None, Query(alias="status")] = None,
    expiring_within_days: Annotated[
        int | None,
        Query(ge=0, le=366, description="issued documents expiring by then, soonest first"),
    ] = None,
    limit: Annotated[int, Query(ge=1)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> RecordPage:
    """Your municipality's records (no protected fields), e.g. those expiring within 30 days."""
    limit = min(limit, request.app.state.parts.settings.max_page_size)
    listing = await views.list_records(
        session, principal=principal, status=record_status,
        expiring_within_days=expiring_within_days, limit=limit, offset=offset,
    )  # fmt: skip
    return RecordPage(
        items=[
            RecordSummaryView(
                id=record.id,
                case_id=record.case_id,
                case_code=person.case_code,
                person_id=record.person_id,
                person_code=person.person_code,
                document_type=record.document_type,
                status=record.status,
                expiry_on=record.expiry_on,
                updated_at=record.updated_at,
            )
            for record, person in listing.records
        ],
        total=listing.total,
        next_offset=offset + limit if offset + limit < listing.total else None,
    )


@router.get("/persons/{person_id}/records", name="list_records", response_model=PersonRecordsView)
async def list_records(
    person_id: str,
    principal: RecordReader,
    session: SessionDep,
    vault: VaultDep,
    purpose: PurposeIfStated,
) -> PersonRecordsView:
    """A person's documentation records with their history (reference numbers: X-Purpose)."""
    person = await person_in_scope(session, person_id=person_id, principal=principal)
    details = await reads.list_records(
        session, principal=principal, person_id=person_id, vault=vault, purpose=purpose
    )
    return PersonRecordsView(person_id=person.id, person_code=person.person_code,
                             case_code=person.case_code,
                             records=[record_view(d) for d in details])  # fmt: skip


@router.get("/cases/{case_id}/records", name="read_case_records", response_model=CaseRecordsView)
async def read_case_records(
    case_id: str, principal: RecordReader, session: SessionDep
) -> CaseRecordsView:
    """A case's documentation history: every person's records with their status changes,
    and its documentation tasks (no reference numbers, blockers or reasons: no purpose)."""
    return case_records_view(
        await reads.case_history(session, principal=principal, case_id=case_id)
    )


@router.post(
    "/persons/{person_id}/records",
    name="create_record",
    responses=problem_responses(409, 410),
    response_model=RecordView,
    status_code=status.HTTP_201_CREATED,
)
async def create_record(
    person_id: str,
    command: CreateRecord,
    principal: RecordWriter,
    session: SessionDep,
    catalogue: CatalogueDep,
    vault: VaultDep,
    purpose: PurposeIfStated,
) -> RecordView:
    """Add a record for a document type the person needs; it starts as missing."""
    record = await handlers.create_record(
        session, principal=principal, person_id=person_id, command=command,
        catalogue=catalogue, vault=vault,
    )  # fmt: skip
    return await _record_as_seen(
        session, principal=principal, record_id=record.id, vault=vault, purpose=purpose
    )


@router.get("/records/{record_id}", name="read_record", response_model=RecordView)
async def read_record(
    record_id: str,
    principal: RecordReader,
    session: SessionDep,
    vault: VaultDep,
    purpose: PurposeIfStated,
) -> RecordView:
    """One record with its history (its reference number with a stated X-Purpose)."""
    return await _record_as_seen(
        session, principal=principal, record_id=record_id, vault=vault, purpose=purpose
    )


@router.patch(
    "/records/{record_id}",
    name="update_record_details",
    responses=problem_responses(409, 410),
    response_model=RecordView,
)
async def update_record_details(
    record_id: str,
    command: UpdateRecordDetails,
    principal: RecordWriter,
    session: SessionDep,
    catalogue: CatalogueDep,
    vault: VaultDep,
    purpose: PurposeIfStated,
) -> RecordView:
    """Change a record's details (authority, reference, blocker, dates), not its status."""
    await handlers.update_details(session, principal=principal, record_id=record_id,
                                  command=command, catalogue=catalogue, vault=vault)  # fmt: skip
    return await _record_as_seen(
        session, principal=principal, record_id=record_id, vault=vault, purpose=purpose
    )


@router.post(
    "/records/{record_id}/status",
    name="change_record_status",
    responses=problem_responses(409, 410),
    response_model=RecordView,
)
async def change_record_status(
    record_id: str,
    command: ChangeStatus,
    principal: RecordWriter,
    session: SessionDep,
    catalogue: CatalogueDep,
    vault: VaultDep,
    purpose: PurposeIfStated,
) -> RecordView:
    """Move a record to another status; illegal moves get 409 with the allowed ones."""
    await handlers.change_status(session, principal=principal, record_id=record_id,
                                 command=command, catalogue=catalogue, vault=vault)  # fmt: skip
    return await _record_as_seen(
        session, principal=principal, record_id=record_id, vault=vault, purpose=purpose
    )


async def _record_as_seen(
    session: AsyncSession,
    *,
    principal: Principal,
    record_id: str,
    vault: IdentityVault,
    purpose: IdentityPurpose | None,
) -> RecordView:
    """The record as the caller may see it (reading protected fields is audited)."""
    return record_view(
        await reads.read_record(
            session, principal=principal, record_id=record_id, vault=vault, purpose=purpose
        )
    )
