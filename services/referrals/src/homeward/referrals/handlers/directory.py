"""The partner directory: admins maintain it, coordinators search it, anyone exports HSDS."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from homeward.common.audit import record_audit
from homeward.common.auth import Principal
from homeward.common.db import Database, utcnow
from homeward.common.errors import Conflict, NotFound
from homeward.referrals.adapters.tables import AgencyRow
from homeward.referrals.commands import AgencyDetails, NewAgency
from homeward.referrals.domain.directory import (
    AgencyFacts,
    CapacityStatus,
    normalise_municipality,
)

AGENCY_NOT_FOUND = "no such agency"


def agency_facts(agency: AgencyRow | None) -> AgencyFacts | None:
    if agency is None:
        return None
    return AgencyFacts(
        agency_id=agency.id,
        active=agency.active,
        municipalities=agency.municipalities,
        service_categories=agency.service_categories,
        capacity=CapacityStatus(agency.capacity),
    )


def _new_agency(details: NewAgency) -> AgencyRow:
    agency = AgencyRow(id=details.id, name="", agency_type="", service_categories=[],
                       municipalities=[], capacity="", updated_at=utcnow())  # fmt: skip
    _apply(agency, details)
    return agency


def _apply(agency: AgencyRow, details: AgencyDetails) -> None:
    agency.name = details.name
    agency.description = details.description
    agency.agency_type = details.agency_type.value
    agency.service_categories = sorted({c.value for c in details.service_categories})
    agency.municipalities = sorted({normalise_municipality(m) for m in details.municipalities})
    agency.capacity = details.capacity.value
    agency.active = details.active
    agency.website = str(details.website) if details.website else None
    agency.updated_at = utcnow()


async def create_agency(
    session: AsyncSession, *, principal: Principal, command: NewAgency
) -> AgencyRow:
    if await session.get(AgencyRow, command.id) is not None:
        raise Conflict(f"agency {command.id} already exists; update it instead")
    agency = _new_agency(command)
    session.add(agency)
    record_audit(session, principal=principal, action="agency.created", fields=["agency"])
    await session.commit()
    return agency


async def update_agency(
    session: AsyncSession, *, principal: Principal, agency_id: str, command: AgencyDetails
) -> AgencyRow:
    agency = await session.get(AgencyRow, agency_id, with_for_update=True)
    if agency is None:
        raise NotFound(AGENCY_NOT_FOUND)
    _apply(agency, command)
    session.add(agency)
    record_audit(session, principal=principal, action="agency.updated", fields=["agency"])
    await session.commit()
    return agency


async def read_agency(session: AsyncSession, *, agency_id: str) -> AgencyRow:
    agency = await session.get(AgencyRow, agency_id)
    if agency is None:
        raise NotFound(AGENCY_NOT_FOUND)
    return agency


async def search_agencies(
    session: AsyncSession,
    *,
    service_category: str | None,
    municipality: str | None,
    agency_type: str | None,
    include_inactive: bool,
    language: str | None = None,
    accreditation: str | None = None,
    capacity: str | None = None,
) -> list[AgencyRow]:
    """Filtering the JSON lists happens here: the directory is small (tens of agencies)."""
    query = select(AgencyRow).order_by(col(AgencyRow.id))
    if not include_inactive:
        query = query.where(col(AgencyRow.active).is_(True))
    if agency_type:
        query = query.where(AgencyRow.agency_type == agency_type)
    if capacity:
        query = query.where(AgencyRow.capacity == capacity)
    wanted_municipality = normalise_municipality(municipality) if municipality else None
    return [
        agency
        for agency in (await session.exec(query)).all()
        if (service_category is None or service_category in agency.service_categories)
        and (wanted_municipality is None or wanted_municipality in agency.municipalities)
        and (language is None or language.lower() in agency.languages)
        and (accreditation is None or accreditation in accredited_codes(agency))
    ]


def accredited_codes(agency: AgencyRow) -> set[str]:
    return {entry["code"] for entry in agency.accreditations if entry.get("count", 0) > 0}


def hsds_organization(agency: AgencyRow) -> dict[str, Any]:
    """One agency as an Open Referral HSDS 3.0 organization with its services and areas."""
    return {
        "id": agency.id,
        "name": agency.name,
        "description": agency.description or "",
        "website": agency.website,
        "services": [
            {
                "id": f"{agency.id}:{category}",
                "organization_id": agency.id,
                "name": category,
                "status": "active" if agency.active and agency.capacity != "closed" else "inactive",
                "attributes": [
                    {"taxonomy": "homeward-service-category", "value": category},
                    {"taxonomy": "homeward-agency-type", "value": agency.agency_type},
                    {"taxonomy": "homeward-capacity", "value": agency.capacity},
                ],
                "service_areas": [
                    {"id": f"{agency.id}:{category}:{m}", "name": m, "extent_type": "municipality"}
                    for m in agency.municipalities
                ],
            }
            for category in agency.service_categories
        ],
        "locations": [
            {
                "id": f"{agency.id}:{m}",
                "organization_id": agency.id,
                "name": m,
                "location_type": "virtual",
            }
            for m in agency.municipalities
        ],
    }


# Agencies matching the demo realm's partner users and systems (deploy/keycloak).
DEMO_AGENCIES: list[dict[str, Any]] = [
    {"id": "riverton-police", "name": "Riverton Police and Probation", "agency_type": "police",
     "service_categories": ["legal-aid", "family-support"], "municipalities": ["riverton"]},
    {"id": "riverton-primary-school", "name": "Riverton Primary School", "agency_type": "school",
     "service_categories": ["school-enrolment"], "municipalities": ["riverton"]},
    {"id": "riverton-health-centre", "name": "Riverton Health Centre", "agency_type": "health",
     "service_categories": ["health-care", "mental-health", "basic-needs"],
     "municipalities": ["riverton"]},
    {"id": "riverton-faith-council", "name": "Riverton Faith Council", "agency_type": "religious",
     "service_categories": ["religious-guidance", "family-support"],
     "municipalities": ["riverton"]},
    {"id": "lakeside-social-services", "name": "Lakeside Social Services",
     "agency_type": "social-services",
     "service_categories": ["basic-needs", "housing", "social-benefits", "family-support"],
     "municipalities": ["lakeside"]},
    {"id": "lakeside-trauma-clinic", "name": "Lakeside Trauma Clinic",
     "agency_type": "mental-health",
     "service_categories": ["mental-health"], "municipalities": ["lakeside", "riverton"]},
]  # fmt: skip


async def seed_demo_directory(session: AsyncSession) -> int:
    """Add the demo agencies that are missing; never overwrites an admin's edits."""
    added = 0
    for entry in DEMO_AGENCIES:
        if await session.get(AgencyRow, entry["id"]) is None:
            session.add(_new_agency(NewAgency.model_validate(entry)))
            added += 1
    await session.commit()
    return added


class DemoDirectorySeeding:
    """A background task of the service app that seeds the demo directory once at start-up."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def start(self) -> None:
        async with self.database.session() as session:
            await seed_demo_directory(session)

    async def stop(self) -> None:
        """Nothing to stop: the seeding finished in `start`."""
