"""Routes for protected data: identities, receiving family, assessments; and erasure."""

from __future__ import annotations

from fastapi import APIRouter, status

from homeward.common.errors import NotFound
from homeward.common.openapi import problem_responses
from homeward.common.purpose import StatedPurpose
from homeward.common.service import SessionDep
from homeward.intake.api.deps import (
    CaseReader,
    CaseWriter,
    SeesNotes,
    SettingsDep,
    Supervisor,
    VaultDep,
)
from homeward.intake.api.schemas import (
    AssessmentView,
    ErasureView,
    IdentityRecorded,
    IdentityView,
    ReceivingFamilyView,
)
from homeward.intake.commands import ProtectedIdentity, RecordAssessment, RecordReceivingFamily
from homeward.intake.handlers import care, identities

router = APIRouter(prefix="/v1/cases/{case_id}", tags=["protected data"])
PERSON = "/persons/{person_id}"


@router.put(
    f"{PERSON}/identity",
    name="record_identity",
    responses=problem_responses(409, 410),
    response_model=IdentityRecorded,
)
async def record_identity(
    case_id: str,
    person_id: str,
    identity: ProtectedIdentity,
    principal: CaseWriter,
    session: SessionDep,
    vault: VaultDep,
) -> IdentityRecorded:
    """Record or replace a person's protected identity (stored encrypted, never echoed)."""
    person, fields = await identities.record_identity(
        session,
        principal=principal,
        case_id=case_id,
        person_id=person_id,
        identity=identity,
        vault=vault,
    )
    return IdentityRecorded(person_id=person.id, person_code=person.code, fields=fields)


@router.get(
    f"{PERSON}/identity",
    name="read_identity",
    responses=problem_responses(410, 429),
    response_model=IdentityView,
)
async def read_identity(
    case_id: str,
    person_id: str,
    principal: CaseReader,  # first: no token is 401 before the purpose is looked at
    purpose: StatedPurpose,
    session: SessionDep,
    vault: VaultDep,
    settings: SettingsDep,
) -> IdentityView:
    """Read a person's identity for a stated purpose; every read is audited."""
    opened = await identities.read_identity(
        session,
        principal=principal,
        case_id=case_id,
        person_id=person_id,
        purpose=purpose,
        vault=vault,
        reads_per_minute=settings.identity_reads_per_minute,
    )
    return IdentityView(
        person_id=opened.person_id,
        person_code=opened.person_code,
        full_name=opened.values["full_name"] or "",
        date_of_birth=opened.date_of_birth,
        place_of_birth=opened.values["place_of_birth"],
        national_id=opened.values["national_id"],
        address=opened.values["address"],
        phone=opened.values["phone"],
    )


@router.post(
    "/erasure",
    name="erase_case_identities",
    responses=problem_responses(409),
    response_model=ErasureView,
    status_code=status.HTTP_200_OK,
)
async def erase_case_identities(
    case_id: str, principal: Supervisor, session: SessionDep, vault: VaultDep
) -> ErasureView:
    """Erase the case's identities and notes for good by destroying its data key."""
    case, erased_at = await identities.erase_case_identities(
        session, principal=principal, case_id=case_id, vault=vault
    )
    return ErasureView(case_code=case.code, erased_at=erased_at)


@router.put(
    "/receiving-family",
    name="record_receiving_family",
    responses=problem_responses(409),
    response_model=ReceivingFamilyView,
)
async def record_receiving_family(
    case_id: str,
    command: RecordReceivingFamily,
    principal: CaseWriter,
    session: SessionDep,
    vault: VaultDep,
) -> ReceivingFamilyView:
    """Record the receiving family: relation, support capacity, whether a positive support."""
    return await care.record_receiving_family(
        session, principal=principal, case_id=case_id, command=command, vault=vault
    )


@router.get("/receiving-family", name="read_receiving_family", response_model=ReceivingFamilyView)
async def read_receiving_family(
    case_id: str, principal: CaseReader, with_notes: SeesNotes, session: SessionDep, vault: VaultDep
) -> ReceivingFamilyView:
    """Read the receiving family; notes are shown to coordinators only."""
    return await care.read_receiving_family(
        session,
        principal=principal,
        case_id=case_id,
        with_notes=with_notes,
        vault=vault,
    )


@router.post(
    f"{PERSON}/assessments",
    name="record_assessment",
    responses=problem_responses(409),
    response_model=AssessmentView,
    status_code=status.HTTP_201_CREATED,
)
async def record_assessment(
    case_id: str,
    person_id: str,
    command: RecordAssessment,
    principal: CaseWriter,
    session: SessionDep,
    vault: VaultDep,
) -> AssessmentView:
    """Record a dated needs assessment for a person (append-only)."""
    return await care.record_assessment(
        session,
        principal=principal,
        case_id=case_id,
        person_id=person_id,
        command=command,
        vault=vault,
    )


@router.get(f"{PERSON}/assessments", name="list_assessments", response_model=list[AssessmentView])
async def list_assessments(
    case_id: str,
    person_id: str,
    principal: CaseReader,
    with_notes: SeesNotes,
    session: SessionDep,
    vault: VaultDep,
) -> list[AssessmentView]:
    """A person's assessment history, newest first; notes for coordinators only."""
    return await care.list_assessments(
        session,
        principal=principal,
        case_id=case_id,
        person_id=person_id,
        with_notes=with_notes,
        vault=vault,
    )


@router.get("/assessments", name="list_case_assessments", response_model=list[AssessmentView])
async def list_case_assessments(
    case_id: str,
    principal: CaseReader,
    with_notes: SeesNotes,
    session: SessionDep,
    vault: VaultDep,
) -> list[AssessmentView]:
    """Every person's assessments in the case, newest first (one read for a family page)."""
    return await care.list_assessments(
        session,
        principal=principal,
        case_id=case_id,
        person_id=None,
        with_notes=with_notes,
        vault=vault,
    )


@router.get(
    f"{PERSON}/assessments/latest",
    name="read_latest_assessment",
    response_model=AssessmentView,
)
async def read_latest_assessment(
    case_id: str,
    person_id: str,
    principal: CaseReader,
    with_notes: SeesNotes,
    session: SessionDep,
    vault: VaultDep,
) -> AssessmentView:
    """A person's latest assessment; notes for coordinators only."""
    found = await care.list_assessments(
        session,
        principal=principal,
        case_id=case_id,
        person_id=person_id,
        with_notes=with_notes,
        vault=vault,
        latest_only=True,
    )
    if not found:
        raise NotFound("no assessment is recorded for this person yet")
    return found[0]
