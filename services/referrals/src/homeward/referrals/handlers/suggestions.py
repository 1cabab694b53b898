"""Onward-referral suggestions: a partner serving a person suggests another service; the
coordinator of the case's municipality drafts a referral from it in one step, or declines
it with a reason code the partner sees. State, event and audit commit together."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from homeward.common.audit import record_audit
from homeward.common.auth import Principal
from homeward.common.contracts.suggestions import (
    SuggestionAccepted,
    SuggestionDeclined,
    SuggestionMade,
)
from homeward.common.db import utcnow
from homeward.common.errors import NotFound
from homeward.common.events import EventContract, add_event
from homeward.common.vocabulary import ServiceCategory
from homeward.referrals.adapters.tables import KnownCase, SuggestionRow
from homeward.referrals.commands import (
    AcceptSuggestion,
    CreateReferral,
    DeclineSuggestion,
    SuggestReferral,
)
from homeward.referrals.domain.errors import StateConflict
from homeward.referrals.domain.lifecycle import ReferralState
from homeward.referrals.domain.suggestions import (
    SuggestionStatus,
    check_may_suggest,
    check_open,
)
from homeward.referrals.handlers.access import (
    agency_of,
    is_municipal_staff,
    municipality_of,
    referral_in_scope,
)
from homeward.referrals.handlers.referrals import stage_referral
from homeward.referrals.settings import ReferralsSettings

SUGGESTION_NOT_FOUND = "no such suggestion"
MAX_SUGGESTIONS = 200


def _facts(suggestion: SuggestionRow, *, municipality: str) -> dict[str, Any]:
    return {
        "suggestion_id": suggestion.id,
        "case_id": suggestion.case_id,
        "case_code": suggestion.case_code,
        "municipality": municipality,
        "person_id": suggestion.person_id,
        "person_code": suggestion.person_code,
        "suggesting_agency_id": suggestion.agency_id,
        "suggesting_agency_type": suggestion.agency_type,
        "service_category": suggestion.service_category,
        "reason_code": suggestion.reason_code,
    }


def _publish(session: AsyncSession, suggestion: SuggestionRow, event: EventContract) -> None:
    add_event(session, event, key=suggestion.case_id, subject=suggestion.case_code)


async def suggest_referral(
    session: AsyncSession, *, principal: Principal, referral_id: str, command: SuggestReferral
) -> SuggestionRow:
    referral = await referral_in_scope(session, referral_id=referral_id, principal=principal)
    category = command.service_category.value
    check_may_suggest(
        referral_state=ReferralState(referral.state),
        referral_category=referral.service_category,
        suggested_category=category,
    )
    already = await session.exec(
        select(SuggestionRow.id).where(
            SuggestionRow.person_id == referral.person_id,
            SuggestionRow.service_category == category,
            SuggestionRow.status == SuggestionStatus.OPEN.value,
        )
    )
    if already.first() is not None:
        raise StateConflict(
            "this service is already suggested for this person; it awaits a decision"
        )
    now = utcnow()
    suggestion = SuggestionRow(
        from_referral_id=referral.id, case_id=referral.case_id, case_code=referral.case_code,
        person_id=referral.person_id,
        person_code=referral.person_code, agency_id=referral.agency_id,
        agency_type=referral.agency_type, service_category=category,
        reason_code=command.reason.value, note=command.note,
        status=SuggestionStatus.OPEN.value, suggested_at=now, suggested_by=principal.actor,
    )  # fmt: skip
    session.add(suggestion)
    made = SuggestionMade(
        **_facts(suggestion, municipality=referral.municipality), suggested_at=now
    )
    _publish(session, suggestion, made)
    record_audit(session, principal=principal, action="suggestion.made",
                 case_code=suggestion.case_code, subject_code=suggestion.person_code,
                 fields=["note"] if command.note else [])  # fmt: skip
    await session.commit()
    return suggestion


async def list_suggestions(
    session: AsyncSession, *, principal: Principal, status: SuggestionStatus | None
) -> list[SuggestionRow]:
    """Suggestions for the cases of the caller's municipality (they follow a case that moves)
    for coordinators and supervisors; the agency's own for partners. Newest first, bounded."""
    query = select(SuggestionRow).order_by(col(SuggestionRow.suggested_at).desc())
    if is_municipal_staff(principal):
        query = query.join(KnownCase, col(KnownCase.case_id) == col(SuggestionRow.case_id)).where(
            KnownCase.municipality == municipality_of(principal)
        )
    else:
        query = query.where(SuggestionRow.agency_id == agency_of(principal))
    if status is not None:
        query = query.where(SuggestionRow.status == status.value)
    return list((await session.exec(query.limit(MAX_SUGGESTIONS))).all())


async def _suggestion_to_decide(
    session: AsyncSession, *, principal: Principal, suggestion_id: str
) -> tuple[SuggestionRow, KnownCase]:
    query = select(SuggestionRow).where(SuggestionRow.id == suggestion_id).with_for_update()
    suggestion = (await session.exec(query)).first()
    case = await session.get(KnownCase, suggestion.case_id) if suggestion else None
    if suggestion is None or case is None or case.municipality != municipality_of(principal):
        raise NotFound(SUGGESTION_NOT_FOUND)
    check_open(SuggestionStatus(suggestion.status))
    return suggestion, case


async def accept_suggestion(
    session: AsyncSession,
    *,
    principal: Principal,
    suggestion_id: str,
    command: AcceptSuggestion,
    settings: ReferralsSettings,
) -> SuggestionRow:
    """One step: a draft referral for the suggested service, and the suggestion accepted."""
    suggestion, case = await _suggestion_to_decide(
        session, principal=principal, suggestion_id=suggestion_id
    )
    referral = await stage_referral(
        session,
        principal=principal,
        command=CreateReferral(
            case_id=suggestion.case_id,
            person_id=suggestion.person_id,
            agency_id=command.agency_id,
            service_category=ServiceCategory(suggestion.service_category),
            priority=command.priority,
            reason=command.reason or f"suggested by a partner ({suggestion.reason_code})",
            disclose=command.disclose,
            send=False,
        ),
        settings=settings,
    )
    now = utcnow()
    suggestion.status = SuggestionStatus.ACCEPTED.value
    suggestion.decided_at, suggestion.decided_by = now, principal.actor
    suggestion.referral_id = referral.id
    session.add(suggestion)
    _publish(session, suggestion, SuggestionAccepted(
        **_facts(suggestion, municipality=case.municipality), drafted_referral_id=referral.id,
        accepted_at=now,
    ))  # fmt: skip
    record_audit(session, principal=principal, action="suggestion.accepted",
                 case_code=suggestion.case_code, subject_code=suggestion.person_code)  # fmt: skip
    await session.commit()
    return suggestion


async def decline_suggestion(
    session: AsyncSession, *, principal: Principal, suggestion_id: str, command: DeclineSuggestion
) -> SuggestionRow:
    suggestion, case = await _suggestion_to_decide(
        session, principal=principal, suggestion_id=suggestion_id
    )
    now = utcnow()
    suggestion.status = SuggestionStatus.DECLINED.value
    suggestion.decided_at, suggestion.decided_by = now, principal.actor
    suggestion.decline_reason = command.reason.value
    session.add(suggestion)
    _publish(session, suggestion, SuggestionDeclined(
        **_facts(suggestion, municipality=case.municipality),
        decline_reason=command.reason.value, declined_at=now,
    ))  # fmt: skip
    record_audit(session, principal=principal, action="suggestion.declined",
                 case_code=suggestion.case_code, subject_code=suggestion.person_code)  # fmt: skip
    await session.commit()
    return suggestion
