"""`Idempotency-Key` on POST and PATCH (issue 15): the first answer again for the same key and
body, 422 for another body, per caller, 5xx not kept, pruned after the retention; every such
operation documents the header and its 409 and 422."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel

from homeward.common.auth import CurrentPrincipal
from homeward.common.db import utcnow
from homeward.common.events import InMemoryBroker
from homeward.common.idempotency import prune_idempotency_keys
from homeward.common.service import create_service_app, default_parts
from homeward.common.settings import CommonSettings


class Thing(BaseModel):
    name: str


class Created(BaseModel):
    id: int
    name: str


class ProbeSettings(CommonSettings):
    service_name = "probe"


@pytest.fixture
async def app(database_url: str, identity_provider) -> AsyncIterator[FastAPI]:
    numbers = itertools.count(1)
    failures = iter([RuntimeError("a passing fault")])
    router = APIRouter(prefix="/v1/things")

    @router.post("", name="create_thing", response_model=Created, status_code=201)
    async def create(body: Thing, _: CurrentPrincipal) -> Created:
        """Create a thing; the first 'flaky' one fails."""
        if body.name == "flaky" and (error := next(failures, None)):
            raise error
        return Created(id=next(numbers), name=body.name)

    @router.patch("/{thing_id}", name="rename_thing", response_model=Created)
    async def rename(thing_id: int, body: Thing, _: CurrentPrincipal) -> Created:
        """Rename a thing: a new version number each time it really runs."""
        return Created(id=next(numbers), name=body.name)

    settings = ProbeSettings(database_url=database_url, oidc_issuer=identity_provider.issuer)
    parts = default_parts(
        settings,
        migrations_package="homeward.intake.migrations",
        broker=InMemoryBroker(),
        token_validator=identity_provider.validator(),
    )
    application = create_service_app(parts, routers=[router], title="probe", description="p")
    async with LifespanManager(application):
        yield application


@pytest.fixture
async def post(app: FastAPI, identity_provider):
    tokens: dict[str, str] = {}
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://probe") as client:

        async def call(who: str | None, body: dict, key: str | None = "k-1") -> httpx.Response:
            headers = {"Idempotency-Key": key} if key is not None else {}
            if who is not None:
                if who not in tokens:
                    tokens[who] = await identity_provider.password_token(who)
                headers["Authorization"] = f"Bearer {tokens[who]}"
            return await client.post("/v1/things", json=body, headers=headers)

        yield call


async def test_the_same_key_and_body_get_the_first_answer_again(post) -> None:
    first = await post("coordinator.riverton", {"name": "a referral"})
    again = await post("coordinator.riverton", {"name": "a referral"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() == {"id": 1, "name": "a referral"}
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    # Without a key, every request creates.
    assert (await post("coordinator.riverton", {"name": "a referral"}, key=None)).json()["id"] == 2


async def test_the_same_key_with_another_body_is_refused(post) -> None:
    await post("coordinator.riverton", {"name": "one"})
    other = await post("coordinator.riverton", {"name": "another"})
    assert other.status_code == 422
    assert other.headers["content-type"] == "application/problem+json"
    assert "another request" in other.json()["detail"]


async def test_keys_are_scoped_per_caller(post) -> None:
    mine = await post("coordinator.riverton", {"name": "same"})
    theirs = await post("supervisor.riverton", {"name": "same"})
    assert (mine.json()["id"], theirs.json()["id"]) == (1, 2)


async def test_no_token_is_401_before_the_key_is_looked_at(post) -> None:
    anonymous = await post(None, {"name": "x"}, key="")
    assert anonymous.status_code == 401
    bad = await post("coordinator.riverton", {"name": "x"}, key="")
    assert bad.status_code == 422


async def test_a_failed_first_answer_is_not_kept(post) -> None:
    failed = await post("coordinator.riverton", {"name": "flaky"})
    assert failed.status_code == 500
    retried = await post("coordinator.riverton", {"name": "flaky"})
    assert retried.status_code == 201 and "idempotent-replayed" not in retried.headers


async def test_keys_are_pruned_after_the_retention(app: FastAPI, post) -> None:
    await post("coordinator.riverton", {"name": "kept"})
    database = app.state.parts.database
    assert (
        await prune_idempotency_keys(database, created_before=utcnow() - timedelta(hours=24)) == 0
    )
    assert (
        await prune_idempotency_keys(database, created_before=utcnow() + timedelta(seconds=1)) == 1
    )
    assert (await post("coordinator.riverton", {"name": "kept"})).json()["id"] == 2


async def test_a_patch_is_kept_by_its_key_too(app: FastAPI, identity_provider) -> None:
    token = await identity_provider.password_token("coordinator.riverton")
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "rename-1"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://probe") as client:
        first = await client.patch("/v1/things/1", json={"name": "b"}, headers=headers)
        again = await client.patch("/v1/things/1", json={"name": "b"}, headers=headers)
        other = await client.patch("/v1/things/1", json={"name": "c"}, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert other.status_code == 422


def test_every_post_and_patch_documents_the_key_and_its_errors(app: FastAPI) -> None:
    paths = app.openapi()["paths"]
    for path, method in (("/v1/things", "post"), ("/v1/things/{thing_id}", "patch")):
        operation = paths[path][method]
        assert {"409", "422"} <= set(operation["responses"]), (path, method)
        names = [parameter["name"] for parameter in operation.get("parameters", [])]
        assert names.count("Idempotency-Key") == 1, (path, method)


async def test_a_method_the_path_does_not_take_is_405_whatever_the_key(
    app: FastAPI, identity_provider
) -> None:
    token = await identity_provider.password_token("coordinator.riverton")
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "k-405"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://probe") as client:
        first = await client.patch("/v1/things", json={"name": "a"}, headers=headers)
        again = await client.patch("/v1/things", json={"name": "b"}, headers=headers)
    assert first.status_code == again.status_code == 405, again.text
