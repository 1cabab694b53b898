"""RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0) at Keycloak's path.

With an `id_token_hint` the issuer ends that token's session and the browser's session at
once and goes back to `post_logout_redirect_uri` when the client registered it (the
`post.logout.redirect.uris` attribute). Without a hint it asks first, as Keycloak does, so
that a link on another site cannot sign anybody out.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from joserfc.errors import JoseError

from homeward.common.idp.flows import TokenService
from homeward.common.idp.i18n import N_, choose_locale
from homeward.common.idp.login import SESSION_COOKIE
from homeward.common.idp.pages import Pages, redirect_to
from homeward.common.idp.uris import redirect_allowed

INVALID_LINK = N_("This sign-out link is not valid.")
# What the confirmation form carries over to its POST.
_KEPT = ("client_id", "post_logout_redirect_uri", "state", "ui_locales")


def logout_router(service: TokenService, pages: Pages, *, realm_path: str) -> APIRouter:
    realm, sessions = service.realm, service.sessions
    router = APIRouter()
    path = f"{realm_path}/protocol/openid-connect/logout"

    @router.api_route(path, methods=["GET", "POST"], name="logout")
    async def logout(request: Request) -> Response:
        params = dict(request.query_params)
        if request.method == "POST":
            params.update({k: v for k, v in (await request.form()).items() if isinstance(v, str)})
        locale = choose_locale(
            chosen=None,
            ui_locales=params.get("ui_locales"),
            accept_language=request.headers.get("accept-language"),
        )
        hint_claims: dict[str, Any] | None = None
        if hint := params.get("id_token_hint"):
            try:
                hint_claims = service.keys.verify(hint)
            except (JoseError, ValueError):
                hint_claims = None
            # Keycloak accepts an expired hint: a user comes back to log out after hours.
            if hint_claims is None or hint_claims.get("iss") != service.issuer:
                return pages.message(locale, status=400, title=INVALID_LINK)
        client_id = params.get("client_id") or (hint_claims or {}).get("azp")
        if hint_claims and params.get("client_id") not in (None, hint_claims.get("azp")):
            return pages.message(locale, status=400, title=INVALID_LINK)
        client = realm.clients.get(client_id or "")
        redirect_uri = params.get("post_logout_redirect_uri")
        if redirect_uri is not None and (
            client is None or not redirect_allowed(redirect_uri, client.post_logout_redirect_uris)
        ):
            return pages.message(
                locale,
                status=400,
                title=N_("The application sent an address this sign-out does not accept."),
            )
        if hint_claims is None and params.get("confirm") != "yes":
            hidden = {k: v for k, v in params.items() if k in _KEPT and v}
            return pages.render(
                "logout.html",
                locale,
                form_targets=(redirect_uri,) if redirect_uri else (),
                action=path,
                hidden=hidden,
            )
        if hint_claims and (sid := hint_claims.get("sid")):
            sessions.end(sid)
        if cookie_session := request.cookies.get(SESSION_COOKIE):
            sessions.end(cookie_session)
        if redirect_uri is not None:
            query = {"state": params["state"]} if params.get("state") else {}
            response: Response = redirect_to(redirect_uri, query)
        else:
            response = pages.message(locale, N_("You are signed out."))
        response.delete_cookie(SESSION_COOKIE, path=realm_path)
        return response

    return router
