"""The consumer's handlers: learn facts from events, route, dispatch.

Each runs inside the consumer's transaction together with the inbox record, so an event
delivered twice makes its notifications once.
"""

from __future__ import annotations

from dataclasses import replace

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from homeward.common.db import utcnow
from homeward.common.events import CloudEvent, EventContract, Handler
from homeward.notifications.adapters.tables import CaseFactsRow, ReferralFactsRow
from homeward.notifications.domain.content import build_content
from homeward.notifications.domain.facts import CaseFacts, ReferralFacts, RoutedEvent
from homeward.notifications.domain.routing import route
from homeward.notifications.handlers.dispatch import dispatch

# Referral states after which an agency no longer relies on the case's consent.
REFERRAL_ENDED = frozenset(
    {"referral.completed", "referral.failed", "referral.cancelled", "referral.rejected",
     "referral.voided"}
)  # fmt: skip


def event_handler(*, app_base_url: str) -> Handler:
    async def handle(session: AsyncSession, event: EventContract, envelope: CloudEvent) -> None:
        await handle_event(session, envelope=envelope, app_base_url=app_base_url)

    return handle


async def handle_event(session: AsyncSession, *, envelope: CloudEvent, app_base_url: str) -> None:
    # The envelope's data, not the parsed contract: fields are read defensively by name, so
    # one handler serves every version and every contract other teams are still growing.
    probe = RoutedEvent(event_type=envelope.type, data=envelope.data)
    case_id = probe.text("case_id") or envelope.key
    case = await _learn_case(session, probe=probe, case_id=case_id)
    referral = await _learn_referral(session, probe=probe, case_id=case_id)
    case_referrals: list[ReferralFacts] = []
    if probe.action == "consent.revoked":
        rows = await session.exec(
            select(ReferralFactsRow).where(ReferralFactsRow.case_id == case_id)
        )
        case_referrals = [_referral_facts(row) for row in rows]
    routed = replace(probe, case=case, referral=referral, case_referrals=case_referrals)
    routing = route(routed)
    if routing is None:
        return
    content = build_content(routed, summary=routing.summary, app_base_url=app_base_url)
    await dispatch(session, event_id=envelope.id, content=content, recipients=routing.recipients)


async def _learn_case(
    session: AsyncSession, *, probe: RoutedEvent, case_id: str
) -> CaseFacts | None:
    row = await session.get(CaseFactsRow, case_id)
    code, municipality = probe.text("case_code"), probe.text("municipality")
    if probe.action == "case.transferred":
        municipality = probe.text("to_municipality")
    if row is None and code and municipality:
        row = CaseFactsRow(
            case_id=case_id, case_code=code, municipality=municipality, updated_at=utcnow()
        )
        session.add(row)
    if row is None:
        return None
    if probe.action == "case.coordinator_assigned" and (coordinator := probe.text("coordinator")):
        row.coordinator, row.updated_at = coordinator, utcnow()
    elif probe.action == "case.transferred" and municipality:
        # The receiving municipality assigns its own coordinator.
        row.municipality, row.coordinator, row.updated_at = municipality, None, utcnow()
    session.add(row)
    return CaseFacts(
        case_id=row.case_id,
        case_code=row.case_code,
        municipality=row.municipality,
        coordinator=row.coordinator,
    )


async def _learn_referral(
    session: AsyncSession, *, probe: RoutedEvent, case_id: str
) -> ReferralFacts | None:
    referral_id = probe.text("referral_id")
    if referral_id is None:
        return None
    row = await session.get(ReferralFactsRow, referral_id)
    agency_id = probe.text("agency_id")
    if row is None:
        if agency_id is None:
            return None
        row = ReferralFactsRow(
            referral_id=referral_id, case_id=case_id, agency_id=agency_id, updated_at=utcnow()
        )
    for name in ("agency_id", "agency_type", "person_id", "service_category"):
        if value := probe.text(name):
            setattr(row, name, value)
    if requester := probe.text("requested_by") or probe.text("requester"):
        row.requested_by = requester
    if probe.action in REFERRAL_ENDED:
        row.active = False
    row.updated_at = utcnow()
    session.add(row)
    return _referral_facts(row)


def _referral_facts(row: ReferralFactsRow) -> ReferralFacts:
    return ReferralFacts(**row.model_dump(exclude={"updated_at"}))
