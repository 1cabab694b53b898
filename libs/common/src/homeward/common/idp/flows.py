"""The token endpoint's grants (client_credentials, password, authorization_code with PKCE,
refresh_token) and client authentication, answering as Keycloak 26 does.

Errors follow RFC 6749 section 5.2, with Keycloak's 401 for wrong user credentials. A
locked-out user or client gets exactly the answer of a wrong password or secret.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from homeward.common.idp.bruteforce import BruteForceDetector
from homeward.common.idp.keys import SigningKeys
from homeward.common.idp.realm import Client, InvalidScope, Realm, User
from homeward.common.idp.sessions import Grant, Sessions, UserSession
from homeward.common.idp.tokens import (
    CLIENT_ADDRESS_NOTE,
    CLIENT_HOST_NOTE,
    CLIENT_ID_NOTE,
    SSO_AUTH_NOTE,
    access_token_claims,
    id_token_claims,
)

logger = logging.getLogger("homeward.idp")

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials", "password")
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


def s256(verifier: str) -> str:
    """RFC 7636 4.2: BASE64URL(SHA256(ASCII(code_verifier))), unpadded."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass(kw_only=True)
class TokenService:
    realm: Realm
    keys: SigningKeys
    issuer: str
    clock: Callable[[], float]
    sessions: Sessions
    user_failures: BruteForceDetector
    client_failures: BruteForceDetector

    # Client authentication (RFC 6749 2.3).

    def authenticate_client(self, authorization: str | None, form: Mapping[str, str]) -> Client:
        """HTTP Basic or form credentials, never both; a public client sends its id."""
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
        client = self.realm.clients.get(client_id)
        if client is None or not client.enabled:
            raise _invalid_client(used_basic)
        if client.public:
            return client
        expected = (client.secret or "").encode()
        matches = bool(secret and expected and hmac.compare_digest(secret.encode(), expected))
        if self.client_failures.is_locked(client_id):
            raise _invalid_client(used_basic)
        if not matches:
            self.client_failures.failed(client_id)
            logger.warning("client authentication failed for %s", client_id)
            raise _invalid_client(used_basic)
        self.client_failures.succeeded(client_id)
        return client

    def check_password(self, username: str, password: str) -> User | None:
        """The user these credentials prove, or None: wrong, unknown, locked out or a service
        account all look the same. Counts failures for brute-force detection."""
        user = self.realm.user_named(username)
        # Service-account users have no password and cannot log in as people.
        stored = user.password if user and not user.service_account_client_id else None
        matches = hmac.compare_digest(password.encode(), (stored or _NOBODY_PASSWORD).encode())
        if user is None or stored is None:
            return None
        if self.user_failures.is_locked(user.username):
            return None
        if not matches:
            self.user_failures.failed(user.username)
            return None
        self.user_failures.succeeded(user.username)
        return user

    # Grants.

    def grant(self, client: Client, form: Mapping[str, str], host: str) -> dict[str, Any]:
        grant_type = form.get("grant_type")
        if not grant_type:
            raise OAuthProblem("invalid_request", "missing form parameter: grant_type")
        if grant_type == "client_credentials":
            return self._client_credentials(client, form, host)
        if grant_type == "password":
            return self._password(client, form)
        if grant_type == "authorization_code":
            return self._authorization_code(client, form)
        if grant_type == "refresh_token":
            return self._refresh(client, form)
        raise OAuthProblem("unsupported_grant_type", f"unsupported grant_type {grant_type!r}")

    def _client_credentials(
        self, client: Client, form: Mapping[str, str], host: str
    ) -> dict[str, Any]:
        if client.public or not client.service_accounts_enabled:
            raise OAuthProblem(
                "unauthorized_client", "client not enabled to retrieve service account"
            )
        user = self.realm.service_account_of(client.client_id)
        if user is None or not user.enabled:
            raise OAuthProblem("unauthorized_client", "client has no enabled service account user")
        # Keycloak's client-credentials grant uses a transient user session (no `sid`, no
        # refresh token) and records who called in notes that the service_account scope maps.
        notes = {
            CLIENT_ID_NOTE: client.client_id,
            CLIENT_HOST_NOTE: host,
            CLIENT_ADDRESS_NOTE: host,
        }
        return self.respond(client, user, form.get("scope"), session=None, notes=notes)

    def _password(self, client: Client, form: Mapping[str, str]) -> dict[str, Any]:
        if not client.direct_access_grants_enabled:
            raise OAuthProblem("unauthorized_client", "client not allowed for direct access grants")
        username, password = form.get("username"), form.get("password")
        if not username or password is None:
            raise OAuthProblem("invalid_request", "username and password are required")
        user = self.check_password(username, password)
        if user is None:
            raise OAuthProblem("invalid_grant", "invalid user credentials", status=401)
        if not user.enabled:
            raise OAuthProblem("invalid_grant", "account disabled")
        session = self.sessions.start(user.username)
        return self.respond(client, user, form.get("scope"), session=session)

    def _authorization_code(self, client: Client, form: Mapping[str, str]) -> dict[str, Any]:
        if not form.get("code"):
            raise OAuthProblem("invalid_request", "missing parameter: code")
        issued = self.sessions.redeem_code(form["code"])
        if issued is None or issued.grant.client_id != client.client_id:
            raise OAuthProblem("invalid_grant", "Code not valid")
        if form.get("redirect_uri") != issued.request.redirect_uri:
            raise OAuthProblem("invalid_grant", "Incorrect redirect_uri")
        verifier = form.get("code_verifier")
        if issued.request.code_challenge is not None:
            if not verifier:
                raise OAuthProblem("invalid_grant", "PKCE code verifier not specified")
            if not hmac.compare_digest(s256(verifier), issued.request.code_challenge):
                raise OAuthProblem("invalid_grant", "PKCE verification failed")
        elif verifier:
            raise OAuthProblem(
                "invalid_grant", "PKCE code verifier specified but challenge not present"
            )
        session = self.sessions.active(issued.grant.session_id, touch=True)
        user = self.realm.user_named(session.username) if session else None
        if session is None or user is None or not user.enabled:
            raise OAuthProblem("invalid_grant", "Session not active")
        return self.respond(
            client,
            user,
            issued.grant.scope,
            session=session,
            nonce=issued.request.nonce,
            grant=issued.grant,
        )

    def _refresh(self, client: Client, form: Mapping[str, str]) -> dict[str, Any]:
        grant = self.sessions.use_refresh_token(form.get("refresh_token") or "", client.client_id)
        if grant is None:
            raise OAuthProblem("invalid_grant", "Invalid refresh token")
        session = self.sessions.active(grant.session_id, touch=True)
        user = self.realm.user_named(session.username) if session else None
        if session is None or user is None or not user.enabled:
            raise OAuthProblem("invalid_grant", "Session not active")
        return self.respond(client, user, grant.scope, session=session, grant=grant)

    # The token response.

    def respond(
        self,
        client: Client,
        user: User,
        scope: str | None,
        *,
        session: UserSession | None,
        notes: Mapping[str, str] | None = None,
        nonce: str | None = None,
        grant: Grant | None = None,
    ) -> dict[str, Any]:
        """Access token, plus an ID token for scope=openid and a refresh token when the
        user has a session, as Keycloak's AccessTokenResponseBuilder."""
        now, session_id = int(self.clock()), session.id if session else None
        notes = {**(session.notes if session else {}), **(notes or {})}
        if grant is not None and grant.sso_reuse:
            notes[SSO_AUTH_NOTE] = "true"
        try:
            claims = access_token_claims(
                realm=self.realm,
                issuer=self.issuer,
                client=client,
                user=user,
                issued_at=now,
                token_id=str(uuid.uuid4()),
                requested_scope=scope,
                session_id=session_id,
                session_notes=notes,
            )
        except InvalidScope as exc:
            raise OAuthProblem("invalid_scope", str(exc)) from None
        access_token = self.keys.sign(claims)
        body: dict[str, Any] = {
            "access_token": access_token,
            "expires_in": self.realm.access_token_lifespan_s,
            "refresh_expires_in": 0,
            "token_type": "Bearer",
        }
        if "openid" in (scope or "").split():
            id_claims = id_token_claims(
                realm=self.realm,
                issuer=self.issuer,
                client=client,
                user=user,
                issued_at=now,
                token_id=str(uuid.uuid4()),
                requested_scope=scope,
                session_id=session_id,
                session_notes=notes,
                nonce=nonce,
                access_token_hash=_left_half_hash(access_token),
            )
            body["id_token"] = self.keys.sign(id_claims)
        if session is not None:
            grant = grant or Grant(session.id, client.client_id, scope or "")
            body["refresh_token"] = self.sessions.issue_refresh_token(grant)
            body["refresh_expires_in"] = self.sessions.seconds_left(session)
        body["not-before-policy"] = 0
        if session is not None:
            # Keycloak keeps session_state in the token response (not in the token) since 25.
            body["session_state"] = session.id
        body["scope"] = claims["scope"]
        logger.info("issued tokens to %s for sub %s", client.client_id, user.id)
        return body


def _left_half_hash(token: str) -> str:
    # OIDC Core 3.1.3.6 at_hash: the left half of the SHA-256 of the token, base64url.
    digest = hashlib.sha256(token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()


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
