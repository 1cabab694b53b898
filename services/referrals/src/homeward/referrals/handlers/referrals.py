"""Referral commands: create, send, requester and agency transitions, consent override.

One transaction per command: state, history, audit and outbox events commit together.
"""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from homeward.common.audit import record_audit
from homeward.common.auth import Principal
from homeward.common.db import utcnow
from homeward.referrals.adapters.repository import deadlines_for, load_referral, save
from homeward.referrals.adapters.tables import AgencyRow, KnownPerson, ReferralRow, new_id
from homeward.referrals.commands import CreateReferral, OverrideConsent
from homeward.referrals.domain.directory import check_agency_can_receive
from homeward.referrals.domain.errors import RuleViolation
from homeward.referrals.domain.gates import FOUNDATIONAL_CATEGORIES, sequencing_warning
from homeward.referrals.domain.lifecycle import Action, Outcome, ReasonCode
from homeward.referrals.domain.referral import Referral
from homeward.referrals.handlers.access import case_in_scope, referral_in_scope
from homeward.referrals.handlers.directory import agency_facts
from homeward.referrals.handlers.gates import current_gates, lock_person
from homeward.referrals.settings import ReferralsSettings


async def _started_categories(session: AsyncSession, *, person_id: str) -> set[str]:
    query = select(ReferralRow.service_category).where(
        ReferralRow.person_id == person_id,
        col(ReferralRow.started_at).is_not(None),
        col(ReferralRow.service_category).in_(FOUNDATIONAL_CATEGORIES),
    )
    return set((await session.exec(query)).all())


async def create_referral(
    session: AsyncSession,
    *,
    principal: Principal,
    command: CreateReferral,
    settings: ReferralsSettings,
) -> ReferralRow:
    referral = await stage_referral(
        session, principal=principal, command=command, settings=settings
    )
    await session.commit()
    return referral


async def stage_referral(
    session: AsyncSession,
    *,
    principal: Principal,
    command: CreateReferral,
    settings: ReferralsSettings,
) -> ReferralRow:
    """A new referral, its history, events and audit, staged in the caller's transaction."""
    # First, so that the gates read below are the latest (see `lock_person`).
    await lock_person(session, person_id=command.person_id)
    case = await case_in_scope(session, case_id=command.case_id, principal=principal)
    person = await session.get(KnownPerson, command.person_id)
    if person is None or person.case_id != case.case_id:
        raise RuleViolation("person_id is not a person of this case")
    if case.closed:
        raise RuleViolation("the case is closed; reopen it in intake before referring")
    category = command.service_category.value
    agency = await session.get(AgencyRow, command.agency_id)
    check_agency_can_receive(
        agency_facts(agency), municipality=case.municipality, service_category=category
    )
    assert agency is not None  # checked above
    warning = sequencing_warning(
        service_category=category,
        started_categories=await _started_categories(session, person_id=person.person_id),
    )
    if warning and settings.religious_guidance_sequencing_blocks:
        raise RuleViolation(
            "religious guidance comes after basic-needs or mental-health support has started "
            "for this person (sequencing rule)"
        )
    now = utcnow()
    disclose = sorted({c.value for c in command.disclose})
    gates = await current_gates(
        session, person_id=person.person_id, agency_type=agency.agency_type, disclose=disclose,
        service_category=category, now=now,
    )  # fmt: skip
    referral, events = Referral.create(
        id=new_id(), case_id=case.case_id, case_code=case.case_code, person_id=person.person_id,
        person_code=person.person_code, municipality=case.municipality, agency_id=agency.id,
        agency_type=agency.agency_type, service_category=category,
        priority=command.priority.value, reason=command.reason, disclose=disclose,
        warnings=[warning] if warning else [], created_by=principal.actor,
        deadlines=deadlines_for(settings, category), send=command.send, now=now, **gates,
    )  # fmt: skip
    row = await save(session, referral, events)
    record_audit(session, principal=principal, action="referral.created",
                 case_code=case.case_code, subject_code=person.person_code,
                 fields=referral.disclose, purpose="referral")  # fmt: skip
    return row


async def act_on_referral(
    session: AsyncSession,
    *,
    principal: Principal,
    referral_id: str,
    action: Action,
    reason: ReasonCode | None = None,
    outcome: Outcome | None = None,
    note: str | None = None,
    settings: ReferralsSettings,
) -> ReferralRow:
    """Any lifecycle action; the route has already checked the caller's side (role)."""
    row = await referral_in_scope(
        session, referral_id=referral_id, principal=principal, for_update=True
    )
    referral = await load_referral(session, row, settings=settings)
    events = referral.act(action, actor=principal.actor, now=utcnow(), reason=reason,
                          outcome=outcome, note=note)  # fmt: skip
    await save(session, referral, events, row=row)
    record_audit(session, principal=principal, action=f"referral.{action.value}",
                 case_code=referral.case_code, subject_code=referral.person_code)  # fmt: skip
    await session.commit()
    return row


async def override_consent(
    session: AsyncSession,
    *,
    principal: Principal,
    referral_id: str,
    command: OverrideConsent,
    settings: ReferralsSettings,
) -> ReferralRow:
    """A supervisor lifts the consent block on a legal basis; reason in the history, audited."""
    row = await referral_in_scope(
        session, referral_id=referral_id, principal=principal, for_update=True
    )
    referral = await load_referral(session, row, settings=settings)
    overridden = list(referral.missing_consent)
    events = referral.override_consent(legal_basis=command.legal_basis.value,
                                       reason=command.reason, actor=principal.actor,
                                       now=utcnow())  # fmt: skip
    await save(session, referral, events, row=row)
    record_audit(session, principal=principal, action="referral.consent-overridden",
                 case_code=referral.case_code, subject_code=referral.person_code,
                 fields=overridden, purpose=command.legal_basis.value)  # fmt: skip
    await session.commit()
    return row
