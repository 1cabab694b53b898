"""Headers on every response, and cross-site state changes refused before any route runs.

The policy allows this origin only: no inline script or style, no frames, no plugins. A
state change (any method but GET/HEAD/OPTIONS) from another site is refused here on the
browser's own word (`Sec-Fetch-Site`, else `Origin`); the CSRF token of each form is the
second lock, for browsers that send neither header.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Forms post here only; signing out redirects to the identity provider, which a browser also
# checks against form-action, hence its origin there.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "font-src 'self'; connect-src 'self'; form-action 'self' {issuer}; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)
HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, origin: str, issuer: str) -> None:
        self.app, self.origin = app, origin.rstrip("/")
        parts = urlsplit(issuer)
        policy = CSP.format(issuer=f"{parts.scheme}://{parts.netloc}")
        self.headers = {"content-security-policy": policy, **HEADERS}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                for name, value in self.headers.items():
                    if name.encode() not in present:
                        headers.append((name.encode(), value.encode()))
                if b"cache-control" not in present:
                    # Pages show case data: never kept by a shared computer's browser cache.
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        if scope["method"] not in SAFE_METHODS and self._cross_site(scope):
            response = PlainTextResponse("cross-site request refused", status_code=403)
            await response(scope, receive, with_headers)
            return
        await self.app(scope, receive, with_headers)

    def _cross_site(self, scope: Scope) -> bool:
        headers = {name.decode().lower(): value.decode() for name, value in scope["headers"]}
        fetch_site = headers.get("sec-fetch-site")
        if fetch_site is not None:
            return fetch_site not in ("same-origin", "none")
        origin = headers.get("origin")
        return origin is not None and origin.rstrip("/") != self.origin
