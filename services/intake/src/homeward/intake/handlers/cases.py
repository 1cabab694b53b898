"""Registering a family, adding persons, assigning a coordinator, and reading (closing is in
`closures`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from homeward.common.audit import record_audit
from homeward.common.auth import Principal
from homeward.common.codes import CodeKind, parse_code
from homeward.common.contracts.intake import CaseRegistered, CoordinatorAssigned, PersonAdded
from homeward.common.crypto import FieldCipher, IdentityVault
from homeward.common.db import utcnow
from homeward.common.errors import NotFound, Unprocessable
from homeward.intake.adapters.tables import CaseRow, IdentityRow, PersonRow
from homeward.intake.commands import AssignCoordinator, NewPerson, RegisterCase
from homeward.intake.domain.cases import CaseStatus
from homeward.intake.domain.codes import new_case_code, new_person_code
from homeward.intake.domain.errors import RuleViolation
from homeward.intake.domain.persons import (
    AgeGroup,
    HouseholdMember,
    age_group,
    check_birth_year,
    check_guardian,
)
from homeward.intake.handlers.access import (
    CASE_NOT_FOUND,
    case_in_scope,
    case_to_change,
    municipality_of,
    stage_case_event,
)
from homeward.intake.handlers.identities import seal_identity
from homeward.intake.handlers.staff import assignable_coordinator

CODE_ATTEMPTS = 8


@dataclass(frozen=True, kw_only=True)
class PersonRecord:
    person: PersonRow
    age_group: AgeGroup
    has_identity: bool


async def _unused_codes(
    session: AsyncSession, column: Any, make: Callable[[], str], count: int
) -> list[str]:
    """`count` distinct new codes, checked against the table in one query."""
    # 29^6 codes make a clash rare; the unique constraint still guards a concurrent twin.
    for _ in range(CODE_ATTEMPTS):
        codes = {make() for _ in range(count)}
        if len(codes) < count:
            continue
        if (await session.exec(select(column).where(col(column).in_(codes)))).first() is None:
            return list(codes)
    raise RuntimeError("could not find unused codes; the code space needs widening")


async def register_case(
    session: AsyncSession, *, principal: Principal, command: RegisterCase, vault: IdentityVault
) -> tuple[CaseRow, list[PersonRecord]]:
    municipality = municipality_of(principal)
    now = utcnow()
    _check_new_household(command.persons, current_year=now.year)
    [case_code] = await _unused_codes(session, CaseRow.code, new_case_code, 1)
    person_codes = await _unused_codes(
        session, PersonRow.code, new_person_code, len(command.persons)
    )
    case = CaseRow(
        code=case_code,
        municipality=municipality,
        return_operation=command.return_operation,
        arrival_date=command.arrival_date,
        placement=command.placement.value,
        status=CaseStatus.OPEN.value,
        coordinator=principal.username,
        registered_at=now,
        registered_by=principal.actor,
    )
    # Nothing is flushed until the commit: the rows go out in a few batched statements.
    session.add(case)
    cipher = await vault.create_key(session, case.id)
    stage_case_event(
        session,
        case=case,
        event=CaseRegistered(
            case_id=case.id,
            case_code=case.code,
            municipality=case.municipality,
            placement=case.placement,
            arrival_date=case.arrival_date,
            person_count=len(command.persons),
            registered_at=now,
        ),
    )
    records: list[PersonRecord] = []
    ids_by_ref: dict[str, str] = {}
    for new, code in zip(command.persons, person_codes, strict=True):
        guardian_id = ids_by_ref.get(new.guardian_ref) if new.guardian_ref else None
        record = _add_person(
            session,
            case=case,
            new=new,
            code=code,
            guardian_id=guardian_id,
            cipher=cipher,
            principal=principal,
        )
        records.append(record)
        if new.ref:
            ids_by_ref[new.ref] = record.person.id
    record_audit(session, principal=principal, action="case.registered", case_code=case.code)
    await session.commit()
    return case, records


def _check_new_household(persons: Sequence[NewPerson], *, current_year: int) -> None:
    """Guardians named by `ref` must be adults listed earlier in the same request."""
    members: dict[str, HouseholdMember] = {}
    for position, new in enumerate(persons):
        where = f"persons[{position}]"
        if new.guardian_person_id is not None:
            raise RuleViolation(f"{where}: a new case has no persons yet; use guardian_ref")
        if new.ref is not None and new.ref in members:
            raise RuleViolation(f"{where}: ref is used twice; give each person its own ref")
        try:
            group = age_group(new.birth_year, current_year=current_year)
            check_guardian(person_age_group=group, guardian_key=new.guardian_ref, members=members)
        except RuleViolation as problem:
            raise RuleViolation(f"{where}: {problem}") from None
        if new.ref is not None:
            members[new.ref] = HouseholdMember(age_group=group)


async def add_person(
    session: AsyncSession,
    *,
    principal: Principal,
    case_id: str,
    command: NewPerson,
    vault: IdentityVault,
) -> PersonRecord:
    case = await case_to_change(session, case_id=case_id, principal=principal)
    current_year = utcnow().year
    if command.guardian_ref is not None:
        raise RuleViolation(
            "guardian_ref only links persons registered together; use guardian_person_id"
        )
    members = {
        person.id: HouseholdMember(
            age_group=age_group(person.birth_year, current_year=current_year)
        )
        for person in (await session.exec(select(PersonRow).where(PersonRow.case_id == case.id)))
    }
    group = age_group(command.birth_year, current_year=current_year)
    check_guardian(person_age_group=group, guardian_key=command.guardian_person_id, members=members)
    cipher = None
    if command.identity is not None:
        if case.identities_erased_at is not None:
            raise RuleViolation("this case's identities were erased; add the person without one")
        cipher = await vault.cipher_for(session, case.id)
    [code] = await _unused_codes(session, PersonRow.code, new_person_code, 1)
    record = _add_person(
        session,
        case=case,
        new=command,
        code=code,
        guardian_id=command.guardian_person_id,
        cipher=cipher,
        principal=principal,
    )
    await session.commit()
    return record


def _add_person(
    session: AsyncSession,
    *,
    case: CaseRow,
    new: NewPerson,
    code: str,
    guardian_id: str | None,
    cipher: FieldCipher | None,
    principal: Principal,
) -> PersonRecord:
    now = utcnow()
    check_birth_year(new.birth_year, current_year=now.year)
    person = PersonRow(
        case_id=case.id,
        code=code,
        household_role=new.household_role.value,
        birth_year=new.birth_year,
        sex=new.sex.value,
        guardian_id=guardian_id,
        added_at=now,
    )
    session.add(person)
    sealed = False
    if new.identity is not None and cipher is not None:
        seal_identity(
            session,
            principal=principal,
            case=case,
            person=person,
            identity=new.identity,
            cipher=cipher,
        )
        sealed = True
    group = age_group(person.birth_year, current_year=now.year)
    stage_case_event(
        session,
        case=case,
        event=PersonAdded(
            case_id=case.id,
            case_code=case.code,
            municipality=case.municipality,
            person_id=person.id,
            person_code=person.code,
            household_role=person.household_role,
            birth_year=person.birth_year,
            sex=person.sex,
            age_group=group.value,
            guardian_person_id=guardian_id,
        ),
    )
    return PersonRecord(person=person, age_group=group, has_identity=sealed)


async def assign_coordinator(
    session: AsyncSession,
    *,
    principal: Principal,
    case_id: str,
    command: AssignCoordinator,
    seen_within: timedelta,
) -> CaseRow:
    case = await case_to_change(session, case_id=case_id, principal=principal)
    coordinator = await assignable_coordinator(
        session,
        username=command.coordinator,
        municipality=case.municipality,
        seen_within=seen_within,
    )
    case.coordinator = coordinator.username
    session.add(case)
    stage_case_event(
        session,
        case=case,
        event=CoordinatorAssigned(
            case_id=case.id,
            case_code=case.code,
            municipality=case.municipality,
            coordinator=coordinator.username,
            assigned_at=utcnow(),
        ),
    )
    record_audit(
        session, principal=principal, action="case.coordinator_assigned", case_code=case.code
    )
    await session.commit()
    return case


# --- reads --------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CaseListing:
    cases: list[tuple[CaseRow, int]]
    total: int


# `GET /v1/cases?coordinator=me`: the caller's own caseload.
ME = "me"


async def list_cases(
    session: AsyncSession,
    *,
    principal: Principal,
    status: str | None,
    placement: str | None,
    municipality: str | None,
    coordinator: str | None,
    limit: int,
    offset: int,
) -> CaseListing:
    own = municipality_of(principal)
    if municipality is not None and municipality.strip().lower() != own:
        return CaseListing(cases=[], total=0)  # other municipalities hold nothing for you
    conditions = [CaseRow.municipality == own]
    if coordinator == ME:
        if not principal.username:
            raise Unprocessable("coordinator=me: your token carries no username")
        coordinator = principal.username
    if coordinator is not None:
        conditions.append(CaseRow.coordinator == coordinator)
    if status is not None:
        conditions.append(CaseRow.status == status)
    if placement is not None:
        conditions.append(CaseRow.placement == placement)
    total = (await session.exec(select(func.count()).select_from(CaseRow).where(*conditions))).one()
    person_count = (
        select(func.count())
        .select_from(PersonRow)
        .where(PersonRow.case_id == CaseRow.id)
        .scalar_subquery()
    )
    rows = await session.exec(
        select(CaseRow, person_count)
        .where(*conditions)
        .order_by(col(CaseRow.registered_at).desc(), col(CaseRow.id))
        .limit(limit)
        .offset(offset)
    )
    return CaseListing(cases=[(case, count) for case, count in rows.all()], total=total)


async def read_case(
    session: AsyncSession, *, principal: Principal, case_id: str
) -> tuple[CaseRow, list[PersonRecord]]:
    case = await case_in_scope(session, case_id=case_id, principal=principal)
    return case, await persons_of(session, case=case)


async def find_case(
    session: AsyncSession, *, principal: Principal, typed_code: str
) -> tuple[CaseRow, list[PersonRecord]]:
    """The case a case or person code names, typed any way (homeward.common.codes), when it
    is in the caller's municipality; anything else, a malformed code included, is 404."""
    municipality = municipality_of(principal)
    code = parse_code(typed_code)
    case: CaseRow | None = None
    if code is not None and code.kind is CodeKind.CASE:
        case = (await session.exec(select(CaseRow).where(CaseRow.code == code.value))).first()
    elif code is not None:
        person = (await session.exec(select(PersonRow).where(PersonRow.code == code.value))).first()
        case = await session.get(CaseRow, person.case_id) if person else None
    if case is None or case.municipality != municipality:
        raise NotFound(CASE_NOT_FOUND)
    return case, await persons_of(session, case=case)


async def persons_of(session: AsyncSession, *, case: CaseRow) -> list[PersonRecord]:
    """The persons of a case already in scope, in the order they were added."""
    persons = (
        await session.exec(
            select(PersonRow).where(PersonRow.case_id == case.id).order_by(col(PersonRow.added_at))
        )
    ).all()
    with_identity = set(
        (
            await session.exec(select(IdentityRow.person_id).where(IdentityRow.case_id == case.id))
        ).all()
    )
    current_year = utcnow().year
    return [
        PersonRecord(
            person=person,
            age_group=age_group(person.birth_year, current_year=current_year),
            has_identity=person.id in with_identity and case.identities_erased_at is None,
        )
        for person in persons
    ]
