"""Routes for cases and their persons (pseudonymous data only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, status

from homeward.common.codes import CODE_MAX_LENGTH
from homeward.common.openapi import problem_responses
from homeward.common.service import SessionDep
from homeward.intake.api.deps import CaseReader, CaseWriter, Decider, SettingsDep, VaultDep
from homeward.intake.api.schemas import CasePage, CaseView, PersonView
from homeward.intake.api.views import case_summary, case_view, person_view
from homeward.intake.commands import AssignCoordinator, CloseCase, NewPerson, RegisterCase
from homeward.intake.domain.cases import CaseStatus, Placement
from homeward.intake.handlers import cases as handlers
from homeward.intake.handlers import closures

router = APIRouter(prefix="/v1/cases", tags=["cases"])


@router.post("", name="register_case", response_model=CaseView, status_code=status.HTTP_201_CREATED)
async def register_case(
    command: RegisterCase, principal: CaseWriter, session: SessionDep, vault: VaultDep
) -> CaseView:
    """Register a returning family in your municipality, with its persons if known."""
    case, persons = await handlers.register_case(
        session, principal=principal, command=command, vault=vault
    )
    return case_view(case, persons)


@router.get("", name="list_cases", response_model=CasePage)
async def list_cases(
    request: Request,
    principal: CaseReader,
    session: SessionDep,
    case_status: Annotated[CaseStatus | None, Query(alias="status")] = None,
    placement: Placement | None = None,
    municipality: Annotated[str | None, Query(max_length=100)] = None,
    coordinator: Annotated[
        str | None,
        Query(
            max_length=200,
            description="`me` for the cases you coordinate, else a coordinator's username "
            "(see GET /v1/coordinators)",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1)] = 20,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> CasePage:
    """List the cases of your municipality (no identities), newest first; `coordinator=me`:
    the cases you coordinate."""
    max_page = request.app.state.parts.settings.max_page_size
    limit = min(limit, max_page)
    listing = await handlers.list_cases(
        session,
        principal=principal,
        status=case_status.value if case_status else None,
        placement=placement.value if placement else None,
        municipality=municipality,
        coordinator=coordinator,
        limit=limit,
        offset=offset,
    )
    next_offset = offset + limit if offset + limit < listing.total else None
    return CasePage(
        items=[case_summary(case, count) for case, count in listing.cases],
        total=listing.total,
        next_offset=next_offset,
    )


@router.get("/by-code/{code}", name="find_case_by_code", response_model=CaseView)
async def find_case_by_code(
    code: Annotated[str, Path(max_length=CODE_MAX_LENGTH)],
    principal: CaseReader,
    session: SessionDep,
) -> CaseView:
    """The case of a case code (`HW-7KQ3-M9`) or person code (`P-4TXR-8N`), typed any way:
    lower case, without hyphens, with Cyrillic look-alike letters. Names are not searchable."""
    case, persons = await handlers.find_case(session, principal=principal, typed_code=code)
    return case_view(case, persons)


@router.get("/{case_id}", name="read_case", response_model=CaseView)
async def read_case(case_id: str, principal: CaseReader, session: SessionDep) -> CaseView:
    """Read one case with its persons (codes, roles, birth years; no identities)."""
    case, persons = await handlers.read_case(session, principal=principal, case_id=case_id)
    return case_view(case, persons)


@router.put(
    "/{case_id}/coordinator",
    name="assign_coordinator",
    responses=problem_responses(409),
    response_model=CaseView,
)
async def assign_coordinator(
    case_id: str,
    command: AssignCoordinator,
    principal: CaseWriter,
    session: SessionDep,
    settings: SettingsDep,
) -> CaseView:
    """Assign the coordinator responsible for the case."""
    case = await handlers.assign_coordinator(
        session,
        principal=principal,
        case_id=case_id,
        command=command,
        seen_within=settings.staff_seen_within,
    )
    return case_view(case, await handlers.persons_of(session, case=case))


@router.post(
    "/{case_id}/close", name="close_case", responses=problem_responses(409), response_model=CaseView
)
async def close_case(
    case_id: str, command: CloseCase, principal: Decider, session: SessionDep
) -> CaseView:
    """Close the case with a reason (a supervisor's decision); a closed case is read-only."""
    case = await closures.close_case(session, principal=principal, case_id=case_id, command=command)
    return case_view(case, await handlers.persons_of(session, case=case))


@router.post(
    "/{case_id}/persons",
    name="add_person",
    responses=problem_responses(409),
    response_model=PersonView,
    status_code=status.HTTP_201_CREATED,
)
async def add_person(
    case_id: str, command: NewPerson, principal: CaseWriter, session: SessionDep, vault: VaultDep
) -> PersonView:
    """Add a person to the case; a child names an adult of the case as guardian."""
    record = await handlers.add_person(
        session, principal=principal, case_id=case_id, command=command, vault=vault
    )
    return person_view(record)
