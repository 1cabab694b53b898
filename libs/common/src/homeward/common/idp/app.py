"""The development OIDC issuer's HTTP face, on Keycloak's paths, wired in one place.

Discovery, JWKS, the token endpoint (flows.py: client_credentials for partner systems,
password for demo users, authorization_code with PKCE and refresh_token for the console),
userinfo, and the browser side (login.py: /auth and its login page; logout.py). Everything
comes from the realm export; state lives in memory (sessions.py). `clock` is injectable so
that tests of lifespans and lockouts need no sleeping.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from joserfc.errors import JoseError

from homeward.common.idp.bruteforce import BruteForceDetector
from homeward.common.idp.flows import GRANT_TYPES, NO_STORE, OAuthProblem, TokenService
from homeward.common.idp.i18n import LANGUAGES
from homeward.common.idp.keys import ALGORITHM, SigningKeys
from homeward.common.idp.login import login_router
from homeward.common.idp.logout import logout_router
from homeward.common.idp.pages import Pages
from homeward.common.idp.realm import Realm
from homeward.common.idp.sessions import Sessions
from homeward.common.idp.tokens import userinfo_claims

CLAIMS_SUPPORTED = (
    "iss", "sub", "aud", "exp", "iat", "auth_time", "jti", "azp", "nonce", "sid", "at_hash",
    "acr", "scope", "preferred_username", "name", "given_name", "family_name", "email",
    "email_verified", "locale", "realm_access", "resource_access", "agency_id", "agency_type",
    "municipality",
)  # fmt: skip


def create_idp_app(
    *,
    realm: Realm,
    public_url: str,
    keys: SigningKeys | None = None,
    clock: Callable[[], float] = time.time,
) -> FastAPI:
    keys = keys or SigningKeys()
    issuer = f"{public_url.rstrip('/')}/realms/{realm.name}"
    realm_path = f"/realms/{realm.name}"
    endpoints = f"{issuer}/protocol/openid-connect"
    service = TokenService(
        realm=realm,
        keys=keys,
        issuer=issuer,
        clock=clock,
        sessions=Sessions(realm.lifespans, clock),
        user_failures=BruteForceDetector(realm.brute_force, clock),
        client_failures=BruteForceDetector(realm.brute_force, clock, quick_login_check=False),
    )
    app = FastAPI(
        title="Homeward development identity provider",
        description="Keycloak-compatible issuer for development and tests. Never in production.",
        docs_url=None,
        redoc_url=None,
    )
    app.state.realm, app.state.keys, app.state.issuer = realm, keys, issuer
    pages = Pages(realm_path)
    secure = public_url.startswith("https://")
    app.include_router(login_router(service, pages, realm_path=realm_path, secure_cookies=secure))
    app.include_router(logout_router(service, pages, realm_path=realm_path))

    @app.exception_handler(OAuthProblem)
    async def _oauth_problem(request: Request, problem: OAuthProblem) -> JSONResponse:
        body = {"error": problem.error, "error_description": problem.description}
        headers = {**NO_STORE, **problem.headers}
        return JSONResponse(body, status_code=problem.status, headers=headers)

    @app.get(f"{realm_path}/.well-known/openid-configuration", name="discovery")
    async def discovery() -> dict[str, Any]:
        """OpenID Provider metadata: what this issuer implements, and nothing more."""
        return {
            "issuer": issuer,
            "authorization_endpoint": f"{endpoints}/auth",
            "token_endpoint": f"{endpoints}/token",
            "userinfo_endpoint": f"{endpoints}/userinfo",
            "end_session_endpoint": f"{endpoints}/logout",
            "jwks_uri": f"{endpoints}/certs",
            "grant_types_supported": list(GRANT_TYPES),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [ALGORITHM],
            "scopes_supported": ["openid", *sorted(realm.client_scopes)],
            "claims_supported": list(CLAIMS_SUPPORTED),
            "claims_parameter_supported": False,
            "request_parameter_supported": False,
            "request_uri_parameter_supported": False,
            "prompt_values_supported": ["none", "login"],
            "ui_locales_supported": list(LANGUAGES),
            "authorization_response_iss_parameter_supported": True,
            "frontchannel_logout_supported": False,
            "backchannel_logout_supported": False,
        }

    @app.get(f"{realm_path}/protocol/openid-connect/certs", name="jwks")
    async def jwks() -> dict[str, Any]:
        """The public signing keys (JWKS)."""
        return keys.jwks()

    @app.post(f"{realm_path}/protocol/openid-connect/token", name="token")
    async def token(request: Request) -> JSONResponse:
        """Issue tokens: client_credentials, password, authorization_code or refresh_token."""
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        client = service.authenticate_client(request.headers.get("authorization"), form)
        host = request.client.host if request.client else "unknown"
        return JSONResponse(service.grant(client, form, host), headers=NO_STORE)

    @app.api_route(
        f"{realm_path}/protocol/openid-connect/userinfo", methods=["GET", "POST"], name="userinfo"
    )
    async def userinfo(request: Request) -> JSONResponse:
        """The signed-in user's claims, for a live access token with scope openid."""
        scheme, _, bearer = request.headers.get("authorization", "").partition(" ")
        claims = _live_access_token(service, bearer if scheme.lower() == "bearer" else "")
        if claims is None:
            return _bearer_error(401, "invalid_token", "Token verification failed")
        if "openid" not in str(claims.get("scope", "")).split():
            return _bearer_error(403, "insufficient_scope", "Missing openid scope")
        user, client = realm.user_by_id(str(claims.get("sub"))), realm.clients.get(claims["azp"])
        if user is None or client is None or not user.enabled:
            return _bearer_error(401, "invalid_token", "User not found or disabled")
        session = service.sessions.active(claims.get("sid"))
        body = userinfo_claims(
            realm=realm,
            client=client,
            user=user,
            scope=claims["scope"],
            session_notes=session.notes if session else {},
        )
        return JSONResponse(body, headers=NO_STORE)

    return app


def _live_access_token(service: TokenService, token: str) -> dict[str, Any] | None:
    """An access token's claims if this issuer signed it, it is unexpired and its user
    session (when it has one) is still active; Keycloak's userinfo checks the same."""
    try:
        claims = service.keys.verify(token)
    except (JoseError, ValueError):
        return None
    if claims.get("iss") != service.issuer or claims.get("typ") != "Bearer":
        return None
    if not isinstance(claims.get("exp"), int) or claims["exp"] <= service.clock():
        return None
    sid = claims.get("sid")
    if sid is not None and service.sessions.active(sid) is None:
        return None
    return claims


def _bearer_error(status: int, error: str, description: str) -> JSONResponse:
    # RFC 6750 3: the error travels in WWW-Authenticate as well as in the body.
    challenge = f'Bearer realm="homeward", error="{error}", error_description="{description}"'
    return JSONResponse(
        {"error": error, "error_description": description},
        status_code=status,
        headers={**NO_STORE, "WWW-Authenticate": challenge},
    )
