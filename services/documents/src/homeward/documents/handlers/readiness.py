"""Recomputing a person's readiness after their documents change, and what follows from it:
a ReadinessChanged event when (and only when) it changed, and documentation tasks closed
once the documents they asked for are there.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from homeward.common.contracts.documents import DocumentationTaskClosed, ReadinessChanged
from homeward.common.db import utcnow
from homeward.common.events.outbox import add_event
from homeward.documents.adapters.tables import PersonRow, ReadinessRow, RecordRow, TaskRow
from homeward.documents.catalogue import Catalogue
from homeward.documents.domain.readiness import (
    DocumentState,
    Readiness,
    evaluate,
    unmet_requirements,
)
from homeward.documents.domain.records import RecordStatus
from homeward.documents.domain.tasks import TaskStatus


def states_of(records: Iterable[RecordRow]) -> dict[str, DocumentState]:
    return {
        record.document_type: DocumentState(
            status=RecordStatus(record.status), expiry_on=record.expiry_on
        )
        for record in records
    }


async def document_states(session: AsyncSession, *, person_id: str) -> dict[str, DocumentState]:
    return states_of(await session.exec(select(RecordRow).where(RecordRow.person_id == person_id)))


def readiness_of(
    states: dict[str, DocumentState], *, catalogue: Catalogue, today: date
) -> Readiness:
    return evaluate(catalogue.rules, states, today=today, categories=catalogue.service_categories)


async def current_readiness(
    session: AsyncSession, *, person_id: str, catalogue: Catalogue, today: date
) -> Readiness:
    return readiness_of(
        await document_states(session, person_id=person_id), catalogue=catalogue, today=today
    )


async def refresh_readiness(
    session: AsyncSession,
    *,
    person: PersonRow,
    catalogue: Catalogue,
    today: date,
    force_event: bool = False,
) -> Readiness:
    """Recompute, emit ReadinessChanged if it differs from the last one, close met tasks.

    `force_event` re-announces an unchanged readiness: for a referral blocked on documents
    the person already has, so the referrals service can unblock it.
    """
    states = await document_states(session, person_id=person.id)
    readiness = readiness_of(states, catalogue=catalogue, today=today)
    stored = await session.get(ReadinessRow, person.id)
    previous = (
        Readiness(ready=frozenset(stored.ready_categories), missing=stored.missing)
        if stored is not None and stored.rules_version == catalogue.rules.version
        else None
    )
    now = utcnow()
    if force_event or not readiness.same_as(previous):
        row = stored or ReadinessRow(person_id=person.id, ready_categories=[], missing={},
                                     rules_version="", computed_at=now)  # fmt: skip
        row.ready_categories = sorted(readiness.ready)
        row.missing = dict(readiness.missing)
        row.rules_version = catalogue.rules.version
        row.computed_at = now
        session.add(row)
        add_event(
            session,
            ReadinessChanged(
                case_id=person.case_id,
                case_code=person.case_code,
                municipality=person.municipality,
                person_id=person.id,
                ready_categories=sorted(readiness.ready),
                missing=dict(readiness.missing),
                rules_version=catalogue.rules.version,
                computed_at=now,
            ),
            key=person.case_id,
            subject=person.case_code,
        )
    await close_met_tasks(session, person=person, states=states, today=today)
    return readiness


async def close_met_tasks(
    session: AsyncSession, *, person: PersonRow, states: dict[str, DocumentState], today: date
) -> None:
    for task in await open_tasks(session, person_id=person.id):
        if not unmet_requirements([tuple(need) for need in task.needed], states, today=today):
            close_task(session, task=task, because="documents-issued")


async def open_tasks(session: AsyncSession, **where: str) -> Sequence[TaskRow]:
    """Open documentation tasks with these column values (`referral_id=...`, say)."""
    found = await session.exec(select(TaskRow).filter_by(status=TaskStatus.OPEN.value, **where))
    return found.all()


def close_task(session: AsyncSession, *, task: TaskRow, because: str) -> None:
    now = utcnow()
    task.status = TaskStatus.CLOSED.value
    task.closed_at = now
    task.closed_because = because
    session.add(task)
    add_event(
        session,
        DocumentationTaskClosed(
            task_id=task.id,
            referral_id=task.referral_id,
            case_id=task.case_id,
            case_code=task.case_code,
            municipality=task.municipality,
            person_id=task.person_id,
            service_category=task.service_category,
            closed_because=because,  # type: ignore[arg-type]
            closed_at=now,
        ),
        key=task.case_id,
        subject=task.case_code,
    )
