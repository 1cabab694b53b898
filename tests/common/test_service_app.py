"""The app every service is built on: operations endpoints, errors, request context, auth."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel

from homeward.common.crypto import DataKeyMissing
from homeward.common.domain_errors import RuleViolation, StateConflict
from homeward.common.events import InMemoryBroker
from homeward.common.observability import JsonFormatter
from homeward.common.service import create_service_app, default_parts
from homeward.common.settings import CommonSettings

SECRET_LOOKING_VALUE = "Amina-Example-1990-01-01"


class Echo(BaseModel):
    text: str
    count: int


def _probe_router() -> APIRouter:
    router = APIRouter(prefix="/probe")

    @router.post("", name="echo", response_model=Echo)
    async def echo(body: Echo) -> Echo:
        """Echo the body back."""
        return body

    @router.post("/rule", name="break_a_rule", response_model=Echo)
    async def break_a_rule() -> Echo:
        """Refuse the way domain code refuses input."""
        raise RuleViolation("a child needs a guardian from the same case")

    @router.post("/state", name="conflict", response_model=Echo)
    async def conflict() -> Echo:
        """Refuse the way domain code refuses a transition."""
        raise StateConflict("the referral is completed", allowed_next_states=["entered-in-error"])

    @router.get("/erased", name="erased", response_model=Echo)
    async def erased() -> Echo:
        """Read what erasure destroyed."""
        raise DataKeyMissing("no data key for owner 7")

    @router.get("/boom", name="boom", response_model=Echo)
    async def boom() -> Echo:
        """Fail the way a bug would."""
        raise RuntimeError(f"internal detail {SECRET_LOOKING_VALUE}")

    return router


class ProbeSettings(CommonSettings):
    service_name = "probe"


@pytest.fixture
async def app(database_url: str, identity_provider) -> AsyncIterator[FastAPI]:
    settings = ProbeSettings(database_url=database_url, oidc_issuer=identity_provider.issuer)
    parts = default_parts(
        settings,
        migrations_package="homeward.intake.migrations",
        broker=InMemoryBroker(),
        token_validator=identity_provider.validator(),
    )
    application = create_service_app(
        parts, routers=[_probe_router()], title="probe", description="probe"
    )
    async with LifespanManager(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://probe") as http:
        yield http


async def test_alive_and_ready(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"database": "ok", "broker": "ok"}}


async def test_not_ready_when_a_dependency_fails(app: FastAPI, client: httpx.AsyncClient) -> None:
    async def database_down() -> None:
        raise ConnectionError("no route to database")

    app.state.parts.extra_readiness = {"search-index": database_down}
    ready = await client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["search-index"] == "failed: ConnectionError"


async def test_metrics_expose_latency_backlog_lag_and_dead_letters(
    client: httpx.AsyncClient,
) -> None:
    await client.get("/healthz")
    from homeward.common.metrics import metrics_app

    transport = httpx.ASGITransport(app=metrics_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://probe:9401") as scraper:
        response = await scraper.get("/metrics")
    assert response.status_code == 200
    text = response.text
    for name in (
        "homeward_http_request_duration_seconds",
        "homeward_outbox_backlog",
        "homeward_consumer_lag",
        "homeward_dead_letters_total",
    ):
        assert name in text
    assert 'route="/healthz"' in text


async def test_validation_errors_are_problem_json_and_never_echo_the_value(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/probe", json={"text": SECRET_LOOKING_VALUE, "count": "x"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 422
    assert "count" in body["detail"]
    assert SECRET_LOOKING_VALUE not in response.text


async def test_bodies_over_one_mebibyte_get_413(client: httpx.AsyncClient) -> None:
    too_big = json.dumps({"text": "x" * (1024 * 1024), "count": 1})
    response = await client.post(
        "/probe", content=too_big, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


async def test_streamed_bodies_over_the_limit_get_413_too(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"text": "'
        for _ in range(20):
            yield b"x" * 65536
        yield b'", "count": 1}'

    response = await client.post(
        "/probe", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


async def test_a_bug_answers_500_problem_json_without_the_trace_or_its_message(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/probe/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert SECRET_LOOKING_VALUE not in response.text
    assert "Traceback" not in response.text
    assert response.json()["request_id"] == response.headers["x-request-id"]


async def test_unknown_routes_are_problem_json(client: httpx.AsyncClient) -> None:
    response = await client.get("/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_requests_continue_the_callers_trace(client: httpx.AsyncClient) -> None:
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    response = await client.get(
        "/healthz", headers={"traceparent": f"00-{trace_id}-00f067aa0ba902b7-01"}
    )
    assert response.headers["traceparent"].split("-")[1] == trace_id
    assert response.headers["x-request-id"]


async def test_access_log_lines_are_json_with_ids_and_the_route_template_only(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="homeward.access"):
        response = await client.post(
            f"/probe?who={SECRET_LOOKING_VALUE}", json={"text": "hi", "count": 1}
        )
    assert response.status_code == 200
    record = next(r for r in caplog.records if r.name == "homeward.access")
    line = json.loads(JsonFormatter("probe").format(record))
    assert line["route"] == "/probe"
    assert line["request_id"] == response.headers["x-request-id"]
    assert line["trace_id"] == response.headers["traceparent"].split("-")[1]
    assert SECRET_LOOKING_VALUE not in json.dumps(line)


async def test_me_needs_a_token_and_shows_the_principal(
    client: httpx.AsyncClient, identity_provider
) -> None:
    anonymous = await client.get("/v1/me")
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    token = await identity_provider.password_token("school.riverton")
    me = await client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json()["roles"] == ["partner"]
    assert me.json()["agency_type"] == "school"
    assert me.json()["agency_id"] == "riverton-primary-school"


async def test_domain_errors_are_answered_by_the_shared_handlers(client: httpx.AsyncClient) -> None:
    rule = await client.post("/probe/rule")
    assert (rule.status_code, rule.json()["detail"]) == (
        422,
        "a child needs a guardian from the same case",
    )
    conflict = await client.post("/probe/state")
    assert conflict.status_code == 409
    assert conflict.json()["allowed_next_states"] == ["entered-in-error"]
    erased = await client.get("/probe/erased")
    assert erased.status_code == 410
    assert "owner 7" not in erased.text  # internal ids stay in the logs
    for response in (rule, conflict, erased):
        assert response.headers["content-type"] == "application/problem+json"


async def test_the_api_port_does_not_serve_metrics(client: httpx.AsyncClient) -> None:
    # Metrics name agencies and delivery outcomes: they live on their own port, not the API's.
    response = await client.get("/metrics")
    assert response.status_code == 404
    assert "homeward_http_request_duration_seconds" not in response.text


async def test_the_metrics_port_serves_nothing_else() -> None:
    from homeward.common.metrics import metrics_app

    transport = httpx.ASGITransport(app=metrics_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://probe:9401") as scraper:
        assert (await scraper.get("/v1/me")).status_code == 404
        assert (await scraper.get("/docs")).status_code == 404


@pytest.mark.parametrize("path", ["/v1/probe/", "/healthz/", "/v1/me/"])
async def test_no_redirect_is_built_from_the_host_header(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path, headers={"Host": "evil.example"})
    # Under /v1/ the missing token is refused first (401); elsewhere the path is unknown.
    assert response.status_code == (401 if path.startswith("/v1/") else 404)
    assert "location" not in response.headers
    assert "evil.example" not in response.text


async def test_docs_load_their_assets_from_the_service_itself(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets)
    for asset in assets:
        assert asset.startswith("/"), asset  # same origin: no CDN, no scheme, no host
        served = await client.get(asset)
        assert served.status_code == 200, asset
        assert len(served.content) > 100, asset
    assert "https://" not in re.sub(r"<!--.*?-->", "", page.text, flags=re.S)
