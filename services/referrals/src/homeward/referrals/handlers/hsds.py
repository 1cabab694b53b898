"""The partner directory as Open Referral HSDS 3.0: organizations (agencies), their services
(one per service category), locations and service areas (the municipalities they serve),
and taxonomies of Homeward's vocabularies, with the attributes that link them.

HSDS wants UUIDs; agencies have slugs. Every id is a UUID5 of the agency slug (and category,
municipality, term) under one namespace, so ids are stable across exports and replicas with
nothing stored. Municipalities are served as text extents (HSDS extent types: geojson,
topojson, kml, text) and as virtual locations (HSDS has no administrative-area type).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from babel import Locale, UnknownLocaleError

from homeward.common.vocabulary import AgencyType, ServiceCategory
from homeward.referrals.adapters.tables import AgencyRow
from homeward.referrals.domain.directory import Accreditation, CapacityStatus

HSDS_VERSION = "3.0"
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:homeward:hsds")  # changing it changes every id


def hsds_id(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(parts)))


@dataclass(frozen=True)
class Taxonomy:
    slug: str
    name: str
    description: str
    terms: type[StrEnum]

    @property
    def id(self) -> str:
        return hsds_id("taxonomy", self.slug)

    def term_id(self, value: str) -> str:
        return hsds_id("taxonomy_term", self.slug, value)


SERVICE_CATEGORIES = Taxonomy(
    "homeward-service-category",
    "Homeward service categories",
    "What a partner agency offers a returning family member.",
    ServiceCategory,
)
AGENCY_TYPES = Taxonomy(
    "homeward-agency-type", "Homeward agency types", "The kind of partner agency.", AgencyType
)
CAPACITY = Taxonomy(
    "homeward-capacity",
    "Homeward capacity",
    "Whether an agency takes new referrals.",
    CapacityStatus,
)
ACCREDITATIONS = Taxonomy(
    "homeward-accreditation",
    "Homeward accredited staff",
    "Staff trained or accredited for this work; an attribute's value is how many (never who).",
    Accreditation,
)
TAXONOMIES = (SERVICE_CATEGORIES, AGENCY_TYPES, CAPACITY, ACCREDITATIONS)


def taxonomy(tax: Taxonomy) -> dict[str, Any]:
    return {"id": tax.id, "name": tax.name, "description": tax.description, "version": "1"}


def taxonomy_terms() -> list[dict[str, Any]]:
    return [
        {
            "id": tax.term_id(term.value),
            "code": term.value,
            "name": term.value.replace("-", " "),
            "description": f"{tax.name}: {term.value}",
            "taxonomy": tax.slug,
            "taxonomy_id": tax.id,
            "language": "en",
        }
        for tax in TAXONOMIES
        for term in tax.terms
    ]


def _attribute(
    tax: Taxonomy, value: str, *, link_id: str, link_entity: str, link_type: str
) -> dict[str, Any]:
    return {
        "id": hsds_id("attribute", link_entity, link_id, tax.slug, value),
        "link_id": link_id,
        "link_type": link_type,
        "link_entity": link_entity,
        "taxonomy_term_id": tax.term_id(value),
        "value": value,
    }


def _status(agency: AgencyRow) -> str:
    if not agency.active:
        return "inactive"
    return "temporarily closed" if agency.capacity == CapacityStatus.CLOSED else "active"


def organization_summary(agency: AgencyRow) -> dict[str, Any]:
    """The organization without nested lists (HSDS `organization_list`)."""
    summary = {
        "id": hsds_id("organization", agency.id),
        "name": agency.name,
        "description": agency.description or agency.name,
    }
    if agency.website:  # HSDS types website as a URI string: absent rather than null
        summary["website"] = agency.website
    return summary


def location(agency: AgencyRow, municipality: str) -> dict[str, Any]:
    return {
        "id": hsds_id("location", agency.id, municipality),
        "location_type": "virtual",
        "organization_id": hsds_id("organization", agency.id),
        "name": f"{agency.name}, {municipality}",
        "external_identifier": municipality,
        "external_identifier_type": "homeward-municipality",
    }


def service_summary(agency: AgencyRow, category: str) -> dict[str, Any]:
    """The service without nested lists (HSDS `service_list`)."""
    return {
        "id": hsds_id("service", agency.id, category),
        "organization_id": hsds_id("organization", agency.id),
        "name": f"{agency.name}: {category.replace('-', ' ')}",
        "status": _status(agency),
        "last_modified": agency.updated_at.isoformat(),
    }


def service_at_location(agency: AgencyRow, category: str, municipality: str) -> dict[str, Any]:
    return {
        "id": hsds_id("service_at_location", agency.id, category, municipality),
        "service_id": hsds_id("service", agency.id, category),
        "location_id": hsds_id("location", agency.id, municipality),
    }


def _language_name(code: str) -> str:
    try:
        return Locale.parse(code).english_name or code
    except (ValueError, UnknownLocaleError):
        return code


def _languages(agency: AgencyRow, service_id: str) -> list[dict[str, Any]]:
    """The languages the agency's staff speak, as HSDS language objects (ISO 639 codes)."""
    return [
        {"id": hsds_id("language", service_id, code), "service_id": service_id,
         "code": code, "name": _language_name(code)}
        for code in agency.languages
    ]  # fmt: skip


def _accredited(agency: AgencyRow) -> list[tuple[str, int]]:
    return [(entry["code"], int(entry["count"])) for entry in agency.accreditations]


def service(agency: AgencyRow, category: str) -> dict[str, Any]:
    """A service with its areas, locations, languages, accredited staff (HSDS's free-text
    `accreditations`, and one attribute per accreditation whose value is the count) and
    attributes (HSDS `service`)."""
    service_id = hsds_id("service", agency.id, category)
    link = {"link_id": service_id, "link_entity": "service"}
    accredited = _accredited(agency)
    extra: dict[str, Any] = {}
    if accredited:  # a string in HSDS: absent rather than empty
        extra["accreditations"] = "; ".join(f"{code}: {count}" for code, count in accredited)
    return {
        **service_summary(agency, category),
        **extra,
        "languages": _languages(agency, service_id),
        "service_areas": [
            {
                "id": hsds_id("service_area", agency.id, category, municipality),
                "service_id": service_id,
                "name": municipality,
                "extent": municipality,
                "extent_type": "text",
            }
            for municipality in agency.municipalities
        ],
        "service_at_locations": [
            {**service_at_location(agency, category, m), "location": location(agency, m)}
            for m in agency.municipalities
        ],
        "attributes": [
            _attribute(SERVICE_CATEGORIES, category, link_type="service_category", **link),
            _attribute(CAPACITY, agency.capacity, link_type="capacity", **link),
            *(
                {
                    **_attribute(ACCREDITATIONS, code, link_type="accreditation", **link),
                    "value": str(count),
                }
                for code, count in accredited
            ),
        ],
    }


def organization(agency: AgencyRow) -> dict[str, Any]:
    """An organization with its services and locations (HSDS `organization`, compiled)."""
    organization_id = hsds_id("organization", agency.id)
    return {
        **organization_summary(agency),
        "locations": [location(agency, m) for m in agency.municipalities],
        "services": [service(agency, category) for category in agency.service_categories],
        "attributes": [
            _attribute(
                AGENCY_TYPES,
                agency.agency_type,
                link_id=organization_id,
                link_entity="organization",
                link_type="agency_type",
            )
        ],
    }
