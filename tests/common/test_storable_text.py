"""Text PostgreSQL cannot hold (NUL, unpaired surrogates) is refused with 422 by every
service, wherever the client put it: a path id, a query filter, a header, a body string.
Before, `GET /v1/referrals/%00` reached PostgreSQL and answered 500."""

from __future__ import annotations

import importlib
import re
from collections.abc import AsyncIterator

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import ValidationError

from homeward.common.commands import Command
from homeward.common.storable import ERROR_TYPE
from homeward.common.testing.apps import ServiceHarness, running_service

SERVICES = ["intake", "referrals", "documents", "notifications"]
# A user whose role passes each service's coordinator routes, so a request gets past 403.
USER = "coordinator.riverton"


@pytest.fixture(params=SERVICES)
async def service(
    request: pytest.FixtureRequest, database_url: str, identity_provider
) -> AsyncIterator[ServiceHarness]:
    name = request.param
    app_module = importlib.import_module(f"homeward.{name}.app")
    settings_module = importlib.import_module(f"homeward.{name}.settings")
    settings_class = next(
        value for key, value in vars(settings_module).items() if key.lower() == f"{name}settings"
    )
    settings = settings_class(database_url=database_url, oidc_issuer=identity_provider.issuer)
    async with running_service(app_module.create_app, settings, idp=identity_provider) as harness:
        yield harness


def _api_routes(harness: ServiceHarness) -> list[tuple[str, APIRoute]]:
    """Every API route as included: its full path, and the route with its dependencies."""
    contexts = iter_route_contexts(harness.app.routes)
    return [
        (context.path, context.route)
        for context in contexts
        if isinstance(context.route, APIRoute) and context.path.startswith("/v1/")
    ]


def _assert_refused(response, where: str) -> None:
    assert response.status_code == 422, (where, response.status_code, response.text)
    assert response.headers["content-type"] == "application/problem+json"
    assert ERROR_TYPE in {error["type"] for error in response.json()["errors"]}, response.text


async def test_nul_in_any_path_parameter_or_query_filter_is_422(service: ServiceHarness) -> None:
    checked = 0
    for template, route in _api_routes(service):
        method = sorted(route.methods - {"HEAD"})[0]
        names = re.findall(r"{(\w+)(?::\w+)?}", template)
        for name in names:
            path = template
            for other in names:
                value = "%00" if other == name else "00000000-0000-4000-8000-000000000000"
                path = re.sub(r"{" + other + r"(?::\w+)?}", value, path)
            response = await service.call(USER, method, path)
            _assert_refused(response, f"{method} {path}")
            checked += 1
        for param in route.dependant.query_params:
            path = re.sub(r"{\w+(?::\w+)?}", "00000000-0000-4000-8000-000000000000", template)
            response = await service.call(USER, method, f"{path}?{param.alias}=a%00b")
            _assert_refused(response, f"{method} {path}?{param.alias}")
            checked += 1
    assert checked > 0


async def test_nul_in_a_header_is_422(service: ServiceHarness) -> None:
    # httpx refuses NUL in a header it sends, so the request is built by hand.
    token = await service.token(USER)
    scope_headers = [
        (b"authorization", f"Bearer {token}".encode()),
        (b"x-purpose", b"case\x00work"),
    ]
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": "/v1/me", "raw_path": b"/v1/me", "query_string": b"",
        "headers": scope_headers, "client": ("127.0.0.1", 1), "server": ("test", 80),
        "root_path": "", "app": service.app,
    }  # fmt: skip
    await service.app(scope, receive, send)
    assert sent[0]["status"] == 422


async def test_nul_in_a_body_string_is_422_on_postgresql_too(service: ServiceHarness) -> None:
    routes = [(path, route) for path, route in _api_routes(service) if route.body_field]
    assert routes
    for template, route in routes:
        method = sorted(route.methods)[0]
        path = re.sub(r"{\w+(?::\w+)?}", "00000000-0000-4000-8000-000000000000", template)
        response = await service.call(USER, method, path, json={"note": "a\u0000b"})
        if response.status_code == 403:
            continue  # another role's route: refused before the body is read
        _assert_refused(response, f"{method} {path}")


def _commands(cls: type[Command]) -> list[type[Command]]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_commands(sub)]
    return found


@pytest.mark.parametrize("text", ["a\u0000b", "\ud800"])
def test_every_command_refuses_unstorable_text_anywhere_in_its_input(text: str) -> None:
    for name in SERVICES:
        importlib.import_module(f"homeward.{name}.app")
    commands = _commands(Command)
    assert len(commands) > 10
    for command in commands:
        for data in ({"x": text}, {"x": [{"y": text}]}, {text: 1}):
            with pytest.raises(ValidationError) as refused:
                command.model_validate(data)
            assert [error["type"] for error in refused.value.errors()] == [ERROR_TYPE], command


async def test_nul_in_a_fhir_task_is_422(database_url: str, identity_provider) -> None:
    from homeward.referrals.app import create_app
    from homeward.referrals.settings import ReferralsSettings

    settings = ReferralsSettings(database_url=database_url, oidc_issuer=identity_provider.issuer)
    async with running_service(create_app, settings, idp=identity_provider) as referrals:
        task = {"resourceType": "Task", "status": "rejected", "note": [{"text": "a\u0000"}]}
        response = await referrals.call(
            USER, "PUT", "/fhir/R4/Task/00000000-0000-4000-8000-000000000000", json=task
        )
    assert response.status_code == 422, response.text
    assert "NUL" in response.text
