"""Loading `Referral` aggregates from their rows and saving them back with their history and
events, in the caller's transaction (the outbox publishes the events after commit)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict

from sqlmodel.ext.asyncio.session import AsyncSession

from homeward.common.events import EventContract, add_event
from homeward.referrals.adapters.tables import AgencyRow, ReferralHistoryRow, ReferralRow
from homeward.referrals.domain.directory import CapacityStatus
from homeward.referrals.domain.lifecycle import ReferralState
from homeward.referrals.domain.referral import Deadlines, Referral, blocked_on
from homeward.referrals.settings import ReferralsSettings

# The aggregate's fields that are columns of the row (all but its deadlines and new history).
COLUMNS = tuple(
    name
    for name in Referral.__dataclass_fields__
    if name not in ("deadlines", "new_history", "agency_closed")
)


def deadlines_for(settings: ReferralsSettings, service_category: str) -> Deadlines:
    return Deadlines(
        acceptance=settings.acceptance_deadline(service_category),
        completion=settings.completion_target(service_category),
    )


def to_referral(row: ReferralRow, *, settings: ReferralsSettings) -> Referral:
    values = {name: getattr(row, name) for name in COLUMNS}
    values["state"] = ReferralState(row.state)
    return Referral(**values, deadlines=deadlines_for(settings, row.service_category))


async def load_referral(
    session: AsyncSession, row: ReferralRow, *, settings: ReferralsSettings
) -> Referral:
    """The aggregate with what its sending needs from the directory: is the agency closed?"""
    referral = to_referral(row, settings=settings)
    agency = await session.get(AgencyRow, row.agency_id)
    referral.agency_closed = agency is not None and agency.capacity == CapacityStatus.CLOSED
    return referral


async def save(
    session: AsyncSession,
    referral: Referral,
    events: Iterable[EventContract],
    *,
    row: ReferralRow | None = None,
) -> ReferralRow:
    """Write the aggregate onto its row (a new one when `row` is None), then its history
    lines and its events, in the order the actions made them."""
    if row is None:
        row = ReferralRow(id=referral.id, **_values(referral))
        session.add(row)
        await session.flush()  # the history's foreign key needs the row first
    for name, value in _values(referral).items():
        setattr(row, name, value)
    session.add(row)
    for entry in referral.new_history:
        session.add(ReferralHistoryRow(referral_id=referral.id, **asdict(entry)))
    referral.new_history.clear()
    for event in events:
        add_event(session, event, key=referral.case_id, subject=referral.case_code)
    return row


def _values(referral: Referral) -> dict[str, object]:
    values = {name: getattr(referral, name) for name in COLUMNS if name != "id"}
    values["state"] = referral.state.value
    return values


def blocked_on_of(row: ReferralRow) -> list[str]:
    """The gates holding a stored referral, as the aggregate decides them."""
    return blocked_on(
        missing_consent=row.missing_consent,
        consent_override_basis=row.consent_override_basis,
        missing_documents=row.missing_documents,
    )
