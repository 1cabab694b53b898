"""The development OIDC issuer's HTTP face, on Keycloak's paths.

Discovery, JWKS and a token endpoint with the client-credentials grant (partner systems,
service accounts) and the password grant (demo users). No browser login, no refresh or ID
tokens: services only ever see access tokens, and that is what this issuer is for.
A `scope` parameter may add the client's optional client scopes, as in Keycloak.
Errors follow RFC 6749 section 5.2, with Keycloak's 401 for wrong user credentials.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote_plus

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from homeward.common.idp.keys import ALGORITHM, SigningKeys
from homeward.common.idp.realm import Client, InvalidScope, Realm, User
from homeward.common.idp.tokens import (
    CLIENT_ADDRESS_NOTE,
    CLIENT_HOST_NOTE,
    CLIENT_ID_NOTE,
    access_token_claims,
)

logger = logging.getLogger("homeward.idp")

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
# Compared against when the username is unknown, so that the answer takes as long either way.
_NOBODY_PASSWORD = uuid.uuid4().hex


class OAuthProblem(Exception):
    def __init__(
        self,
        error: str,
        description: str,
        *,
        status: int = 400,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status
        self.headers = dict(headers or {})


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
    app = FastAPI(
        title="Homeward development identity provider",
        description="Keycloak-compatible issuer for development and tests. Never in production.",
        docs_url=None,
        redoc_url=None,
    )
    app.state.realm, app.state.keys, app.state.issuer = realm, keys, issuer

    @app.exception_handler(OAuthProblem)
    async def _oauth_problem(request: Request, problem: OAuthProblem) -> JSONResponse:
        body = {"error": problem.error, "error_description": problem.description}
        headers = {**NO_STORE, **problem.headers}
        return JSONResponse(body, status_code=problem.status, headers=headers)

    @app.get(f"{realm_path}/.well-known/openid-configuration", name="discovery")
    async def discovery() -> dict[str, Any]:
        """OpenID Provider metadata (the subset this issuer implements)."""
        endpoints = f"{issuer}/protocol/openid-connect"
        return {
            "issuer": issuer,
            "token_endpoint": f"{endpoints}/token",
            "jwks_uri": f"{endpoints}/certs",
            "grant_types_supported": ["client_credentials", "password"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "response_types_supported": ["token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [ALGORITHM],
            "scopes_supported": ["openid", *sorted(realm.client_scopes)],
            "claims_supported": [
                "iss",
                "sub",
                "aud",
                "exp",
                "iat",
                "azp",
                "preferred_username",
                "realm_access",
                "agency_id",
                "agency_type",
                "municipality",
            ],
        }

    @app.get(f"{realm_path}/protocol/openid-connect/certs", name="jwks")
    async def jwks() -> dict[str, Any]:
        """The public signing keys (JWKS)."""
        return keys.jwks()

    @app.post(f"{realm_path}/protocol/openid-connect/token", name="token")
    async def token(request: Request) -> JSONResponse:
        """Issue an access token (client_credentials or password grant)."""
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        client = _authenticated_client(realm, request.headers.get("authorization"), form)
        grant_type = form.get("grant_type")
        if not grant_type:
            raise OAuthProblem("invalid_request", "missing form parameter: grant_type")
        session_id: str | None
        if grant_type == "client_credentials":
            user = _service_account(realm, client)
            # Keycloak's client-credentials grant uses a transient user session (no `sid`)
            # and records who called in session notes that the service_account scope maps.
            session_id = None
            host = request.client.host if request.client else "unknown"
            notes = {
                CLIENT_ID_NOTE: client.client_id,
                CLIENT_HOST_NOTE: host,
                CLIENT_ADDRESS_NOTE: host,
            }
        elif grant_type == "password":
            user = _password_user(realm, client, form)
            session_id, notes = str(uuid.uuid4()), {}
        else:
            raise OAuthProblem("unsupported_grant_type", f"unsupported grant_type {grant_type!r}")
        try:
            claims = access_token_claims(
                realm=realm,
                issuer=issuer,
                client=client,
                user=user,
                issued_at=int(clock()),
                token_id=str(uuid.uuid4()),
                requested_scope=form.get("scope"),
                session_id=session_id,
                session_notes=notes,
            )
        except InvalidScope as exc:
            raise OAuthProblem("invalid_scope", str(exc)) from None
        logger.info("issued a %s token to %s for sub %s", grant_type, client.client_id, user.id)
        body = {
            "access_token": keys.sign(claims),
            "expires_in": realm.access_token_lifespan_s,
            "refresh_expires_in": 0,
            "token_type": "Bearer",
            "not-before-policy": 0,
            "scope": claims["scope"],
        }
        if session_id is not None:
            # Keycloak keeps session_state in the token response (not in the token) since 25.
            body["session_state"] = session_id
        return JSONResponse(body, headers=NO_STORE)

    return app


def _authenticated_client(
    realm: Realm, authorization: str | None, form: Mapping[str, str]
) -> Client:
    """RFC 6749 2.3: HTTP Basic or form credentials, never both; a public client sends its id."""
    used_basic = bool(authorization and authorization.lower().startswith("basic "))
    if used_basic:
        if "client_secret" in form:
            raise OAuthProblem("invalid_request", "use one client authentication method")
        client_id, secret = _basic_credentials(authorization or "")
        if form.get("client_id", client_id) != client_id:
            raise _invalid_client(used_basic)
    else:
        client_id, secret = form.get("client_id"), form.get("client_secret")
    if not client_id:
        raise _invalid_client(used_basic)
    client = realm.clients.get(client_id)
    if client is None or not client.enabled:
        raise _invalid_client(used_basic)
    if client.public:
        return client
    expected = (client.secret or "").encode()
    if not secret or not expected or not hmac.compare_digest(secret.encode(), expected):
        raise _invalid_client(used_basic)
    return client


def _basic_credentials(authorization: str) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(authorization.split(" ", 1)[1], validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise _invalid_client(True) from None
    client_id, separator, secret = decoded.partition(":")
    if not separator:
        raise _invalid_client(True)
    # RFC 6749 2.3.1: both parts are form-urlencoded before they are joined.
    return unquote_plus(client_id), unquote_plus(secret)


def _invalid_client(used_basic: bool) -> OAuthProblem:
    # RFC 6749 5.2: a client that tried HTTP Basic is told how to authenticate.
    headers = {"WWW-Authenticate": 'Basic realm="homeward"'} if used_basic else {}
    return OAuthProblem(
        "invalid_client", "invalid client or client credentials", status=401, headers=headers
    )


def _service_account(realm: Realm, client: Client) -> User:
    if client.public or not client.service_accounts_enabled:
        raise OAuthProblem("unauthorized_client", "client not enabled to retrieve service account")
    user = realm.service_account_of(client.client_id)
    if user is None or not user.enabled:
        raise OAuthProblem("unauthorized_client", "client has no enabled service account user")
    return user


def _password_user(realm: Realm, client: Client, form: Mapping[str, str]) -> User:
    if not client.direct_access_grants_enabled:
        raise OAuthProblem("unauthorized_client", "client not allowed for direct access grants")
    username, password = form.get("username"), form.get("password")
    if not username or password is None:
        raise OAuthProblem("invalid_request", "username and password are required")
    user = realm.user_named(username)
    # Service-account users have no password and cannot log in as people.
    stored = user.password if user and not user.service_account_client_id else None
    matches = hmac.compare_digest(password.encode(), (stored or _NOBODY_PASSWORD).encode())
    if user is None or stored is None or not matches:
        raise OAuthProblem("invalid_grant", "invalid user credentials", status=401)
    if not user.enabled:
        raise OAuthProblem("invalid_grant", "account disabled")
    return user
