"""Consent per person: granted (by the person, or a guardian for a child) and revoked."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from homeward.common.audit import record_audit
from homeward.common.auth import Principal
from homeward.common.contracts.intake import ConsentGranted, ConsentRevoked
from homeward.common.db import utcnow
from homeward.common.errors import NotFound
from homeward.intake.adapters.tables import CaseRow, ConsentRow, PersonRow
from homeward.intake.commands import GrantConsent
from homeward.intake.domain.consent import ConsentGiver, check_consent_grant, check_revocable
from homeward.intake.domain.errors import RuleViolation
from homeward.intake.domain.persons import age_group
from homeward.intake.handlers.access import (
    case_in_scope,
    case_to_change,
    municipality_of,
    person_in_case,
    stage_case_event,
)


async def grant_consent(
    session: AsyncSession,
    *,
    principal: Principal,
    case_id: str,
    person_id: str,
    command: GrantConsent,
) -> ConsentRow:
    case = await case_to_change(session, case_id=case_id, principal=principal)
    person = await person_in_case(session, case=case, person_id=person_id)
    now = utcnow()
    today = now.date()
    giver: ConsentGiver | None = None
    if command.given_by_person_id is not None:
        given_by = await session.get(PersonRow, command.given_by_person_id)
        if given_by is None or given_by.case_id != case.id:
            raise RuleViolation("given_by_person_id must be a person of the same case")
        giver = ConsentGiver(
            is_the_person=given_by.id == person.id,
            is_the_guardian=given_by.id == person.guardian_id,
        )
    valid_from = command.valid_from or today
    categories = sorted(set(command.categories))
    check_consent_grant(
        person_age_group=age_group(person.birth_year, current_year=today.year),
        legal_basis=command.legal_basis,
        giver=giver,
        categories=categories,
        valid_from=valid_from,
        valid_until=command.valid_until,
        today=today,
    )
    consent = ConsentRow(
        case_id=case.id,
        person_id=person.id,
        given_by_id=command.given_by_person_id,
        recipient_agency_type=command.recipient_agency_type.value,
        categories=[category.value for category in categories],
        legal_basis=command.legal_basis.value,
        valid_from=valid_from,
        valid_until=command.valid_until,
        granted_at=now,
        granted_by=principal.actor,
    )
    session.add(consent)
    stage_case_event(
        session,
        case=case,
        event=ConsentGranted(
            consent_id=consent.id,
            case_id=case.id,
            case_code=case.code,
            person_id=person.id,
            recipient_agency_type=consent.recipient_agency_type,
            categories=consent.categories,
            legal_basis=consent.legal_basis,
            valid_from=consent.valid_from,
            valid_until=consent.valid_until,
        ),
    )
    record_audit(
        session,
        principal=principal,
        action="consent.granted",
        case_code=case.code,
        subject_code=person.code,
        fields=consent.categories,
    )
    await session.commit()
    return consent


async def revoke_consent(
    session: AsyncSession, *, principal: Principal, case_id: str, person_id: str, consent_id: str
) -> ConsentRow:
    """Immediate: the revocation event goes out with the commit, referrals react to it.

    Allowed on closed cases too: withdrawing consent must never be blocked.
    """
    case = await case_in_scope(session, case_id=case_id, principal=principal, for_update=True)
    person = await person_in_case(session, case=case, person_id=person_id)
    consent = await session.get(ConsentRow, consent_id)
    if consent is None or consent.person_id != person.id:
        raise NotFound("no such consent for this person")
    check_revocable(revoked_at=consent.revoked_at)
    now = utcnow()
    consent.revoked_at = now
    consent.revoked_by = principal.actor
    session.add(consent)
    stage_case_event(
        session,
        case=case,
        event=ConsentRevoked(
            consent_id=consent.id,
            case_id=case.id,
            case_code=case.code,
            person_id=person.id,
            recipient_agency_type=consent.recipient_agency_type,
            revoked_at=now,
        ),
    )
    record_audit(
        session,
        principal=principal,
        action="consent.revoked",
        case_code=case.code,
        subject_code=person.code,
        fields=consent.categories,
    )
    await session.commit()
    return consent


async def list_consents(
    session: AsyncSession, *, principal: Principal, case_id: str, person_id: str | None
) -> list[ConsentRow]:
    """Newest first; without a person, every person's of the case."""
    case = await case_in_scope(session, case_id=case_id, principal=principal)
    query = select(ConsentRow).where(ConsentRow.case_id == case.id)
    if person_id is not None:
        person = await person_in_case(session, case=case, person_id=person_id)
        query = query.where(ConsentRow.person_id == person.id)
    query = query.order_by(col(ConsentRow.granted_at).desc())
    return list((await session.exec(query)).all())


async def expiring_consents(
    session: AsyncSession, *, principal: Principal, within_days: int
) -> list[tuple[ConsentRow, CaseRow]]:
    """Consents in force in the caller's municipality's open cases that end within the
    days given, soonest first: what to renew before a referral stops on consent."""
    today = utcnow().date()
    query = (
        select(ConsentRow, CaseRow)
        .join(CaseRow, col(CaseRow.id) == col(ConsentRow.case_id))
        .where(CaseRow.municipality == municipality_of(principal))
        .where(CaseRow.status == "open")
        .where(col(ConsentRow.revoked_at).is_(None))
        .where(col(ConsentRow.valid_from) <= today)
        .where(col(ConsentRow.valid_until) >= today)
        .where(col(ConsentRow.valid_until) <= today + timedelta(days=within_days))
        .order_by(col(ConsentRow.valid_until), col(ConsentRow.granted_at))
        .limit(200)
    )
    return [(consent, case) for consent, case in (await session.exec(query)).all()]


async def person_codes(session: AsyncSession, person_ids: list[str]) -> dict[str, str]:
    if not person_ids:
        return {}
    rows = await session.exec(select(PersonRow).where(col(PersonRow.id).in_(person_ids)))
    return {row.id: row.code for row in rows.all()}
