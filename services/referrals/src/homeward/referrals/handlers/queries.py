"""Reading referrals: lists and details for each side, and the partner's case summary.

A partner's case summary holds only the data categories that both the referral discloses and
a consent in force covers for the partner's agency type today: consent is checked at read
time, so a revocation takes effect on the next read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Text, and_, cast, func, not_, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from homeward.common.audit import record_audit
from homeward.common.auth import Principal, Role
from homeward.common.codes import CodeKind, parse_code
from homeward.common.db import utcnow
from homeward.common.vocabulary import DataCategory
from homeward.referrals.adapters.tables import (
    EscalationRow,
    KnownPerson,
    ReferralHistoryRow,
    ReferralRow,
)
from homeward.referrals.domain.deadlines import DEADLINE_STATES, EscalationLevel
from homeward.referrals.domain.gates import consented_categories
from homeward.referrals.domain.lifecycle import Action, ReferralState
from homeward.referrals.handlers.access import (
    agency_of,
    is_municipal_staff,
    municipality_of,
    referral_in_scope,
)
from homeward.referrals.handlers.gates import consents_of

# Need domains (intake's assessment vocabulary) shown per data category.
NEED_DOMAINS_BY_CATEGORY = {
    DataCategory.HEALTH.value: ["physical-health", "mental-health-and-trauma"],
    DataCategory.EDUCATION.value: ["education"],
    DataCategory.LEGAL.value: ["legal-documentation"],
    DataCategory.FAMILY.value: ["family-support", "community-acceptance"],
    DataCategory.RELIGIOUS.value: ["religious-guidance"],
}


# History lines that change a referral's state (not its gates, overrides or escalations).
STATUS_CHANGES = frozenset({"create", *(action.value for action in Action)})


LEVELS = [level.value for level in EscalationLevel]  # lowest first


@dataclass(frozen=True, kw_only=True)
class ReferralListing:
    items: list[ReferralRow]
    total: int
    # The level each listed referral's running deadline has been escalated to, if any.
    escalations: dict[str, str]


async def list_referrals(
    session: AsyncSession,
    *,
    principal: Principal,
    states: Sequence[str] = (),
    case_id: str | None = None,
    code: str | None = None,
    limit: int,
    offset: int,
    agency_id: str | None = None,
    state_changed_after: datetime | None = None,
    blocked: bool | None = None,
    escalated: EscalationLevel | None = None,
) -> ReferralListing:
    query = select(ReferralRow)
    if is_municipal_staff(principal):
        query = query.where(ReferralRow.municipality == municipality_of(principal))
    else:
        query = query.where(
            ReferralRow.agency_id == agency_of(principal),
            ReferralRow.state != ReferralState.DRAFT.value,
        )
    if states:
        query = query.where(col(ReferralRow.state).in_(states))
    if case_id is not None:
        query = query.where(ReferralRow.case_id == case_id)
    if code is not None:
        if (parsed := parse_code(code)) is None:
            return ReferralListing(items=[], total=0, escalations={})  # not a code: it names nobody
        column = ReferralRow.case_code if parsed.kind is CodeKind.CASE else ReferralRow.person_code
        query = query.where(column == parsed.value)
    if agency_id is not None:
        query = query.where(ReferralRow.agency_id == agency_id)
    if state_changed_after is not None:
        changed = select(ReferralHistoryRow.id).where(
            ReferralHistoryRow.referral_id == ReferralRow.id,
            col(ReferralHistoryRow.action).in_(STATUS_CHANGES),
            ReferralHistoryRow.at > state_changed_after,
        )
        query = query.where(changed.exists())
    if blocked is not None:
        query = query.where(_is_blocked() if blocked else not_(_is_blocked()))
    if escalated is not None:
        higher = LEVELS[LEVELS.index(escalated.value) :]
        standing = select(EscalationRow.id).where(
            EscalationRow.referral_id == ReferralRow.id, _standing(),
            col(EscalationRow.level).in_(higher),
        )  # fmt: skip
        query = query.where(standing.exists())
    total = (await session.exec(select(func.count()).select_from(query.subquery()))).one()
    page = query.order_by(col(ReferralRow.created_at).desc(), col(ReferralRow.id))
    items = list((await session.exec(page.limit(limit).offset(offset))).all())
    return ReferralListing(items=items, total=total,
                           escalations=await escalation_levels(session, items))  # fmt: skip


def _is_blocked() -> ColumnElement[bool]:
    """SQL for the aggregate's `blocked_on`: consent missing and not overridden, or documents
    missing (the JSON lists are stored as written, so an empty one is the text `[]`)."""
    empty = "[]"
    consent = and_(cast(col(ReferralRow.missing_consent), Text) != empty,
                   col(ReferralRow.consent_override_basis).is_(None))  # fmt: skip
    return or_(consent, cast(col(ReferralRow.missing_documents), Text) != empty)


def _standing() -> ColumnElement[bool]:
    """An escalation of the deadline the referral is under now (an acceptance deadline that
    was answered late no longer makes an accepted referral overdue)."""
    return or_(*(and_(EscalationRow.deadline == kind.value,
                      col(ReferralRow.state).in_([state.value for state in states]))
                 for kind, states in DEADLINE_STATES.items()))  # fmt: skip


async def escalation_levels(
    session: AsyncSession, referrals: Sequence[ReferralRow]
) -> dict[str, str]:
    """The highest standing escalation level of each referral, in one query."""
    if not referrals:
        return {}
    rows = await session.exec(
        select(EscalationRow.referral_id, EscalationRow.level)
        .join(ReferralRow, col(ReferralRow.id) == col(EscalationRow.referral_id))
        .where(col(EscalationRow.referral_id).in_([r.id for r in referrals]), _standing())
    )
    found: dict[str, str] = {}
    for referral_id, level in rows.all():
        if LEVELS.index(level) >= LEVELS.index(found.get(referral_id, LEVELS[0])):
            found[referral_id] = level
    return found


@dataclass(frozen=True, kw_only=True)
class ReferralDetails:
    referral: ReferralRow
    history: list[ReferralHistoryRow]
    case_summary: dict[str, Any] | None
    shared_categories: list[str]
    escalation_level: str | None


async def read_referral(
    session: AsyncSession, *, principal: Principal, referral_id: str
) -> ReferralDetails:
    referral = await referral_in_scope(session, referral_id=referral_id, principal=principal)
    history = list(
        (
            await session.exec(
                select(ReferralHistoryRow)
                .where(ReferralHistoryRow.referral_id == referral.id)
                .order_by(col(ReferralHistoryRow.id))
            )
        ).all()
    )
    escalation = (await escalation_levels(session, [referral])).get(referral.id)
    if not principal.has_any(Role.PARTNER) or is_municipal_staff(principal):
        return ReferralDetails(referral=referral, history=history, case_summary=None,
                               shared_categories=referral.disclose,
                               escalation_level=escalation)  # fmt: skip
    shared = await shared_categories(session, referral=referral)
    summary = await partner_case_summary(session, referral=referral, shared=shared)
    record_audit(session, principal=principal, action="referral.disclosed",
                 case_code=referral.case_code, subject_code=referral.person_code,
                 fields=sorted(shared), purpose="referral")  # fmt: skip
    await session.commit()
    return ReferralDetails(referral=referral, history=history, case_summary=summary,
                           shared_categories=sorted(shared),
                           escalation_level=escalation)  # fmt: skip


async def shared_categories(session: AsyncSession, *, referral: ReferralRow) -> set[str]:
    consents = await consents_of(session, person_id=referral.person_id)
    covered = consented_categories(consents, agency_type=referral.agency_type,
                                   today=utcnow().date())  # fmt: skip
    return set(referral.disclose) & covered


async def partner_case_summary(
    session: AsyncSession, *, referral: ReferralRow, shared: set[str]
) -> dict[str, Any]:
    """Codes only: the case and person codes, then what each shared category allows."""
    summary: dict[str, Any] = {
        "case_code": referral.case_code,
        "person_code": referral.person_code,
        "service_category": referral.service_category,
        "categories": sorted(shared),
    }
    person = await session.get(KnownPerson, referral.person_id)
    if person is None:
        return summary
    if DataCategory.IDENTITY.value in shared:
        summary["identity"] = {"age_group": person.age_group, "birth_year": person.birth_year,
                               "sex": person.sex}  # fmt: skip
    if DataCategory.FAMILY.value in shared:
        summary["family"] = {"household_role": person.household_role}
    for category, domains in NEED_DOMAINS_BY_CATEGORY.items():
        if category in shared:
            levels = {d: person.need_levels[d] for d in domains if d in person.need_levels}
            summary.setdefault(category, {})["need_levels"] = levels
    if DataCategory.LEGAL.value in shared:
        summary[DataCategory.LEGAL.value]["missing_documents"] = referral.missing_documents
    return summary
