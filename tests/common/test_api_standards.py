"""What the app builder gives every service's API: errors documented as one RFC 9457 `Problem`
(checked by openapi-spec-validator and jsonschema), 401 before any validation, and a 405 that
names all of a resource's methods."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Annotated, Literal

import httpx
import jsonschema
import pytest
from asgi_lifespan import LifespanManager
from fastapi import APIRouter, Depends
from openapi_spec_validator import validate

from homeward.common.auth import Principal, Role, require_roles
from homeward.common.commands import Command
from homeward.common.events import InMemoryBroker
from homeward.common.observability import JsonFormatter
from homeward.common.openapi import PROBLEM_SCHEMA, problem_responses
from homeward.common.service import create_service_app, default_parts
from homeward.common.settings import CommonSettings
from homeward.common.testing.apps import user_token

Admin = Annotated[Principal, Depends(require_roles(Role.ADMIN))]


class Rename(Command):
    name: str


def _items_router() -> APIRouter:
    router = APIRouter(prefix="/v1/items")

    @router.get("/{item_id}", name="read_item", response_model=Rename)
    async def read_item(item_id: int, kind: Literal["a", "b"], _: Admin) -> Rename:
        """One item."""
        return Rename(name=f"{kind}{item_id}")

    @router.put(
        "/{item_id}", name="rename_item", response_model=Rename, responses=problem_responses(409)
    )
    async def rename_item(item_id: int, body: Rename, _: Admin) -> Rename:
        """Rename an item."""
        return body

    return router


class ItemsSettings(CommonSettings):
    service_name = "items"


@pytest.fixture
async def items(database_url: str, identity_provider) -> AsyncIterator[httpx.AsyncClient]:
    settings = ItemsSettings(database_url=database_url, oidc_issuer=identity_provider.issuer)
    parts = default_parts(
        settings,
        migrations_package="homeward.intake.migrations",
        broker=InMemoryBroker(),
        token_validator=identity_provider.validator(),
    )
    app = create_service_app(parts, routers=[_items_router()], title="items", description="x")
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://items") as http:
            http.app = app  # type: ignore[attr-defined]
            yield http


async def test_the_document_gives_each_operation_its_problems(
    items: httpx.AsyncClient,
) -> None:
    document = items.app.openapi()  # type: ignore[attr-defined]
    validate(document)
    assert "HTTPValidationError" not in document["components"]["schemas"]
    assert document["components"]["schemas"]["Problem"] == PROBLEM_SCHEMA
    operations = document["paths"]["/v1/items/{item_id}"]
    expected = {"get": {"401", "403", "404", "422"}, "put": {"401", "403", "404", "409", "413"}}
    for method, errors in expected.items():
        responses = operations[method]["responses"]
        assert errors <= set(responses), method
        for status in errors | {"422"}:
            content = responses[status]["content"]
            assert content == {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            }
    me = document["paths"]["/v1/me"]["get"]["responses"]
    assert set(me) == {"200", "401"}


async def test_no_token_is_401_before_any_parameter_or_body_is_looked_at(
    items: httpx.AsyncClient,
) -> None:
    refused = [
        await items.get("/v1/items/not-a-number?kind=unknown"),
        await items.put(
            "/v1/items/1", content=b"{broken", headers={"content-type": "application/json"}
        ),
        await items.put("/v1/items/1", json={"unexpected": True}),
        await items.put("/v1/items/1", json={"name": "x" * (2 * 1024 * 1024)}),
        await items.get("/v1/items/1?kind=a", headers={"Authorization": "Bearer not.a.jwt"}),
        await items.delete("/v1/items/1"),
    ]
    for response in refused:
        assert response.status_code == 401, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert "kind" not in response.text and "unexpected" not in response.text
        jsonschema.validate(response.json(), PROBLEM_SCHEMA)


async def test_errors_sent_match_the_problem_schema(
    items: httpx.AsyncClient, identity_provider
) -> None:
    admin = {"Authorization": f"Bearer {await user_token(identity_provider, 'admin')}"}
    partner = {"Authorization": f"Bearer {await user_token(identity_provider, 'school.riverton')}"}
    invalid = await items.get("/v1/items/1?kind=c", headers=admin)
    assert invalid.status_code == 422
    assert invalid.json()["errors"][0]["loc"] == ["query", "kind"]
    forbidden = await items.get("/v1/items/1?kind=a", headers=partner)
    assert forbidden.status_code == 403
    for response in (invalid, forbidden):
        jsonschema.validate(response.json(), PROBLEM_SCHEMA)
    assert (await items.get("/v1/items/1?kind=a", headers=admin)).json() == {"name": "a1"}


async def test_a_405_lists_every_method_of_the_resource(
    items: httpx.AsyncClient, identity_provider
) -> None:
    admin = {"Authorization": f"Bearer {await user_token(identity_provider, 'admin')}"}
    response = await items.delete("/v1/items/1", headers=admin)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, PUT"
    jsonschema.validate(response.json(), PROBLEM_SCHEMA)


async def test_a_401_is_logged_under_its_route_template(
    items: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="homeward.access"):
        response = await items.get("/v1/items/12?kind=a")
    assert response.status_code == 401
    record = next(r for r in caplog.records if r.name == "homeward.access")
    assert json.loads(JsonFormatter("items").format(record))["route"] == "/v1/items/{item_id}"
