"""What every page shares: the session, the language, the user's API clients, rendering.

A page asks for `Viewer` (anyone) or `SignedIn` (a signed-in user; otherwise the browser is
sent to sign in). State-changing routes take `Form`: it refuses a missing or wrong CSRF token
before anything else is read. A posted form's API call goes through `Viewer.submit`.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import quote

import httpx
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment
from starlette.datastructures import FormData

from homeward.common.db import utcnow
from homeward.console.clients import (
    ApiRefusal,
    Apis,
    Documents,
    Intake,
    Notifications,
    Referrals,
)
from homeward.console.forms import FormState
from homeward.console.i18n import LANGUAGE_NAMES, LOCALES, Formats, pick_locale, translations
from homeward.console.oidc import LoginFailed, OidcClient
from homeward.console.sessions import Session, SessionStore
from homeward.console.settings import ConsoleSettings
from homeward.console.vocabulary import LABELS, labeller

COOKIE = "homeward_session"
# Sent by the page's script when it fetches a fresh copy of its live regions: that is the page
# following notifications, not the user at work, so it must not keep an idle session alive.
LIVE_REFRESH = "x-live-refresh"
REFRESH_MARGIN = timedelta(seconds=30)
# Refusals about the page rather than the form: the error pages answer them (sign in again,
# not found), as they do a page's GET.
SIGN_IN_AGAIN = 401
PAGE_REFUSALS = (SIGN_IN_AGAIN, 403, 404)

PAGE_SIZE = 20
MAX_PAGE = 5000  # the APIs refuse offsets past 100,000


@dataclass(frozen=True)
class Paging:
    """One page of a long list: what to ask the API for, and the numbers the pager shows."""

    page: int
    size: int = PAGE_SIZE

    @classmethod
    def at(cls, page: int) -> Paging:
        return cls(max(1, min(page, MAX_PAGE)))

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    def pages(self, total: int) -> int:
        return max(1, -(-total // self.size))


@dataclass
class Console:
    """The app's shared parts (one per process)."""

    settings: ConsoleSettings
    store: SessionStore
    http: httpx.AsyncClient
    oidc: OidcClient
    templates: Environment
    formats: Formats


class SignInRequired(Exception):
    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


class CsrfRefused(Exception):
    """A state change without this session's token: refused before anything is read."""


@dataclass
class Viewer:
    request: Request
    console: Console
    session: Session | None
    locale: str
    new_cookie: str | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)

    @property
    def gettext(self) -> Callable[..., str]:
        translation = translations(self.locale)

        def _(message: str, **values: Any) -> str:
            text = translation.gettext(message)
            return text % values if values else text

        return _

    @property
    def label(self) -> Callable[[str, str | None], str]:
        return labeller(translations(self.locale).gettext)

    def ngettext(self, singular: str, plural: str, n: int, **values: Any) -> str:
        text = translations(self.locale).ngettext(singular, plural, n)
        return text % {"num": n, **values}

    @property
    def signed_in(self) -> bool:
        return bool(self.session and self.session.signed_in)

    @property
    def user(self) -> dict[str, Any]:
        return self.session.secrets.get("user", {}) if self.session else {}

    def apis(self) -> Apis:
        assert self.session is not None
        s, token, http = self.console.settings, self.session.access_token, self.console.http
        return Apis(
            intake=Intake(http, s.intake_url, token),
            referrals=Referrals(http, s.referrals_url, token),
            documents=Documents(http, s.documents_url, token),
            notifications=Notifications(http, s.notifications_url, token),
        )

    async def ensure_session(self) -> Session:
        """A session to hold a CSRF token and a language before anyone signs in."""
        if self.session is None:
            self.new_cookie, self.session = await self.console.store.create(locale=None)
        return self.session

    def render(self, template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
        label = self.label

        def options(kind: str) -> list[tuple[str, str]]:
            return [(code, label(kind, code)) for code in LABELS[kind]]

        page = self.console.templates.get_template(template).render(
            _=self.gettext,
            ngettext=self.ngettext,
            label=label,
            options=options,
            day=self.console.formats.day,
            moment=self.console.formats.moment,
            viewer=self,
            locale=self.locale,
            languages=LANGUAGE_NAMES,
            locales=LOCALES,
            csrf_token=self.session.csrf_token if self.session else "",
            settings=self.console.settings,
            path=self.request.url.path,
            **context,
        )
        response = HTMLResponse(page, status_code=status_code)
        self.finish(response)
        return response

    async def submit(
        self,
        state: FormState,
        call: Callable[[], Awaitable[Any]],
        then: str | Callable[[Any], str],
        fields: dict[str, str] | None = None,
        *,
        raising: Collection[int] = (),
    ) -> Response | None:
        """A posted form's API call, unless the form has errors already. Done: a redirect
        (303, so that a reload does not post again) to `then`, or to `then(result)`.
        Refused: None, the refusal folded into `state` (`fields`: API field -> form field)
        for the route to show the form again with the input kept; statuses in `raising`
        are not the form's to say and go on to the error pages, as a 401 always does (the
        session's tokens were refused: only signing in again helps)."""
        if state.errors:
            return None
        try:
            result = await call()
        except ApiRefusal as refusal:
            if refusal.status == SIGN_IN_AGAIN or refusal.status in raising:
                raise
            state.refused(refusal, self.gettext, fields)
            return None
        return RedirectResponse(then(result) if callable(then) else then, status_code=303)

    async def reveal(
        self,
        state: FormState,
        call: Callable[[], Awaitable[Any]],
        *,
        not_found: str,
        fields: dict[str, str] | None = None,
    ) -> Any | None:
        """A read the form states its purpose for (an identity: the API audits it), shown on
        the page that answers the post and nowhere else. None when the form has errors
        already or the API refused (folded into `state`; `not_found` says what a 404 means)."""
        if state.errors:
            return None
        try:
            return await call()
        except ApiRefusal as refusal:
            if refusal.status == SIGN_IN_AGAIN:
                raise
            if refusal.status == 404:
                state.message = not_found
            else:
                state.refused(refusal, self.gettext, fields)
            return None

    def finish(self, response: Any) -> None:
        """Set the cookie of a session made during this request."""
        if self.new_cookie:
            set_session_cookie(response, self.new_cookie, self.console.settings)
        for name, value in self.extra_headers.items():
            response.headers[name] = value


def set_session_cookie(response: Any, cookie: str, settings: ConsoleSettings) -> None:
    response.set_cookie(
        COOKIE,
        cookie,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
        max_age=settings.absolute_timeout_s,
    )


def console_path(link: str) -> str:
    """A notification's link as a path of the console (never another origin)."""
    for prefix in ("/referrals/", "/cases/", "/notifications"):
        if prefix in link:
            return link[link.index(prefix) :]
    return "/notifications"


def console_of(request: Request) -> Console:
    return request.app.state.console


async def _viewer(request: Request, *, touch: bool = True) -> Viewer:
    console = console_of(request)
    session = await console.store.load(request.cookies.get(COOKIE), touch=touch)
    claim = session.secrets.get("user", {}).get("locale") if session else None
    locale = pick_locale(
        chosen=session.locale if session else None,
        claim=claim,
        accept_language=request.headers.get("accept-language"),
    )
    return Viewer(request=request, console=console, session=session, locale=locale)


async def viewer(request: Request) -> Viewer:
    return await _viewer(request)


async def _refreshed(viewer: Viewer) -> Viewer:
    session = viewer.session
    if session is None or not session.signed_in:
        raise SignInRequired(_next_path(viewer.request))
    expires = session.access_expires_at
    if expires is None or expires - REFRESH_MARGIN > utcnow():
        return viewer
    refresh_token = session.secrets.get("refresh_token")
    if not refresh_token:
        await viewer.console.store.end(session)
        raise SignInRequired(_next_path(viewer.request))
    try:
        tokens = await viewer.console.oidc.refresh(refresh_token)
    except LoginFailed:
        await viewer.console.store.end(session)
        raise SignInRequired(_next_path(viewer.request)) from None
    session.secrets.update(tokens.secrets())
    if not tokens.refresh_token:
        session.secrets["refresh_token"] = refresh_token
    session.access_expires_at = tokens.expires_at
    await viewer.console.store.save(session)
    return viewer


async def signed_in(request: Request) -> Viewer:
    return await _refreshed(await _viewer(request, touch=LIVE_REFRESH not in request.headers))


async def signed_in_quietly(request: Request) -> Viewer:
    """For the live badge and the stream: they must not keep an idle session alive."""
    return await _refreshed(await _viewer(request, touch=False))


def _next_path(request: Request) -> str:
    path = request.url.path
    return path + (f"?{request.url.query}" if request.url.query else "")


def safe_next(value: str | None) -> str:
    """Only a path of this site (never `//host` or a scheme): no open redirect."""
    if value and value.startswith("/") and not value.startswith(("//", "/\\")):
        return value
    return "/"


def login_path(next_path: str) -> str:
    return f"/login?next={quote(next_path, safe='')}"


async def checked_form(request: Request, viewer: Viewer) -> FormData:
    form = await request.form()
    token = form.get("csrf_token")
    expected = viewer.session.csrf_token if viewer.session else None
    if not (isinstance(token, str) and expected and hmac.compare_digest(token, expected)):
        raise CsrfRefused()
    return form


async def _form(request: Request, viewer: Annotated[Viewer, Depends(viewer)]) -> FormData:
    return await checked_form(request, viewer)


async def _signed_in_form(
    request: Request, viewer: Annotated[Viewer, Depends(signed_in)]
) -> FormData:
    return await checked_form(request, viewer)


ViewerDep = Annotated[Viewer, Depends(viewer)]
SignedIn = Annotated[Viewer, Depends(signed_in)]
SignedInQuietly = Annotated[Viewer, Depends(signed_in_quietly)]
Form = Annotated[FormData, Depends(_form)]
SignedInForm = Annotated[FormData, Depends(_signed_in_form)]
