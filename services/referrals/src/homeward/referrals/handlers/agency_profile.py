"""An agency keeps its own profile: capacity, services, municipalities, languages and the
accredited staff it has (counts per accreditation, never names). Only its own staff (or its
system) may; any other agency hears 404, as for an agency that does not exist."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from homeward.common.audit import record_audit
from homeward.common.auth import Principal
from homeward.common.db import utcnow
from homeward.common.errors import NotFound
from homeward.referrals.adapters.tables import AgencyRow
from homeward.referrals.commands import AgencyProfile
from homeward.referrals.domain.directory import check_accreditations_unique, normalise_municipality
from homeward.referrals.handlers.access import agency_of
from homeward.referrals.handlers.directory import AGENCY_NOT_FOUND


async def update_agency_profile(
    session: AsyncSession, *, principal: Principal, agency_id: str, command: AgencyProfile
) -> AgencyRow:
    if agency_id != agency_of(principal):
        raise NotFound(AGENCY_NOT_FOUND)
    agency = await session.get(AgencyRow, agency_id, with_for_update=True)
    if agency is None:
        raise NotFound(AGENCY_NOT_FOUND)
    check_accreditations_unique([entry.code.value for entry in command.accreditations])
    agency.capacity = command.capacity.value
    agency.service_categories = sorted({c.value for c in command.service_categories})
    agency.municipalities = sorted({normalise_municipality(m) for m in command.municipalities})
    agency.languages = command.languages
    agency.accreditations = sorted(
        ({"code": entry.code.value, "count": entry.count} for entry in command.accreditations),
        key=lambda entry: entry["code"],
    )
    agency.updated_at = utcnow()
    session.add(agency)
    record_audit(session, principal=principal, action="agency.profile_updated",
                 fields=sorted(AgencyProfile.model_fields))  # fmt: skip
    await session.commit()
    return agency
