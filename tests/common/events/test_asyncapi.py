"""The AsyncAPI document every service serves, validated against the official AsyncAPI 3.0
JSON Schema (vendored in asyncapi/, see its README)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from jsonschema import Draft7Validator

from homeward.common.events import InMemoryBroker, registry
from homeward.intake.app import create_app
from homeward.intake.settings import IntakeSettings

SCHEMA = json.loads((Path(__file__).parent / "asyncapi" / "3.0.0.json").read_text())


async def _served(settings: IntakeSettings) -> httpx.Response:
    app = create_app(settings, broker=InMemoryBroker(), token_validator=None)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as http:
        return await http.get("/asyncapi.json")


async def test_the_served_document_is_valid_asyncapi_3() -> None:
    response = await _served(IntakeSettings())
    assert response.status_code == 200
    document = response.json()
    errors = [f"{e.json_path}: {e.message}" for e in Draft7Validator(SCHEMA).iter_errors(document)]
    assert not errors, errors
    names = {message["name"] for message in document["components"]["messages"].values()}
    assert names == {model.event_type for model in registry.contracts()}


def test_the_validator_refuses_a_broken_document() -> None:
    broken = {"asyncapi": "3.0.0", "info": {"title": "x"}, "channels": {"c": {"address": 1}}}
    assert len(list(Draft7Validator(SCHEMA).iter_errors(broken))) >= 2


async def test_hidden_where_the_openapi_document_is() -> None:
    assert (await _served(IntakeSettings(docs_enabled=False))).status_code == 404
