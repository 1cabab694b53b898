"""The directory as HSDS 3.0, validated against the official schemas (vendored in hsds/, see
its README): every item of every route, list and single, with formats checked, no member
the schema does not define, and links that resolve."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from tests.referrals.conftest import ReferralsHarness

SCHEMAS = Path(__file__).parent / "hsds" / "schema"
READER = "school.riverton"
# service_area.extent_type: the enum the HSDS 3.0 schema states in its description.
EXTENT_TYPES = {"geojson", "topojson", "kml", "text"}


def _load(name: str) -> dict[str, Any]:
    return json.loads((SCHEMAS / name).read_text())


# The table schemas `$ref` each other by file name; no file declares its draft.
REGISTRY = Registry().with_resources(
    (path.name, DRAFT202012.create_resource(json.loads(path.read_text())))
    for path in SCHEMAS.glob("*.json")
)
# route: (schema of the paged items, schema of a single item)
ROUTES = {
    "organizations": ("compiled/organization_list.json", "compiled/organization.json"),
    "services": ("compiled/service_list.json", "compiled/service.json"),
    "service_at_locations": (
        "compiled/service_at_location_list.json",
        "compiled/service_at_location.json",
    ),
    "locations": ("location.json", "location.json"),
    "taxonomies": ("taxonomy.json", "taxonomy.json"),
    "taxonomy_terms": ("taxonomy_term.json", "taxonomy_term.json"),
}


def _validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(
        _load(name), registry=REGISTRY, format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def _resolved(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = REGISTRY.resolver().lookup(schema["$ref"]).contents
    return schema


def _unknown_members(instance: Any, schema: dict[str, Any], at: str = "") -> Iterator[str]:
    """Members the schema does not define (HSDS allows them; a standard export has none)."""
    schema = _resolved(schema)
    if isinstance(instance, dict):
        properties = schema.get("properties", {})
        for key, value in instance.items():
            if key not in properties:
                yield f"{at}/{key}"
            else:
                yield from _unknown_members(value, properties[key], f"{at}/{key}")
    elif isinstance(instance, list):
        for index, item in enumerate(instance):
            yield from _unknown_members(item, schema.get("items", {}), f"{at}/{index}")


def _walk(instance: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(instance, dict):
        for key, value in instance.items():
            yield key, value
            yield from _walk(value)
    elif isinstance(instance, list):
        for item in instance:
            yield from _walk(item)


def _conforms(item: dict[str, Any], schema_name: str) -> None:
    validator = _validator(schema_name)
    errors = [f"{e.json_path}: {e.message}" for e in validator.iter_errors(item)]
    assert not errors, f"{schema_name}: {errors}"
    unknown = list(_unknown_members(item, validator.schema))
    assert not unknown, f"{schema_name}: non-standard members {unknown}"
    assert None not in [value for _, value in _walk(item)], "HSDS has no nulls"


async def _all_pages(harness: ReferralsHarness, route: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    page = 1
    while True:
        response = await harness.call(
            READER, "GET", f"/v1/directory/hsds/{route}?page={page}&per_page=2"
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["page_number"], body["size"]) == (page, len(body["contents"]))
        assert body["first_page"] == (page == 1)
        items += body["contents"]
        if body["last_page"]:
            assert body["total_items"] == len(items)
            return items
        page += 1


@pytest.fixture
async def with_websites(referrals: ReferralsHarness) -> ReferralsHarness:
    """The demo directory plus an agency with a website (the demo ones have none)."""
    agency = {
        "id": "riverton-housing-office",
        "name": "Riverton Housing Office",
        "agency_type": "housing",
        "service_categories": ["housing", "social-benefits"],
        "municipalities": ["riverton", "lakeside"],
        "capacity": "closed",
        "website": "https://housing.riverton.example/",
    }
    created = await referrals.call("admin", "POST", "/v1/agencies", json=agency)
    assert created.status_code == 201, created.text
    # The school's own staff say which languages they speak and who is trained for this work.
    profile = {"capacity": "open", "service_categories": ["school-enrolment"],
               "municipalities": ["riverton"], "languages": ["ru", "kk"],
               "accreditations": [{"code": "child-psychologist", "count": 2}]}  # fmt: skip
    kept = await referrals.call(
        "school.riverton", "PUT", "/v1/agencies/riverton-primary-school/profile", json=profile
    )
    assert kept.status_code == 200, kept.text
    return referrals


async def test_every_item_of_every_route_is_valid_hsds(with_websites: ReferralsHarness) -> None:
    served: dict[str, list[dict[str, Any]]] = {}
    for route, (list_schema, item_schema) in ROUTES.items():
        served[route] = await _all_pages(with_websites, route)
        assert served[route], route
        for summary in served[route]:
            _conforms(summary, list_schema)
            one = await with_websites.call(
                READER, "GET", f"/v1/directory/hsds/{route}/{summary['id']}"
            )
            assert one.status_code == 200, one.text
            _conforms(one.json(), item_schema)
            assert {k: v for k, v in one.json().items() if k in summary} == summary

    organizations = [
        (
            await with_websites.call(READER, "GET", f"/v1/directory/hsds/organizations/{o['id']}")
        ).json()
        for o in served["organizations"]
    ]
    assert len(organizations) == 7
    assert any("website" in o for o in organizations)
    terms = {term["id"]: term for term in served["taxonomy_terms"]}
    taxonomies = {taxonomy["id"] for taxonomy in served["taxonomies"]}
    assert {term["taxonomy_id"] for term in terms.values()} <= taxonomies
    for organization in organizations:
        for service in organization["services"]:
            assert service["organization_id"] == organization["id"]
            for area in service["service_areas"]:
                assert area["extent_type"] in EXTENT_TYPES
            for attribute in service["attributes"] + organization["attributes"]:
                assert attribute["taxonomy_term_id"] in terms
    school = next(o for o in organizations if o["name"] == "Riverton Primary School")
    [enrolment] = school["services"]
    assert {(lang["code"], lang["name"]) for lang in enrolment["languages"]} == {
        ("ru", "Russian"),
        ("kk", "Kazakh"),
    }
    assert enrolment["accreditations"] == "child-psychologist: 2"
    accredited = [a for a in enrolment["attributes"] if a["link_type"] == "accreditation"]
    assert [(terms[a["taxonomy_term_id"]]["code"], a["value"]) for a in accredited] == [
        ("child-psychologist", "2")
    ]
    housing = next(o for o in organizations if o["name"] == "Riverton Housing Office")
    assert {s["status"] for s in housing["services"]} == {"temporarily closed"}
    categories = {
        terms[a["taxonomy_term_id"]]["code"]
        for s in housing["services"]
        for a in s["attributes"]
        if a["link_type"] == "service_category"
    }
    assert categories == {"housing", "social-benefits"}


async def test_ids_are_stable_uuids_and_unknown_ones_are_404(referrals: ReferralsHarness) -> None:
    first = await _all_pages(referrals, "organizations")
    again = await _all_pages(referrals, "organizations")
    assert [o["id"] for o in first] == [o["id"] for o in again]
    missing = await referrals.call(
        READER, "GET", "/v1/directory/hsds/services/00000000-0000-4000-8000-000000000000"
    )
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


async def test_the_hsds_routes_need_a_directory_reader(referrals: ReferralsHarness) -> None:
    assert (await referrals.http.get("/v1/directory/hsds/organizations")).status_code == 401
    auditor = await referrals.call("auditor", "GET", "/v1/directory/hsds/taxonomy_terms")
    assert auditor.status_code == 403
    info = await referrals.call(READER, "GET", "/v1/directory/hsds")
    assert info.json()["version"] == "3.0"
