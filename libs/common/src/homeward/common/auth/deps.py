"""FastAPI dependencies: who is calling (401 if we cannot tell) and may they (403 if not).

Routes declare their roles; object-level rules (which case, which referral) live in the
services, which get the Principal from here. Authentication always runs first, so a caller
without a valid token hears 401 even on a route their roles could never reach.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.routing import iter_route_contexts
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from homeward.common.auth.oidc import InvalidToken, TokenValidator
from homeward.common.auth.principal import Principal, Role
from homeward.common.errors import Forbidden, Unauthorized, problem_response

logger = logging.getLogger("homeward.auth")

API_PREFIX = "/v1/"

# auto_error=False: we answer problem+json ourselves; the scheme still shows in OpenAPI.
bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="oidcBearer",
    description="An OIDC access token from the Homeward realm (Keycloak).",
)


def install_auth(app: FastAPI, validator: TokenValidator) -> None:
    app.state.token_validator = validator
    app.add_middleware(AuthenticateFirst)


async def authenticate(request: Request) -> Principal:
    """The caller from the bearer token, or 401; validated once per request."""
    known: Principal | None = getattr(request.state, "principal", None)
    if known is not None:
        return known
    credentials = await bearer_scheme(request)
    if credentials is None:
        problem = Unauthorized("a bearer token is required")
        # RFC 6750 3.1: a request without credentials gets the challenge but no error code.
        problem.headers = {"WWW-Authenticate": "Bearer"}
        raise problem
    validator: TokenValidator = request.app.state.token_validator
    try:
        principal = await validator.validate(credentials.credentials)
    except InvalidToken as refused:
        logger.info("refused a bearer token: %s", refused.reason)
        raise Unauthorized("the bearer token is invalid or has expired") from None
    # For request logging and auditing: the subject, never a name.
    request.state.principal = principal
    return principal


async def current_principal(
    request: Request,
    # Declared (and unused: `authenticate` reads the header) so OpenAPI shows the scheme.
    _: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    return await authenticate(request)


class AuthenticateFirst:
    """Every call under /v1/ (the API; operations endpoints and documents are outside it)
    needs a valid token, checked before FastAPI parses the body or checks parameters: a caller
    without one hears 401 before learning anything from a 422 (the vocabulary of a parameter,
    the shape of a body). The principal is kept for `current_principal`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(API_PREFIX):
            request = Request(scope, receive)
            try:
                await authenticate(request)
            except Unauthorized as refused:
                # Routing has not run: name the route for the access log and the metrics.
                scope.setdefault("route", _route_of(scope))
                response = problem_response(
                    refused.status, refused.title, refused.detail, request, refused.headers
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _route_of(scope: Scope) -> Any:
    for route in iter_route_contexts(scope["app"].routes):
        if route.matches(scope)[0] is Match.FULL:
            return route
    return None


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """A dependency that lets through callers holding any of `roles` and answers 403 to others."""
    if not roles:
        raise ValueError("require_roles needs at least one role")
    allowed = frozenset(roles)

    async def principal_with_role(principal: CurrentPrincipal) -> Principal:
        if not principal.has_any(*allowed):
            names = ", ".join(sorted(allowed))
            raise Forbidden(f"this operation needs one of the roles: {names}")
        return principal

    principal_with_role.required_roles = allowed  # type: ignore[attr-defined]
    return principal_with_role


def required_roles(dependency: Any) -> frozenset[Role]:
    """The roles a `require_roles` dependency lets through (none for any other callable)."""
    return getattr(dependency, "required_roles", frozenset())
