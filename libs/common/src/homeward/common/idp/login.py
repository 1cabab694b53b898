"""The browser side of the issuer, on Keycloak's paths: the authorization endpoint and its
login page, with an SSO cookie session as Keycloak keeps one (logout is in logout.py).

Cookies, as Keycloak names them: AUTH_SESSION_ID ties login pages to the browser that
opened them (a login form posted from another browser is refused; several tabs may be open
at once), KEYCLOAK_IDENTITY names the user session, so a later /auth signs in without the
form until logout, expiry or `prompt=login`. Both are HttpOnly and SameSite=Lax, Secure when
the issuer is on https.

Errors before the client and its redirect_uri are known are shown as a page (never a
redirect to an unchecked address); later ones go back to the client (RFC 6749 4.1.2.1).
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from homeward.common.idp.flows import TokenService
from homeward.common.idp.i18n import LANGUAGES, N_, choose_locale
from homeward.common.idp.pages import STYLESHEET, Pages, redirect_to
from homeward.common.idp.realm import Client, InvalidScope
from homeward.common.idp.sessions import (
    AuthorizationRequest,
    Grant,
    PendingLogin,
    UserSession,
    new_id,
)
from homeward.common.idp.tokens import AUTH_TIME_NOTE
from homeward.common.idp.uris import redirect_allowed

TIMED_OUT = N_("Your sign-in timed out. Go back to the application and start again.")
SESSION_COOKIE, LOGIN_COOKIE = "KEYCLOAK_IDENTITY", "AUTH_SESSION_ID"
# RFC 7636 4.1: 43 to 128 unreserved characters (a verifier; its S256 challenge is 43).
_CHALLENGE = re.compile(r"[A-Za-z0-9\-._~]{43,128}")


def login_router(
    service: TokenService, pages: Pages, *, realm_path: str, secure_cookies: bool
) -> APIRouter:
    realm, sessions = service.realm, service.sessions
    router = APIRouter()
    endpoints = f"{realm_path}/protocol/openid-connect"
    authenticate_path = f"{realm_path}/login-actions/authenticate"

    def problem_page(request: Request, message: str) -> HTMLResponse:
        locale = choose_locale(
            chosen=None,
            ui_locales=request.query_params.get("ui_locales"),
            accept_language=request.headers.get("accept-language"),
        )
        return pages.message(locale, message, status=400)

    def login_page(pending: PendingLogin, *, error: bool = False, username: str = "") -> Response:
        """The form for `pending`; its cookie binds the browser that opened it."""
        locale = pending.locale or "en"
        switcher = [
            (
                code,
                name,
                tag,
                f"{authenticate_path}?{urlencode({'tab_id': pending.id, 'kc_locale': code})}",
            )
            for code, (name, tag) in LANGUAGES.items()
        ]
        response = pages.render(
            "login.html",
            locale,
            form_targets=(pending.request.redirect_uri,),
            action=f"{authenticate_path}?{urlencode({'tab_id': pending.id})}",
            error=error,
            username=username,
            languages=switcher,
        )
        response.set_cookie(
            LOGIN_COOKIE,
            pending.browser,
            path=realm_path,
            httponly=True,
            samesite="lax",
            secure=secure_cookies,
        )
        return response

    def with_code(
        request: AuthorizationRequest,
        session: UserSession,
        *,
        status: int = 302,
        sso: bool = False,
    ) -> RedirectResponse:
        """Back to the client with a code; `sso` when the cookie session signed in."""
        grant = Grant(session.id, request.client_id, request.scope, sso_reuse=sso)
        code = sessions.issue_code(grant, request)
        # Keycloak's order: state, session_state, iss (RFC 9207), code.
        params = {"state": request.state, "session_state": session.id, "iss": service.issuer}
        return redirect_to(request.redirect_uri, {**params, "code": code}, status=status)

    def pending_of(request: Request) -> PendingLogin | None:
        """The login this browser opened (its cookie and the form's tab_id must agree)."""
        pending = sessions.pending(request.query_params.get("tab_id"))
        browser = request.cookies.get(LOGIN_COOKIE)
        return pending if pending is not None and browser == pending.browser else None

    def user_session(request: Request) -> UserSession | None:
        session = sessions.active(request.cookies.get(SESSION_COOKIE), touch=True)
        user = realm.user_named(session.username) if session else None
        return session if user is not None and user.enabled else None

    @router.api_route(f"{endpoints}/auth", methods=["GET", "POST"], name="authorize")
    async def authorize(request: Request) -> Response:
        """The authorization endpoint: response_type=code, PKCE S256 (OIDC Core 3.1.2.1:
        GET or a form POST)."""
        sent = request.query_params if request.method == "GET" else await request.form()
        query = {name: value for name, value in sent.items() if isinstance(value, str)}
        client = realm.clients.get(query.get("client_id", ""))
        if client is None or not client.enabled:
            return problem_page(request, N_("Unknown application."))
        redirect_uri = query.get("redirect_uri")
        if redirect_uri is None or not redirect_allowed(redirect_uri, client.redirect_uris):
            return problem_page(
                request, N_("The application sent an address this sign-in does not accept.")
            )
        state = query.get("state")

        def refuse(error: str, description: str) -> RedirectResponse:
            params = {"error": error, "error_description": description, "state": state}
            return redirect_to(redirect_uri, {**params, "iss": service.issuer})

        if query.get("response_type") != "code":
            return refuse(
                "unsupported_response_type",
                "Client is not allowed to initiate browser login with given response_type.",
            )
        if not client.standard_flow_enabled:
            return refuse(
                "unauthorized_client",
                "Standard flow is disabled for the client.",
            )
        if query.get("response_mode", "query") != "query":
            return refuse("invalid_request", "Invalid parameter: response_mode")
        if refusal := _pkce_refusal(
            client, query.get("code_challenge"), query.get("code_challenge_method")
        ):
            return refuse("invalid_request", refusal)
        scope = query.get("scope", "")
        try:
            realm.scopes_for(client, scope)
        except InvalidScope:
            return refuse("invalid_scope", "Invalid scopes: " + scope)
        prompt = query.get("prompt")
        prompts = set((prompt or "").split())
        if "none" in prompts and len(prompts) > 1:
            return refuse("invalid_request", "Invalid parameter: prompt")
        max_age = query.get("max_age", "")
        if max_age and not max_age.isdigit():
            return refuse("invalid_request", "Invalid parameter: max_age")
        auth_request = AuthorizationRequest(
            client_id=client.client_id,
            redirect_uri=redirect_uri,
            scope=scope,
            state=state,
            nonce=query.get("nonce"),
            code_challenge=query.get("code_challenge"),
            prompt=prompt,
            ui_locales=query.get("ui_locales"),
        )
        session = user_session(request)
        if session is not None and max_age:
            # OIDC Core 3.1.2.1: an authentication older than max_age must be done again.
            authenticated = float(session.notes.get(AUTH_TIME_NOTE, session.started))
            if service.clock() - authenticated > int(max_age):
                session = None
        if "none" in prompts and session is None:
            return refuse("login_required", "No active session")
        if session is not None and "login" not in prompts:
            return with_code(auth_request, session, sso=True)
        browser = request.cookies.get(LOGIN_COOKIE) or new_id()
        pending = sessions.begin_login(auth_request, browser=browser)
        pending.locale = choose_locale(
            chosen=None,
            ui_locales=auth_request.ui_locales,
            accept_language=request.headers.get("accept-language"),
        )
        return login_page(pending)

    @router.get(authenticate_path, name="login-page")
    async def show_login(request: Request) -> Response:
        """The login page again, in the language picked with the switcher."""
        pending = pending_of(request)
        if pending is None:
            return problem_page(request, TIMED_OUT)
        if kc_locale := request.query_params.get("kc_locale"):
            pending.locale = choose_locale(chosen=kc_locale, ui_locales=None, accept_language=None)
        return login_page(pending)

    @router.post(authenticate_path, name="login")
    async def login(request: Request) -> Response:
        """The login form's post: username and password, as Keycloak's form names them."""
        pending = pending_of(request)
        if pending is None:
            return problem_page(request, TIMED_OUT)
        form = await request.form()
        username, password = str(form.get("username", "")), str(form.get("password", ""))
        user = service.check_password(username, password) if username else None
        if user is None or not user.enabled:
            return login_page(pending, error=True, username=username)
        current = user_session(request)
        if current is not None and current.username != user.username:
            sessions.end(current.id)
            current = None
        session = current or sessions.start(user.username)
        session.notes = {**session.notes, AUTH_TIME_NOTE: str(int(service.clock()))}
        sessions.finish_login(pending.id)
        response = with_code(pending.request, session, status=303)
        response.set_cookie(
            SESSION_COOKIE,
            session.id,
            path=realm_path,
            httponly=True,
            samesite="lax",
            secure=secure_cookies,
        )
        return response

    @router.get(pages.stylesheet_path, include_in_schema=False)
    async def login_css() -> Response:
        return Response(
            STYLESHEET, media_type="text/css", headers={"Cache-Control": "max-age=3600"}
        )

    return router


def _pkce_refusal(client: Client, challenge: str | None, method: str | None) -> str | None:
    """Why the request's PKCE parameters are refused, if they are: required for public
    clients and for clients with a "pkce.code.challenge.method"; only S256 is taken."""
    if challenge is None:
        if client.public or client.pkce_method is not None:
            return "Missing parameter: code_challenge"
        return None
    if (method or "plain") != "S256" or (client.pkce_method not in (None, "S256")):
        return "Invalid parameter: code challenge method is not configured one"
    if not _CHALLENGE.fullmatch(challenge):
        return "Invalid parameter: code_challenge"
    return None
