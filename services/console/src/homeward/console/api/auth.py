"""Signing in and out, the language, and keeping a session alive on request."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from homeward.common.auth import Role
from homeward.console.i18n import LOCALES
from homeward.console.oidc import LoginFailed
from homeward.console.web import (
    COOKIE,
    Form,
    SignedIn,
    SignedInForm,
    ViewerDep,
    checked_form,
    safe_next,
    set_session_cookie,
)

router = APIRouter()


@router.get("/login", include_in_schema=False)
async def login(viewer: ViewerDep, next: str | None = None) -> Response:
    """Start the authorization code flow: PKCE verifier, state and nonce stay in the session."""
    if viewer.signed_in:
        return RedirectResponse(safe_next(next), status_code=303)
    session = await viewer.ensure_session()
    pending = await viewer.console.oidc.start(locale=viewer.locale)
    session.secrets = {
        "login": {
            "state": pending.state,
            "verifier": pending.code_verifier,
            "nonce": pending.nonce,
            "next": safe_next(next),
        }
    }
    await viewer.console.store.save(session)
    response = RedirectResponse(pending.url, status_code=303)
    viewer.finish(response)
    return response


@router.get("/auth/callback", include_in_schema=False)
async def callback(
    viewer: ViewerDep, state: str = "", code: str = "", error: str | None = None
) -> Response:
    """Back from the identity provider: exchange the code, then a new session (rotated id)."""
    pending = viewer.session.secrets.get("login") if viewer.session else None
    if error or not pending or not code or not secrets.compare_digest(state, pending["state"]):
        return viewer.render("signed_out.html", status_code=400, failed=True)
    console = viewer.console
    try:
        tokens = await console.oidc.finish(
            code=code, verifier=pending["verifier"], nonce=pending["nonce"]
        )
    except LoginFailed:
        return viewer.render("signed_out.html", status_code=400, failed=True)
    assert viewer.session is not None
    locale = viewer.session.locale
    await console.store.end(viewer.session)  # the pre-login id never becomes a signed-in one
    await console.store.prune()
    cookie, session = await console.store.create(locale=locale)
    principal = tokens.principal
    session.username = principal.username
    session.secrets = {
        **tokens.secrets(),
        "user": {
            "username": principal.username,
            "municipality": principal.municipality,
            "roles": sorted(principal.roles),
            "agency_type": principal.agency_type,
            "agency_id": principal.agency_id,
            "locale": tokens.locale,
        },
    }
    session.access_expires_at = tokens.expires_at
    await console.store.save(session)
    response = RedirectResponse(pending["next"], status_code=303)
    set_session_cookie(response, cookie, console.settings)
    return response


@router.post("/logout", include_in_schema=False)
async def logout(request: Request, viewer: ViewerDep, idle: bool = False) -> Response:
    """End the session here, then at the identity provider (RP-initiated logout). `idle`: the
    page's idle timer signs out (the signed-out page says why)."""
    console = viewer.console
    base = console.settings.public_base_url.rstrip("/")
    post_logout = f"{base}/signed-out" + ("?idle=true" if idle else "")
    id_token = None
    if viewer.signed_in:
        assert viewer.session is not None
        await checked_form(request, viewer)
        id_token = viewer.session.secrets.get("id_token")
        await console.oidc.revoke(viewer.session.secrets.get("refresh_token"))
        await console.store.end(viewer.session)
    # Else the server already ended the session (a background tab's timer ran late): without
    # an id token to hint with, the identity provider asks before ending its own session,
    # which on a shared computer must not outlive ours.
    target = await console.oidc.logout_url(id_token=id_token, post_logout=post_logout)
    response = RedirectResponse(target or post_logout.removeprefix(base), status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/signed-out", include_in_schema=False)
async def signed_out(viewer: ViewerDep, idle: bool = False) -> Response:
    return viewer.render("signed_out.html", idle=idle, failed=False)


@router.post("/language", include_in_schema=False)
async def choose_language(request: Request, viewer: ViewerDep, form: Form) -> Response:
    """The user's choice of language, kept in the session (it wins over token and browser)."""
    chosen = form.get("locale")
    if viewer.session is not None and chosen in LOCALES:
        viewer.session.locale = str(chosen)
        await viewer.console.store.save(viewer.session)
    return RedirectResponse(safe_next(str(form.get("next") or "/")), status_code=303)


@router.post("/session/keep-alive", include_in_schema=False)
async def keep_alive(request: Request, viewer: SignedIn, form: SignedInForm) -> Response:
    """ "Stay signed in" on the idle warning: loading the session has already renewed it. The
    page's script asks for JSON and stays where it is, so a half-filled form keeps its input;
    without JavaScript the browser goes back to the page."""
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"idle_timeout_s": viewer.console.settings.idle_timeout_s})
    return RedirectResponse(safe_next(str(form.get("next") or "/")), status_code=303)


def is_coordinator(roles: list[str]) -> bool:
    return Role.COORDINATOR.value in roles
