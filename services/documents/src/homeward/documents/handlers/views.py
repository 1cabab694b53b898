"""Reads beyond single records: readiness (full, or the partner's ready-or-not), open
documentation tasks, the municipality's records (those expiring soon), and its suppressed
overview."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from homeward.common.auth import Principal, Role
from homeward.common.db import utcnow
from homeward.common.errors import NotFound
from homeward.documents.adapters.tables import PersonRow, ReadinessRow, RecordRow, TaskRow
from homeward.documents.catalogue import Catalogue
from homeward.documents.domain.overview import suppressed, suppressed_median_days
from homeward.documents.domain.readiness import Readiness
from homeward.documents.domain.records import RecordStatus
from homeward.documents.domain.tasks import TaskStatus
from homeward.documents.handlers.access import (
    PERSON_NOT_FOUND,
    agency_categories_for,
    case_persons_in_scope,
    municipality_of,
    person_in_scope,
)
from homeward.documents.handlers.readiness import current_readiness, readiness_of, states_of


async def read_readiness(
    session: AsyncSession, *, principal: Principal, person_id: str, catalogue: Catalogue
) -> tuple[PersonRow, Readiness]:
    person = await person_in_scope(session, person_id=person_id, principal=principal)
    today = utcnow().date()
    return person, await current_readiness(
        session, person_id=person.id, catalogue=catalogue, today=today
    )


async def read_case_readiness(
    session: AsyncSession, *, principal: Principal, case_id: str, catalogue: Catalogue
) -> list[tuple[PersonRow, Readiness]]:
    """Every person of a case in the caller's municipality (a family page in one read); a
    case this service does not know, or of another municipality, is not found."""
    persons = await case_persons_in_scope(session, case_id=case_id, principal=principal)
    records = await session.exec(  # one query for the family, not one per person
        select(RecordRow).where(col(RecordRow.person_id).in_([p.id for p in persons]))
    )
    by_person: dict[str, list[RecordRow]] = defaultdict(list)
    for record in records:
        by_person[record.person_id].append(record)
    today = utcnow().date()
    return [
        (person, readiness_of(states_of(by_person[person.id]), catalogue=catalogue, today=today))
        for person in persons
    ]


async def read_partner_readiness(
    session: AsyncSession, *, principal: Principal, person_id: str, catalogue: Catalogue
) -> dict[str, bool]:
    """Ready or not, for the categories the partner's agency was referred for, nothing else:
    a school has no business learning that a pupil's mother lacks a passport."""
    categories = await agency_categories_for(session, person_id=person_id, principal=principal)
    if not categories or await session.get(PersonRow, person_id) is None:
        raise NotFound(PERSON_NOT_FOUND)
    readiness = await current_readiness(
        session, person_id=person_id, catalogue=catalogue, today=utcnow().date()
    )
    return {category: category in readiness.ready for category in sorted(categories)}


def is_partner_only(principal: Principal) -> bool:
    staff = (Role.DOCUMENTS_OFFICER, Role.COORDINATOR, Role.SUPERVISOR)
    return principal.has_any(Role.PARTNER) and not principal.has_any(*staff)


@dataclass(frozen=True, kw_only=True)
class TaskListing:
    tasks: list[tuple[TaskRow, str | None]]  # with the person code, once intake told us
    total: int


async def list_tasks(
    session: AsyncSession, *, principal: Principal, status: TaskStatus, limit: int, offset: int
) -> TaskListing:
    conditions = [TaskRow.municipality == municipality_of(principal), TaskRow.status == status]
    total = (await session.exec(select(func.count()).select_from(TaskRow).where(*conditions))).one()
    rows = (await session.exec(
        select(TaskRow, PersonRow.person_code)
        .join(PersonRow, col(PersonRow.id) == col(TaskRow.person_id), isouter=True)
        .where(*conditions).order_by(col(TaskRow.raised_at), col(TaskRow.id))
        .limit(limit).offset(offset)
    )).all()  # fmt: skip
    return TaskListing(tasks=[(t, c) for t, c in rows], total=total)


@dataclass(frozen=True, kw_only=True)
class RecordListing:
    records: list[tuple[RecordRow, PersonRow]]
    total: int


async def list_records(
    session: AsyncSession,
    *,
    principal: Principal,
    status: RecordStatus | None,
    expiring_within_days: int | None,
    limit: int,
    offset: int,
) -> RecordListing:
    """The municipality's records; `expiring_within_days` keeps the issued documents whose
    expiry date falls by then (or has passed: the daily check marks those expired), the
    soonest first, so that a family can renew in time."""
    conditions = [RecordRow.municipality == municipality_of(principal)]
    order = [col(RecordRow.updated_at).desc(), col(RecordRow.id)]
    if status is not None:
        conditions.append(RecordRow.status == status.value)
    if expiring_within_days is not None:
        horizon = utcnow().date() + timedelta(days=expiring_within_days)
        conditions += [RecordRow.status == RecordStatus.ISSUED.value,
                       col(RecordRow.expiry_on) <= horizon]  # fmt: skip
        order = [col(RecordRow.expiry_on), col(RecordRow.id)]
    total = (await session.exec(select(func.count()).select_from(RecordRow)
                                .where(*conditions))).one()  # fmt: skip
    rows = (await session.exec(
        select(RecordRow, PersonRow)
        .join(PersonRow, col(PersonRow.id) == col(RecordRow.person_id))
        .where(*conditions).order_by(*order).limit(limit).offset(offset)
    )).all()  # fmt: skip
    return RecordListing(records=[(record, person) for record, person in rows], total=total)


@dataclass(frozen=True, kw_only=True)
class Overview:
    municipality: str
    persons: int | str
    not_ready_by_category: dict[str, int | str]
    blocked_referrals_by_category: dict[str, int | str]
    median_days_requested_to_issued: dict[str, float | str | None]


async def overview(
    session: AsyncSession, *, principal: Principal, catalogue: Catalogue
) -> Overview:
    municipality = municipality_of(principal)
    persons = (await session.exec(
        select(PersonRow.id).where(PersonRow.municipality == municipality)
    )).all()  # fmt: skip
    readiness = (await session.exec(
        select(ReadinessRow).where(col(ReadinessRow.person_id).in_(persons))
    )).all() if persons else []  # fmt: skip
    not_ready = Counter(category for row in readiness for category in row.missing)
    blocked: dict[str, set[str]] = defaultdict(set)
    for task in (await session.exec(
        select(TaskRow).where(TaskRow.municipality == municipality)
        .where(TaskRow.status == TaskStatus.OPEN.value)
    )).all():  # fmt: skip
        blocked[task.service_category].add(task.person_id)
    durations: dict[str, list[int]] = defaultdict(list)
    for record in (await session.exec(
        select(RecordRow).where(RecordRow.municipality == municipality)
        .where(col(RecordRow.requested_on).is_not(None))
        .where(col(RecordRow.issued_on).is_not(None))
    )).all():  # fmt: skip
        durations[record.document_type].append((record.issued_on - record.requested_on).days)  # type: ignore[operator]
    ruled = sorted(catalogue.rules.categories)
    return Overview(
        municipality=municipality,
        persons=suppressed(len(persons)),
        not_ready_by_category={c: suppressed(not_ready[c]) for c in ruled},
        blocked_referrals_by_category={c: suppressed(len(blocked[c])) for c in ruled},
        median_days_requested_to_issued={
            kind: suppressed_median_days(durations[kind]) for kind in catalogue.document_types
        },
    )
