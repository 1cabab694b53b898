"""The FastAPI dependencies in a tiny app: 401 before 403, problem+json, the principal kept."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI, Request

from homeward.common.auth import (
    CurrentPrincipal,
    Principal,
    Role,
    TokenValidator,
    install_auth,
    require_roles,
)
from homeward.common.errors import install_problem_handlers
from homeward.common.testing.idp import RunningIdentityProvider

CaseWorker = Annotated[Principal, Depends(require_roles(Role.COORDINATOR, Role.SUPERVISOR))]


@pytest.fixture
async def validator(identity_provider: RunningIdentityProvider) -> AsyncIterator[TokenValidator]:
    validator = identity_provider.validator()
    yield validator
    await validator.aclose()


def build_app(validator: TokenValidator) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    install_auth(app, validator)

    @app.get("/me")
    async def me(principal: CurrentPrincipal, request: Request) -> dict[str, str | None]:
        return {"subject": principal.subject, "kept": request.state.principal.subject}

    @app.get("/cases")
    async def cases(principal: CaseWorker) -> dict[str, str | None]:
        return {"municipality": principal.municipality}

    return app


@pytest.fixture
async def client(validator: TokenValidator) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app(validator))
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_no_token_is_401_problem_json_with_a_bearer_challenge(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/me")

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["title"] == "Unauthorized"


async def test_another_scheme_counts_as_no_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/me", headers={"Authorization": "Basic YWRtaW46ZGVtbw=="})

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_a_bad_token_is_401_without_saying_why(
    identity_provider: RunningIdentityProvider, client: httpx.AsyncClient
) -> None:
    token = identity_provider.sign(identity_provider.valid_claims(aud="another-api"))

    response = await client.get("/me", headers=bearer(token))

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert response.json()["detail"] == "the bearer token is invalid or has expired"
    assert "aud" not in response.text


async def test_a_valid_token_reaches_the_route_and_the_principal_is_kept_on_the_request(
    identity_provider: RunningIdentityProvider, client: httpx.AsyncClient
) -> None:
    token = await identity_provider.password_token("auditor")

    response = await client.get("/me", headers=bearer(token))

    assert response.status_code == 200
    auditor = identity_provider.realm.user_named("auditor")
    assert auditor is not None
    assert response.json() == {"subject": auditor.id, "kept": auditor.id}


async def test_a_role_that_may_not_call_the_operation_gets_403(
    identity_provider: RunningIdentityProvider, client: httpx.AsyncClient
) -> None:
    token = await identity_provider.password_token("school.riverton")

    response = await client.get("/cases", headers=bearer(token))

    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert "coordinator" in response.json()["detail"]


@pytest.mark.parametrize("username", ["coordinator.lakeside", "supervisor.lakeside"])
async def test_any_of_the_required_roles_gets_200(
    username: str, identity_provider: RunningIdentityProvider, client: httpx.AsyncClient
) -> None:
    token = await identity_provider.password_token(username)

    response = await client.get("/cases", headers=bearer(token))

    assert response.status_code == 200
    assert response.json() == {"municipality": "lakeside"}


async def test_401_wins_over_403(
    identity_provider: RunningIdentityProvider, client: httpx.AsyncClient
) -> None:
    # An expired token for a role that could never call /cases: authentication answers first.
    expired = identity_provider.sign(
        identity_provider.valid_claims(exp=1_000_000, iat=999_700, realm_access={"roles": []})
    )

    without_token = await client.get("/cases")
    with_bad_token = await client.get("/cases", headers=bearer(expired))

    assert without_token.status_code == 401
    assert with_bad_token.status_code == 401


def test_require_roles_needs_a_role() -> None:
    with pytest.raises(ValueError, match="at least one role"):
        require_roles()


def test_openapi_shows_the_bearer_scheme(validator: TokenValidator) -> None:
    schema = build_app(validator).openapi()

    assert schema["components"]["securitySchemes"]["oidcBearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An OIDC access token from the Homeward realm (Keycloak).",
    }
    assert schema["paths"]["/cases"]["get"]["security"] == [{"oidcBearer": []}]
