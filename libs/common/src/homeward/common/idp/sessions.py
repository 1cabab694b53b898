"""What the issuer remembers between requests, in memory (a restart logs everybody out, as a
restart of the development issuer already invalidates every token):

- user sessions (Keycloak's SSO session: the browser's cookie names one; a password grant
  makes one without a cookie), with the realm's idle and maximum lifespans;
- pending logins (Keycloak's authentication session: the authorization request while the
  login page is open);
- authorization codes (single use, `accessCodeLifespan`);
- refresh tokens (opaque, rotated: each is good for one refresh).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from homeward.common.idp.realm import Lifespans


def new_id() -> str:
    return secrets.token_urlsafe(32)


@dataclass
class UserSession:
    id: str
    username: str
    started: float
    last_seen: float
    # Notes protocol mappers read (AUTH_TIME for a browser login).
    notes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class AuthorizationRequest:
    """An accepted /auth request: what the code must be redeemed against."""

    client_id: str
    redirect_uri: str
    scope: str
    state: str | None
    nonce: str | None
    code_challenge: str | None
    prompt: str | None
    ui_locales: str | None


@dataclass
class PendingLogin:
    id: str  # the tab_id of the login form
    request: AuthorizationRequest
    started: float
    browser: str  # the AUTH_SESSION_ID cookie of the browser that opened it
    locale: str | None = None


@dataclass(frozen=True)
class Grant:
    """What a code or refresh token stands for: a user session, a client, a scope."""

    session_id: str
    client_id: str
    scope: str
    sso_reuse: bool = False  # the SSO cookie signed in, no password was typed
    id: str = field(default_factory=new_id)  # the code's id; its refresh tokens keep it


@dataclass(frozen=True)
class IssuedCode:
    grant: Grant
    request: AuthorizationRequest
    expires: float


class Sessions:
    def __init__(self, lifespans: Lifespans, clock: Callable[[], float]) -> None:
        self.lifespans, self._clock = lifespans, clock
        self._sessions: dict[str, UserSession] = {}
        self._pending: dict[str, PendingLogin] = {}
        self._codes: dict[str, IssuedCode] = {}
        # code -> (grant id, expiry): a replay within the code's lifespan revokes its tokens.
        self._used_codes: dict[str, tuple[str, float]] = {}
        self._refresh: dict[str, Grant] = {}

    # User sessions.

    def start(self, username: str, notes: Mapping[str, str] | None = None) -> UserSession:
        self._forget_expired()
        now = self._clock()
        session = UserSession(new_id(), username, now, now, dict(notes or {}))
        self._sessions[session.id] = session
        return session

    def active(self, session_id: str | None, *, touch: bool = False) -> UserSession | None:
        session = self._sessions.get(session_id or "")
        if session is None:
            return None
        now = self._clock()
        idle, lifetime = now - session.last_seen, now - session.started
        if idle > self.lifespans.sso_idle or lifetime > self.lifespans.sso_max:
            self.end(session.id)
            return None
        if touch:
            session.last_seen = now
        return session

    def end(self, session_id: str) -> None:
        self._sessions.pop(session_id, None)
        for token, grant in list(self._refresh.items()):
            if grant.session_id == session_id:
                del self._refresh[token]

    def seconds_left(self, session: UserSession) -> int:
        """How long a refresh token of the session stays usable (refresh_expires_in)."""
        now = self._clock()
        return int(
            min(
                session.last_seen + self.lifespans.sso_idle,
                session.started + self.lifespans.sso_max,
            )
            - now
        )

    # Pending logins.

    def begin_login(self, request: AuthorizationRequest, *, browser: str) -> PendingLogin:
        self._forget_expired()
        pending = PendingLogin(new_id(), request, self._clock(), browser)
        self._pending[pending.id] = pending
        return pending

    def pending(self, pending_id: str | None) -> PendingLogin | None:
        pending = self._pending.get(pending_id or "")
        if pending and self._clock() - pending.started > self.lifespans.login:
            del self._pending[pending.id]
            return None
        return pending

    def finish_login(self, pending_id: str) -> None:
        self._pending.pop(pending_id, None)

    # Authorization codes.

    def issue_code(self, grant: Grant, request: AuthorizationRequest) -> str:
        code = new_id()
        expires = self._clock() + self.lifespans.access_code
        self._codes[code] = IssuedCode(grant, request, expires)
        return code

    def redeem_code(self, code: str) -> IssuedCode | None:
        """The code's grant, once; a replayed code revokes what the first redemption got."""
        issued = self._codes.pop(code, None)
        if issued is None:
            if (used := self._used_codes.pop(code, None)) is not None:
                self._revoke_grant(used[0])
            return None
        self._used_codes[code] = (issued.grant.id, issued.expires)
        if self._clock() > issued.expires:
            return None
        return issued

    # Refresh tokens.

    def issue_refresh_token(self, grant: Grant) -> str:
        token = new_id()
        self._refresh[token] = grant
        return token

    def use_refresh_token(self, token: str, client_id: str) -> Grant | None:
        """The token's grant, once; another client's attempt leaves it to its owner."""
        grant = self._refresh.get(token)
        if grant is None or grant.client_id != client_id:
            return None
        return self._refresh.pop(token)

    def _forget_expired(self) -> None:
        """Drops what can no longer be used, so a long-running issuer does not grow."""
        now = self._clock()
        self._codes = {c: issued for c, issued in self._codes.items() if issued.expires >= now}
        self._used_codes = {c: used for c, used in self._used_codes.items() if used[1] >= now}
        self._pending = {
            p: login
            for p, login in self._pending.items()
            if now - login.started <= self.lifespans.login
        }
        for session_id in list(self._sessions):
            self.active(session_id)  # ends the session when it has expired

    def _revoke_grant(self, grant_id: str) -> None:
        for token, grant in list(self._refresh.items()):
            if grant.id == grant_id:
                del self._refresh[token]
