"""What documents does when intake and referrals report something. Each handler runs in the
consumer's transaction together with the inbox row, so a redelivered event changes nothing.

Intake and referrals publish on different topics, so their events may arrive in either
order: a referral can be blocked on documents before we have heard of the person.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from homeward.common.contracts.documents import DocumentationTaskRaised
from homeward.common.contracts.intake import (
    CaseClosed,
    CaseIdentitiesErased,
    CaseTransferred,
    PersonAdded,
)
from homeward.common.contracts.referrals import (
    REFERRALS_TOPIC,
    TERMINAL_STATES,
    ReferralBlocked,
    ReferralFacts,
    ReferralRoute,
    ReferralState,
    ReferralUnblocked,
)
from homeward.common.crypto import IdentityVault
from homeward.common.db import utcnow
from homeward.common.events import CloudEvent, HandlerMap, registry
from homeward.common.events.outbox import add_event
from homeward.documents.adapters.tables import (
    AgencyReferralRow,
    PersonRow,
    RecordRow,
    TaskRow,
)
from homeward.documents.catalogue import Catalogue
from homeward.documents.domain.readiness import unmet_requirements
from homeward.documents.domain.records import default_document_types
from homeward.documents.domain.tasks import TaskClosedBecause, TaskStatus
from homeward.documents.handlers.access import normalise_municipality
from homeward.documents.handlers.readiness import (
    close_task,
    document_states,
    open_tasks,
    refresh_readiness,
)
from homeward.documents.handlers.records import new_record

SYSTEM_ACTOR = "homeward-documents#intake-event"


def referral_lifecycle_contracts() -> list[type[ReferralFacts]]:
    """Every event that carries a referral's state: the agency's view follows them all."""
    return [
        contract
        for contract in registry.contracts()
        if contract.topic == REFERRALS_TOPIC and issubclass(contract, ReferralFacts)
    ]


def event_handlers(*, catalogue: Catalogue, vault: IdentityVault) -> HandlerMap:
    """The consumer's handlers by contract, bound to the service's catalogue and vault."""

    async def person_added(session: AsyncSession, event: PersonAdded, _: CloudEvent) -> None:
        await on_person_added(session, event=event, catalogue=catalogue, vault=vault)

    async def case_transferred(
        session: AsyncSession, event: CaseTransferred, _: CloudEvent
    ) -> None:
        await on_case_transferred(session, event=event)

    async def erased(session: AsyncSession, event: CaseIdentitiesErased, _: CloudEvent) -> None:
        await vault.destroy(session, str(event.case_id))

    async def blocked(session: AsyncSession, event: ReferralBlocked, _: CloudEvent) -> None:
        await on_referral_blocked(session, event=event, catalogue=catalogue)

    async def unblocked(session: AsyncSession, event: ReferralUnblocked, _: CloudEvent) -> None:
        await on_referral_unblocked(session, event=event)

    async def case_closed(session: AsyncSession, event: CaseClosed, _: CloudEvent) -> None:
        await on_case_closed(session, event=event)

    async def referral_moved(session: AsyncSession, event: ReferralFacts, _: CloudEvent) -> None:
        await _remember_agency_referral(session, event, state=event.state)
        if event.state in TERMINAL_STATES:  # nobody waits for these documents any more
            for task in await open_tasks(session, referral_id=str(event.referral_id)):
                close_task(session, task=task, because=TaskClosedBecause.REFERRAL_ENDED.value)

    return {
        PersonAdded: person_added,
        CaseTransferred: case_transferred,
        CaseClosed: case_closed,
        CaseIdentitiesErased: erased,
        ReferralBlocked: blocked,
        ReferralUnblocked: unblocked,
        **{contract: referral_moved for contract in referral_lifecycle_contracts()},
    }


async def on_person_added(
    session: AsyncSession, *, event: PersonAdded, catalogue: Catalogue, vault: IdentityVault
) -> None:
    person_id = str(event.person_id)
    if await session.get(PersonRow, person_id) is not None:
        return  # the same person announced twice (a replayed dead letter, say)
    person = PersonRow(
        id=person_id,
        case_id=str(event.case_id),
        case_code=event.case_code,
        person_code=event.person_code,
        municipality=normalise_municipality(event.municipality),
        age_group=event.age_group,
        household_role=event.household_role,
        added_at=utcnow(),
    )
    session.add(person)
    await session.flush()
    # The case's data key seals reference numbers; intake's erasure destroys it here too.
    await vault.cipher_or_create(session, person.case_id)
    for document_type in default_document_types(age_group=event.age_group):
        await new_record(session, person=person, document_type=document_type, actor=SYSTEM_ACTOR)
    await session.flush()
    await refresh_readiness(session, person=person, catalogue=catalogue, today=_today())


async def on_case_transferred(session: AsyncSession, *, event: CaseTransferred) -> None:
    """Care continues across the move: records and open tasks go to the new municipality."""
    case_id, to = str(event.case_id), normalise_municipality(event.to_municipality)
    for table in (PersonRow, RecordRow, TaskRow):
        await session.exec(
            update(table).where(col(table.case_id) == case_id).values(municipality=to)  # type: ignore[attr-defined]
        )


async def on_case_closed(session: AsyncSession, *, event: CaseClosed) -> None:
    """A closed case needs no more documents for its referrals: its open tasks close."""
    for task in await open_tasks(session, case_id=str(event.case_id)):
        close_task(session, task=task, because=TaskClosedBecause.CASE_CLOSED.value)


async def on_referral_blocked(
    session: AsyncSession, *, event: ReferralBlocked, catalogue: Catalogue
) -> None:
    await _remember_agency_referral(session, event, state=None)
    if event.blocked_on != "documents":
        return
    referral_id = str(event.referral_id)
    if await open_tasks(session, referral_id=referral_id):
        return
    needed = [list(alternatives) for alternatives in event.missing_documents]
    if not needed:
        needed = [list(r) for r in catalogue.rules.requirements(event.service_category)]
    person = await session.get(PersonRow, str(event.person_id))
    if person is not None:
        states = await document_states(session, person_id=person.id)
        if not unmet_requirements([tuple(n) for n in needed], states, today=_today()):
            # The documents are already here (the referral saw a stale readiness): say so
            # again instead of raising a task nobody needs to work on.
            await refresh_readiness(
                session, person=person, catalogue=catalogue, today=_today(), force_event=True
            )
            return
    now = utcnow()
    task = TaskRow(
        referral_id=referral_id,
        case_id=str(event.case_id),
        case_code=event.case_code,
        municipality=person.municipality if person else normalise_municipality(event.municipality),
        person_id=str(event.person_id),
        service_category=event.service_category,
        needed=needed,
        status=TaskStatus.OPEN.value,
        raised_at=now,
    )
    session.add(task)
    add_event(
        session,
        DocumentationTaskRaised(
            task_id=task.id,
            referral_id=event.referral_id,
            case_id=event.case_id,
            case_code=event.case_code,
            municipality=task.municipality,
            person_id=event.person_id,
            service_category=event.service_category,
            needed=needed,
            raised_at=now,
        ),
        key=task.case_id,
        subject=task.case_code,
    )


async def on_referral_unblocked(session: AsyncSession, *, event: ReferralUnblocked) -> None:
    await _remember_agency_referral(session, event, state=None)
    for task in await open_tasks(session, referral_id=str(event.referral_id)):
        close_task(session, task=task, because=TaskClosedBecause.REFERRAL_UNBLOCKED.value)


async def _remember_agency_referral(
    session: AsyncSession, event: ReferralRoute, *, state: ReferralState | None
) -> None:
    """Upsert the referral's row with the state it reached (None: the event does not say; a
    referral first heard of that way counts as a draft, which its agency may not see). An
    ended referral stays ended: its lifecycle has no way back, so a replayed earlier event (a
    dead letter, say) must not reopen the agency's view."""
    referral_id = str(event.referral_id)
    row = await session.get(AgencyReferralRow, referral_id)
    if row is None:
        row = AgencyReferralRow(referral_id=referral_id, case_id=str(event.case_id),
                                person_id=str(event.person_id), agency_id=event.agency_id,
                                service_category=event.service_category)  # fmt: skip
    elif row.state in TERMINAL_STATES:
        return
    row.agency_id, row.service_category = event.agency_id, event.service_category
    if state is not None:
        row.state = state.value
    session.add(row)


def _today() -> date:
    return utcnow().date()
