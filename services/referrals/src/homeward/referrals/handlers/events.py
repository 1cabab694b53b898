"""What referrals learns from intake and documents: read models, and the referrals' reactions.

Each handler runs in the consumer's transaction together with its inbox row, so a redelivered
event changes nothing twice. Events may arrive for cases we never heard of (a consumer group
started late, a partition replayed): handlers then create what they can and skip the rest.
"""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from homeward.common.contracts import documents, intake
from homeward.common.db import utcnow
from homeward.common.events import CloudEvent, HandlerMap
from homeward.referrals.adapters.repository import save, to_referral
from homeward.referrals.adapters.tables import (
    KnownCase,
    KnownConsent,
    KnownPerson,
    KnownReadiness,
    ReferralRow,
)
from homeward.referrals.domain.directory import normalise_municipality
from homeward.referrals.domain.lifecycle import OPEN, ReferralState
from homeward.referrals.handlers.gates import gates_of, open_referrals_of_person, refresh_gates
from homeward.referrals.settings import ReferralsSettings


class IntakeAndDocumentsHandlers:
    """The consumer's handlers, bound to the service's settings (deadlines, system sends)."""

    def __init__(self, settings: ReferralsSettings) -> None:
        self.settings = settings

    def by_contract(self) -> HandlerMap:
        return {
            intake.CaseRegistered: self.case_registered,
            intake.PersonAdded: self.person_added,
            intake.AssessmentRecorded: self.assessment_recorded,
            intake.ConsentGranted: self.consent_granted,
            intake.ConsentRevoked: self.consent_revoked,
            intake.CaseTransferred: self.case_transferred,
            intake.CaseClosed: self.case_closed,
            intake.CaseIdentitiesErased: self.identities_erased,
            documents.ReadinessChanged: self.readiness_changed,
        }

    async def case_registered(
        self, session: AsyncSession, event: intake.CaseRegistered, _: CloudEvent
    ) -> None:
        await _upsert_case(session, case_id=str(event.case_id), case_code=event.case_code,
                           municipality=event.municipality)  # fmt: skip

    async def person_added(
        self, session: AsyncSession, event: intake.PersonAdded, _: CloudEvent
    ) -> None:
        await _upsert_case(session, case_id=str(event.case_id), case_code=event.case_code,
                           municipality=event.municipality)  # fmt: skip
        person = await session.get(KnownPerson, str(event.person_id)) or KnownPerson(
            person_id=str(event.person_id), case_id=str(event.case_id),
            person_code=event.person_code, household_role="", age_group="",
        )  # fmt: skip
        person.household_role = event.household_role
        person.age_group = event.age_group
        person.birth_year = event.birth_year
        person.sex = event.sex
        session.add(person)

    async def assessment_recorded(
        self, session: AsyncSession, event: intake.AssessmentRecorded, _: CloudEvent
    ) -> None:
        person = await session.get(KnownPerson, str(event.person_id))
        if person is not None:
            person.need_levels = {**person.need_levels, **event.levels}
            session.add(person)

    async def consent_granted(
        self, session: AsyncSession, event: intake.ConsentGranted, _: CloudEvent
    ) -> None:
        session.add(KnownConsent(
            consent_id=str(event.consent_id), case_id=str(event.case_id),
            person_id=str(event.person_id), recipient_agency_type=event.recipient_agency_type,
            categories=sorted(event.categories), legal_basis=event.legal_basis,
            valid_from=event.valid_from, valid_until=event.valid_until,
        ))  # fmt: skip
        await session.flush()
        now = utcnow()
        for referral in await open_referrals_of_person(
            session, person_id=str(event.person_id), agency_type=event.recipient_agency_type
        ):
            await refresh_gates(session, referral, settings=self.settings, now=now)

    async def consent_revoked(
        self, session: AsyncSession, event: intake.ConsentRevoked, _: CloudEvent
    ) -> None:
        consent = await session.get(KnownConsent, str(event.consent_id))
        if consent is not None:
            consent.revoked_at = event.revoked_at
            session.add(consent)
            await session.flush()
        now = utcnow()
        for row in await open_referrals_of_person(
            session, person_id=str(event.person_id), agency_type=event.recipient_agency_type
        ):
            referral = to_referral(row, settings=self.settings)
            events = referral.consent_revoked(**await gates_of(session, row, now=now), now=now)
            await save(session, referral, events, row=row)

    async def case_transferred(
        self, session: AsyncSession, event: intake.CaseTransferred, _: CloudEvent
    ) -> None:
        destination = normalise_municipality(event.to_municipality)
        await _upsert_case(session, case_id=str(event.case_id), case_code=event.case_code,
                           municipality=destination)  # fmt: skip
        now = utcnow()
        query = select(ReferralRow).where(
            ReferralRow.case_id == str(event.case_id),
            col(ReferralRow.state).in_([s.value for s in OPEN]),
        )
        for row in (await session.exec(query)).all():
            referral = to_referral(row, settings=self.settings)
            events = referral.reassign(municipality=destination, now=now)
            await save(session, referral, events, row=row)

    async def case_closed(
        self, session: AsyncSession, event: intake.CaseClosed, _: CloudEvent
    ) -> None:
        case = await session.get(KnownCase, str(event.case_id))
        if case is not None:
            case.closed = True
            session.add(case)

    async def identities_erased(
        self, session: AsyncSession, event: intake.CaseIdentitiesErased, _: CloudEvent
    ) -> None:
        case = await session.get(KnownCase, str(event.case_id))
        if case is not None:
            case.identities_erased_at = event.erased_at
            session.add(case)
        persons = await session.exec(
            select(KnownPerson).where(KnownPerson.case_id == str(event.case_id))
        )
        for person in persons.all():
            # Birth year and sex are identity-derived; codes and need levels stay for statistics.
            person.birth_year = None
            person.sex = None
            session.add(person)

    async def readiness_changed(
        self, session: AsyncSession, event: documents.ReadinessChanged, _: CloudEvent
    ) -> None:
        readiness = await session.get(KnownReadiness, str(event.person_id))
        if readiness is not None and readiness.computed_at > event.computed_at:
            return  # an older computation arriving late must not undo a newer one
        readiness = readiness or KnownReadiness(
            person_id=str(event.person_id), case_id=str(event.case_id), ready_categories=[],
            missing={}, computed_at=event.computed_at,
        )  # fmt: skip
        readiness.ready_categories = sorted(event.ready_categories)
        readiness.missing = event.missing
        readiness.computed_at = event.computed_at
        session.add(readiness)
        await session.flush()
        now = utcnow()
        for referral in await open_referrals_of_person(session, person_id=str(event.person_id)):
            # A draft created before documents had spoken (its readiness late, or published
            # again after a broker lost it) is gated now, as it would have been at creation.
            if referral.missing_documents or referral.state == ReferralState.DRAFT:
                await refresh_gates(session, referral, settings=self.settings, now=now)


async def _upsert_case(
    session: AsyncSession, *, case_id: str, case_code: str, municipality: str
) -> None:
    municipality = normalise_municipality(municipality)
    case = await session.get(KnownCase, case_id)
    if case is None:
        session.add(KnownCase(case_id=case_id, case_code=case_code, municipality=municipality))
    elif case.municipality != municipality:
        # PersonAdded carries the municipality too; the latest word on the case wins.
        case.municipality = municipality
        session.add(case)
