"""Receiving family and needs assessments. Their free-text notes are sealed like identities
and shown to coordinators only (the routes pass `with_notes`, see `api.deps.SeesNotes`)."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from homeward.common.audit import record_audit
from homeward.common.auth import Principal
from homeward.common.contracts.intake import AssessmentRecorded
from homeward.common.crypto import FieldCipher, IdentityVault
from homeward.common.db import utcnow
from homeward.common.errors import NotFound
from homeward.intake.adapters.tables import AssessmentRow, CaseRow, ReceivingFamilyRow
from homeward.intake.api.schemas import AssessmentView, ReceivingFamilyView
from homeward.intake.commands import RecordAssessment, RecordReceivingFamily
from homeward.intake.domain.assessments import check_assessment
from homeward.intake.domain.errors import RuleViolation
from homeward.intake.handlers.access import (
    case_in_scope,
    case_to_change,
    person_in_case,
    stage_case_event,
)

FAMILY_NOTES = "receiving-family/notes"


def _assessment_notes_field(assessment_id: str) -> str:
    return f"assessment/{assessment_id}/notes"


async def _cipher_for_notes(
    session: AsyncSession, *, case: CaseRow, vault: IdentityVault, notes: str | None
) -> FieldCipher | None:
    if notes is None:
        return None
    if case.identities_erased_at is not None:
        raise RuleViolation("this case's protected data were erased; leave the notes empty")
    return await vault.cipher_for(session, case.id)


async def _reading_cipher(
    session: AsyncSession, *, case: CaseRow, vault: IdentityVault, with_notes: bool
) -> FieldCipher | None:
    if not with_notes or case.identities_erased_at is not None:
        return None
    return await vault.cipher_for(session, case.id)


async def record_receiving_family(
    session: AsyncSession,
    *,
    principal: Principal,
    case_id: str,
    command: RecordReceivingFamily,
    vault: IdentityVault,
) -> ReceivingFamilyView:
    case = await case_to_change(session, case_id=case_id, principal=principal)
    cipher = await _cipher_for_notes(session, case=case, vault=vault, notes=command.notes)
    row = await session.get(ReceivingFamilyRow, case.id) or ReceivingFamilyRow(
        case_id=case.id, relation="", support_capacity="", recorded_at=utcnow()
    )
    row.relation = command.relation.value
    row.support_capacity = command.support_capacity.value
    row.assessed_positive_support = command.assessed_positive_support
    row.notes_sealed = cipher.encrypt(FAMILY_NOTES, command.notes) if cipher else None
    row.recorded_at = utcnow()
    session.add(row)
    record_audit(
        session, principal=principal, action="receiving_family.recorded", case_code=case.code
    )
    await session.commit()
    return _family_view(row, cipher)


async def read_receiving_family(
    session: AsyncSession,
    *,
    principal: Principal,
    case_id: str,
    with_notes: bool,
    vault: IdentityVault,
) -> ReceivingFamilyView:
    case = await case_in_scope(session, case_id=case_id, principal=principal)
    row = await session.get(ReceivingFamilyRow, case.id)
    if row is None:
        raise NotFound("no receiving family is recorded for this case")
    cipher = await _reading_cipher(session, case=case, vault=vault, with_notes=with_notes)
    return _family_view(row, cipher)


def _family_view(row: ReceivingFamilyRow, cipher: FieldCipher | None) -> ReceivingFamilyView:
    return ReceivingFamilyView(
        case_id=row.case_id,
        relation=row.relation,
        support_capacity=row.support_capacity,
        assessed_positive_support=row.assessed_positive_support,
        notes=cipher.decrypt(FAMILY_NOTES, row.notes_sealed) if cipher else None,
        recorded_at=row.recorded_at,
    )


async def record_assessment(
    session: AsyncSession,
    *,
    principal: Principal,
    case_id: str,
    person_id: str,
    command: RecordAssessment,
    vault: IdentityVault,
) -> AssessmentView:
    case = await case_to_change(session, case_id=case_id, principal=principal)
    person = await person_in_case(session, case=case, person_id=person_id)
    now = utcnow()
    check_assessment(levels=command.levels, assessed_on=command.assessed_on, today=now.date())
    cipher = await _cipher_for_notes(session, case=case, vault=vault, notes=command.notes)
    levels = {domain.value: level.value for domain, level in command.levels.items()}
    row = AssessmentRow(
        case_id=case.id,
        person_id=person.id,
        assessed_on=command.assessed_on,
        levels=levels,
        recorded_at=now,
        recorded_by=principal.actor,
    )
    if cipher is not None:
        row.notes_sealed = cipher.encrypt(_assessment_notes_field(row.id), command.notes)
    session.add(row)
    stage_case_event(
        session,
        case=case,
        event=AssessmentRecorded(
            assessment_id=row.id,
            case_id=case.id,
            case_code=case.code,
            municipality=case.municipality,
            person_id=person.id,
            assessed_on=row.assessed_on,
            levels=levels,
        ),
    )
    record_audit(
        session,
        principal=principal,
        action="assessment.recorded",
        case_code=case.code,
        subject_code=person.code,
        fields=sorted(levels),
    )
    await session.commit()
    return _assessment_view(row, cipher)


async def list_assessments(
    session: AsyncSession,
    *,
    principal: Principal,
    case_id: str,
    person_id: str | None,
    with_notes: bool,
    vault: IdentityVault,
    latest_only: bool = False,
) -> list[AssessmentView]:
    """Newest first: the history is what outcome indicators are computed from. Without a
    person, every person's of the case (one read for a family page, whatever its size)."""
    case = await case_in_scope(session, case_id=case_id, principal=principal)
    query = select(AssessmentRow).where(AssessmentRow.case_id == case.id)
    if person_id is not None:
        person = await person_in_case(session, case=case, person_id=person_id)
        query = query.where(AssessmentRow.person_id == person.id)
    query = query.order_by(
        col(AssessmentRow.assessed_on).desc(), col(AssessmentRow.recorded_at).desc()
    )
    if latest_only:
        query = query.limit(1)
    rows = (await session.exec(query)).all()
    cipher = await _reading_cipher(session, case=case, vault=vault, with_notes=with_notes)
    return [_assessment_view(row, cipher) for row in rows]


def _assessment_view(row: AssessmentRow, cipher: FieldCipher | None) -> AssessmentView:
    notes = cipher.decrypt(_assessment_notes_field(row.id), row.notes_sealed) if cipher else None
    return AssessmentView(
        id=row.id,
        person_id=row.person_id,
        assessed_on=row.assessed_on,
        levels=row.levels,
        notes=notes,
        recorded_at=row.recorded_at,
    )
