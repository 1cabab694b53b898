"""Each service's API against its own OpenAPI document, by the standards' validators:
openapi-spec-validator on the document, schemathesis on every operation with the tokens of
two roles."""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import settings
from openapi_spec_validator import validate

from homeward.admin.services import EVENTED
from homeward.common.events import InMemoryBroker
from homeward.common.testing.conformance import MAX_EXAMPLES, call_and_validate_as
from homeward.common.testing.live import LiveService, live_service


@dataclass(frozen=True)
class Api:
    service: str
    users: tuple[str, str]  # each operation is called with each one's token
    excluded_paths: tuple[str, ...] = ()

    @property
    def create_app(self) -> Callable[..., FastAPI]:
        return importlib.import_module(f"homeward.{self.service}.app").create_app


APIS = {
    api.service: api
    for api in (
        Api("intake", ("coordinator.riverton", "school.riverton")),
        Api("referrals", ("coordinator.riverton", "school.riverton")),
        Api("documents", ("documents.riverton", "coordinator.riverton")),
        # The live stream never ends on its own (it lasts as long as the token): its behaviour
        # is tested in tests/notifications/test_stream_and_email.py.
        Api(
            "notifications",
            ("coordinator.riverton", "school.riverton"),
            excluded_paths=("/v1/notifications/stream",),
        ),
    )
}


@functools.cache
def openapi_document(api: Api) -> dict[str, Any]:
    default_settings = EVENTED[api.service].settings_class()
    app = api.create_app(default_settings, broker=InMemoryBroker(), token_validator=None)
    return app.openapi()


@pytest.fixture(scope="module", params=list(APIS.values()), ids=lambda api: api.service)
def api(request: pytest.FixtureRequest) -> Api:
    return request.param


@pytest.fixture(scope="module")
def live(api: Api, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    database = tmp_path_factory.mktemp(api.service) / f"{api.service}.db"
    settings_class = EVENTED[api.service].settings_class

    def settings_for(issuer: str) -> Any:
        return settings_class(database_url=f"sqlite+aiosqlite:///{database}", oidc_issuer=issuer)

    with live_service(api.create_app, settings_for) as service:
        yield service


def test_the_document_is_valid_openapi(api: Api) -> None:
    validate(openapi_document(api))


def operations_conform(api: Api) -> Callable[..., None]:
    """The test of every operation of `api` (schemathesis makes one per operation). One
    test per API, not one parametrised by a schema fixture: schemathesis' `from_fixture`
    fails on pytest 9.2 (it sets the node's `_nodeid`)."""
    schema = schemathesis.openapi.from_dict(openapi_document(api))
    for path in api.excluded_paths:
        schema = schema.exclude(path=path)

    @pytest.mark.parametrize("api", [api], indirect=True, ids=[api.service])
    @schema.parametrize()
    @settings(max_examples=MAX_EXAMPLES, deadline=None)
    def test(case: schemathesis.Case, api: Api, live: LiveService) -> None:
        call_and_validate_as(case, live, api.users)

    return test


test_intake_operations_conform = operations_conform(APIS["intake"])
test_referrals_operations_conform = operations_conform(APIS["referrals"])
test_documents_operations_conform = operations_conform(APIS["documents"])
test_notifications_operations_conform = operations_conform(APIS["notifications"])
