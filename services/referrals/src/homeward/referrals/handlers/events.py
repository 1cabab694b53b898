"""What referrals learns from intake and documents: read models, and the referrals' reactions.

Each handler runs in the consumer's transaction together with its inbox row, so a redelivered
event changes nothing twice. Events may arrive for cases we never heard of (a consumer group
started late, a partition replayed): handlers then create what they can and skip the rest.
"""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from homeward.common.contracts import documents, intake
from homeward.common.contracts.referrals import ReferralReassigned
from homeward.common.db import utcnow
from homeward.common.events import CloudEvent, EventContract
from homeward.referrals.adapters.tables import (
    KnownCase,
    KnownConsent,
    KnownPerson,
    KnownReadiness,
    ReferralRow,
)
from homeward.referrals.domain.directory import normalise_municipality
from homeward.referrals.domain.lifecycle import (
    OPEN,
    Action,
    ReasonCode,
    ReferralState,
    transition,
)
from homeward.referrals.handlers.gates import open_referrals_of_person, refresh_gates
from homeward.referrals.handlers.publishing import (
    SYSTEM_ACTOR,
    apply_transition,
    facts,
    publish,
    record_history,
)
from homeward.referrals.settings import ReferralsSettings

# States in which the agency is working: revoked consent puts these on hold.
HOLDABLE = (ReferralState.ACCEPTED.value, ReferralState.IN_PROGRESS.value)


class IntakeAndDocumentsHandlers:
    """The consumer's handlers, bound to the service's settings (deadlines, system sends)."""

    def __init__(self, settings: ReferralsSettings) -> None:
        self.settings = settings

    def by_event_type(self) -> dict[str, object]:
        return {
            intake.CaseRegistered.event_type: self.case_registered,
            intake.PersonAdded.event_type: self.person_added,
            intake.AssessmentRecorded.event_type: self.assessment_recorded,
            intake.ConsentGranted.event_type: self.consent_granted,
            intake.ConsentRevoked.event_type: self.consent_revoked,
            intake.CaseTransferred.event_type: self.case_transferred,
            intake.CaseClosed.event_type: self.case_closed,
            intake.CaseIdentitiesErased.event_type: self.identities_erased,
            documents.ReadinessChanged.event_type: self.readiness_changed,
        }

    async def case_registered(self, session: AsyncSession, event: EventContract,
                              _: CloudEvent) -> None:  # fmt: skip
        assert isinstance(event, intake.CaseRegistered)
        await _upsert_case(session, case_id=str(event.case_id), case_code=event.case_code,
                           municipality=event.municipality)  # fmt: skip

    async def person_added(self, session: AsyncSession, event: EventContract,
                           _: CloudEvent) -> None:  # fmt: skip
        assert isinstance(event, intake.PersonAdded)
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

    async def assessment_recorded(self, session: AsyncSession, event: EventContract,
                                  _: CloudEvent) -> None:  # fmt: skip
        assert isinstance(event, intake.AssessmentRecorded)
        person = await session.get(KnownPerson, str(event.person_id))
        if person is not None:
            person.need_levels = {**person.need_levels, **event.levels}
            session.add(person)

    async def consent_granted(self, session: AsyncSession, event: EventContract,
                              _: CloudEvent) -> None:  # fmt: skip
        assert isinstance(event, intake.ConsentGranted)
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

    async def consent_revoked(self, session: AsyncSession, event: EventContract,
                              _: CloudEvent) -> None:  # fmt: skip
        assert isinstance(event, intake.ConsentRevoked)
        consent = await session.get(KnownConsent, str(event.consent_id))
        if consent is not None:
            consent.revoked_at = event.revoked_at
            session.add(consent)
            await session.flush()
        now = utcnow()
        for referral in await open_referrals_of_person(
            session, person_id=str(event.person_id), agency_type=event.recipient_agency_type
        ):
            # An override decided before the person withdrew consent no longer stands.
            referral.consent_override_basis = None
            await refresh_gates(session, referral, settings=self.settings, now=now)
            if "consent" in referral.blocked_on and referral.state in HOLDABLE:
                change = transition(state=ReferralState(referral.state), action=Action.HOLD,
                                    reason=ReasonCode.CONSENT_REVOKED)  # fmt: skip
                apply_transition(session, referral, change, actor=SYSTEM_ACTOR, note=None,
                                 settings=self.settings, now=now)  # fmt: skip

    async def case_transferred(self, session: AsyncSession, event: EventContract,
                               _: CloudEvent) -> None:  # fmt: skip
        assert isinstance(event, intake.CaseTransferred)
        destination = normalise_municipality(event.to_municipality)
        await _upsert_case(session, case_id=str(event.case_id), case_code=event.case_code,
                           municipality=destination)  # fmt: skip
        now = utcnow()
        query = select(ReferralRow).where(
            ReferralRow.case_id == str(event.case_id),
            col(ReferralRow.state).in_([s.value for s in OPEN]),
        )
        for referral in (await session.exec(query)).all():
            origin = referral.municipality
            if origin == destination:
                continue  # a redelivered transfer, or one we already followed
            referral.municipality = destination
            session.add(referral)
            record_history(session, referral, at=now, actor=SYSTEM_ACTOR, action="reassigned",
                           from_state=referral.state, reason_code="case-transferred")  # fmt: skip
            publish(session, referral, ReferralReassigned(
                **facts(referral), from_municipality=origin, reassigned_at=now))  # fmt: skip

    async def case_closed(self, session: AsyncSession, event: EventContract,
                          _: CloudEvent) -> None:  # fmt: skip
        assert isinstance(event, intake.CaseClosed)
        case = await session.get(KnownCase, str(event.case_id))
        if case is not None:
            case.closed = True
            session.add(case)

    async def identities_erased(self, session: AsyncSession, event: EventContract,
                                _: CloudEvent) -> None:  # fmt: skip
        assert isinstance(event, intake.CaseIdentitiesErased)
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

    async def readiness_changed(self, session: AsyncSession, event: EventContract,
                                _: CloudEvent) -> None:  # fmt: skip
        assert isinstance(event, documents.ReadinessChanged)
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
