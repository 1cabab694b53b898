"""Rows to response models, in one place so no route builds a view by hand."""

from __future__ import annotations

from homeward.common.db import utcnow
from homeward.intake.adapters.tables import CaseRow, ClosureRequestRow, ConsentRow, TransferRow
from homeward.intake.api.schemas import (
    CaseSummary,
    CaseView,
    ClosureRequestView,
    ConsentView,
    PersonView,
    TransferView,
)
from homeward.intake.domain.consent import is_in_force
from homeward.intake.handlers.cases import PersonRecord


def case_summary(case: CaseRow, person_count: int) -> CaseSummary:
    return CaseSummary(**_case_fields(case), person_count=person_count)


def case_view(case: CaseRow, persons: list[PersonRecord]) -> CaseView:
    return CaseView(
        **_case_fields(case),
        person_count=len(persons),
        persons=[person_view(record) for record in persons],
    )


def _case_fields(case: CaseRow) -> dict[str, object]:
    return {
        "id": case.id,
        "code": case.code,
        "municipality": case.municipality,
        "return_operation": case.return_operation,
        "arrival_date": case.arrival_date,
        "placement": case.placement,
        "status": case.status,
        "coordinator": case.coordinator,
        "registered_at": case.registered_at,
        "closed_at": case.closed_at,
        "close_reason": case.close_reason,
        "identities_erased": case.identities_erased_at is not None,
    }


def person_view(record: PersonRecord) -> PersonView:
    person = record.person
    return PersonView(
        id=person.id,
        code=person.code,
        household_role=person.household_role,
        birth_year=person.birth_year,
        sex=person.sex,
        age_group=record.age_group.value,
        guardian_id=person.guardian_id,
        has_identity=record.has_identity,
    )


def consent_view(consent: ConsentRow) -> ConsentView:
    return ConsentView(
        id=consent.id,
        person_id=consent.person_id,
        given_by_id=consent.given_by_id,
        recipient_agency_type=consent.recipient_agency_type,
        categories=consent.categories,
        legal_basis=consent.legal_basis,
        valid_from=consent.valid_from,
        valid_until=consent.valid_until,
        granted_at=consent.granted_at,
        revoked_at=consent.revoked_at,
        in_force=is_in_force(
            valid_from=consent.valid_from,
            valid_until=consent.valid_until,
            revoked_at=consent.revoked_at,
            on=utcnow().date(),
        ),
    )


def transfer_view(transfer: TransferRow, case: CaseRow, *, decides_for: str | None) -> TransferView:
    """`decides_for`: the municipality whose incoming transfers the caller may decide."""
    decidable = transfer.status == "pending" and transfer.to_municipality == decides_for
    return TransferView(
        id=transfer.id,
        case_id=transfer.case_id,
        case_code=case.code,
        from_municipality=transfer.from_municipality,
        to_municipality=transfer.to_municipality,
        status=transfer.status,
        requested_at=transfer.requested_at,
        decided_at=transfer.decided_at,
        decision_reason=transfer.decision_reason,
        allowed_actions=["accept", "decline"] if decidable else [],
    )


def closure_view(request: ClosureRequestRow, case: CaseRow) -> ClosureRequestView:
    return ClosureRequestView(
        id=request.id,
        case_id=request.case_id,
        case_code=case.code,
        reason=request.reason,
        status=request.status,
        requested_at=request.requested_at,
        decided_at=request.decided_at,
        decision_reason=request.decision_reason,
    )
