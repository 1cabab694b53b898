"""The partner directory served in the shape of the HSDS 3.0 API (schema/openapi.json of
openreferral/specification): paged lists and single items, read by anyone who may read the
directory."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from homeward.common.errors import NotFound
from homeward.common.service import SessionDep
from homeward.referrals.adapters.tables import AgencyRow
from homeward.referrals.api.deps import DirectoryReader
from homeward.referrals.handlers import directory, hsds

router = APIRouter(prefix="/v1/directory/hsds", tags=["partner directory (HSDS 3.0)"])

Page = Annotated[int, Query(ge=1, le=10_000, description="Page number, from 1")]
PerPage = Annotated[int, Query(ge=1, le=100, description="Items per page")]
HsdsObject = dict[str, Any]


class HsdsInfo(BaseModel):
    version: str
    openapi_url: str


class HsdsPage(BaseModel):
    """HSDS's `Page`: the counts, and the items in `contents`."""

    total_items: int
    total_pages: int
    page_number: int
    size: int
    first_page: bool
    last_page: bool
    empty: bool
    contents: list[HsdsObject]


@router.get("", name="read_hsds_api_info", response_model=HsdsInfo)
async def read_info(_: DirectoryReader) -> HsdsInfo:
    """Which HSDS version this API serves, and the HSDS API definition it follows."""
    return HsdsInfo(
        version=hsds.HSDS_VERSION,
        openapi_url="https://raw.githubusercontent.com/openreferral/specification/3.0/schema/openapi.json",
    )


async def _agencies(session: SessionDep) -> list[AgencyRow]:
    return await directory.search_agencies(
        session, service_category=None, municipality=None, agency_type=None, include_inactive=True
    )


def _page(items: list[HsdsObject], page: int, per_page: int) -> HsdsPage:
    contents = items[(page - 1) * per_page : page * per_page]
    total_pages = max(1, math.ceil(len(items) / per_page))
    return HsdsPage(
        total_items=len(items),
        total_pages=total_pages,
        page_number=page,
        size=len(contents),
        first_page=page == 1,
        last_page=page >= total_pages,
        empty=not contents,
        contents=contents,
    )


def _one(items: list[HsdsObject], item_id: str) -> HsdsObject:
    found = next((item for item in items if item["id"] == item_id), None)
    if found is None:
        raise NotFound("no such item in the directory")
    return found


Listing = Callable[[list[AgencyRow]], list[HsdsObject]]


def _collection(path: str, name: str, what: str, listing: Listing, full: Listing) -> None:
    """A paged list (summaries) and a single-item route (full objects) of one HSDS type."""

    async def list_items(
        _: DirectoryReader, session: SessionDep, page: Page = 1, per_page: PerPage = 50
    ) -> HsdsPage:
        return _page(listing(await _agencies(session)), page, per_page)

    async def read_item(item_id: str, _: DirectoryReader, session: SessionDep) -> HsdsObject:
        return _one(full(await _agencies(session)), item_id)

    list_items.__doc__ = f"A page of the directory's {what}."
    read_item.__doc__ = f"One of the directory's {what}, fully nested."
    router.add_api_route(path, list_items, name=f"list_hsds_{name}", response_model=HsdsPage)
    router.add_api_route(
        f"{path}/{{item_id}}", read_item, name=f"read_hsds_{name}", response_model=HsdsObject
    )


def _each_service(agencies: list[AgencyRow], shape: Callable[..., HsdsObject]) -> list[HsdsObject]:
    return [shape(agency, c) for agency in agencies for c in agency.service_categories]


def _services_at_locations(agencies: list[AgencyRow]) -> list[HsdsObject]:
    return [
        {**hsds.service_at_location(agency, category, m), "location": hsds.location(agency, m)}
        for agency in agencies
        for category in agency.service_categories
        for m in agency.municipalities
    ]


def _locations(agencies: list[AgencyRow]) -> list[HsdsObject]:
    return [hsds.location(agency, m) for agency in agencies for m in agency.municipalities]


def _taxonomies(_: list[AgencyRow]) -> list[HsdsObject]:
    return [hsds.taxonomy(tax) for tax in hsds.TAXONOMIES]


def _terms(_: list[AgencyRow]) -> list[HsdsObject]:
    return hsds.taxonomy_terms()


_collection(
    "/organizations",
    "organizations",
    "organizations (agencies)",
    lambda agencies: [hsds.organization_summary(a) for a in agencies],
    lambda agencies: [hsds.organization(a) for a in agencies],
)
_collection(
    "/services",
    "services",
    "services (an agency's service categories)",
    lambda agencies: _each_service(agencies, hsds.service_summary),
    lambda agencies: _each_service(agencies, hsds.service),
)
_collection(
    "/service_at_locations",
    "services_at_locations",
    "services at locations",
    _services_at_locations,
    _services_at_locations,
)
_collection("/locations", "locations", "locations (municipalities served)", _locations, _locations)
_collection("/taxonomies", "taxonomies", "taxonomies", _taxonomies, _taxonomies)
_collection("/taxonomy_terms", "taxonomy_terms", "taxonomy terms", _terms, _terms)
