"""Every error a client sees is problem+json (RFC 9457); none carries a stack trace.

Domain code raises `Problem` subclasses (or plain domain errors mapped by the service);
validation errors become 422 with the fields to fix; bodies over the limit get 413 before
they are read in full; anything unexpected is logged with the request id and answered 500
with that id only.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from homeward.common.crypto import DataKeyMissing
from homeward.common.domain_errors import RuleViolation, StateConflict

PROBLEM_JSON = "application/problem+json"
logger = logging.getLogger("homeward.errors")


class Problem(Exception):
    """An error with a status code and a message meant for the client."""

    status: int = 400
    title: str = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        status: int | None = None,
        title: str | None = None,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if status is not None:
            self.status = status
        if title is not None:
            self.title = title
        self.headers = headers or {}
        self.extensions = extensions


class Unauthorized(Problem):
    status, title = 401, "Unauthorized"

    def __init__(self, detail: str = "a valid bearer token is required") -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


class Forbidden(Problem):
    status, title = 403, "Forbidden"


class NotFound(Problem):
    """Also what a caller gets for an object it may not see: the two must look the same."""

    status, title = 404, "Not found"


class Conflict(Problem):
    status, title = 409, "Conflict"


class Gone(Problem):
    status, title = 410, "Gone"


class TooManyRequests(Problem):
    """The caller did too much too fast; `Retry-After` says when to try again."""

    status, title = 429, "Too many requests"

    def __init__(self, detail: str, *, retry_after_s: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after_s)})


class Unprocessable(Problem):
    status, title = 422, "Unprocessable content"


def problem_response(
    status: int,
    title: str,
    detail: str,
    request: Request | None = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    body["detail"] = detail
    if request is not None:
        body["instance"] = request.url.path
        request_id = getattr(request.state, "request_id", None)
        if request_id:
            body["request_id"] = request_id
    body.update(extensions)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(
            exc.status, exc.title, exc.detail, request, exc.headers, **exc.extensions
        )

    @app.exception_handler(RuleViolation)
    async def _rule_violation(request: Request, exc: RuleViolation) -> JSONResponse:
        return problem_response(422, "Unprocessable content", str(exc), request)

    @app.exception_handler(StateConflict)
    async def _state_conflict(request: Request, exc: StateConflict) -> JSONResponse:
        allowed = {"allowed_next_states": exc.allowed_next_states}
        return problem_response(
            409, "Conflict", str(exc), request, **(allowed if exc.allowed_next_states else {})
        )

    @app.exception_handler(DataKeyMissing)
    async def _erased(request: Request, exc: DataKeyMissing) -> JSONResponse:
        # Crypto-shredded: the protected data of this case can never be read again.
        return problem_response(410, "Gone", "this case's protected data were erased", request)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Echo where and why, never the submitted value: it may be personal data.
        errors = [
            {"loc": list(err.get("loc", ())), "msg": err.get("msg", ""), "type": err.get("type")}
            for err in exc.errors()
        ]
        detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors)
        return problem_response(
            422, "Unprocessable content", detail or "invalid request", request, errors=errors
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        title = {404: "Not found", 405: "Method not allowed", 413: "Content too large"}.get(
            exc.status_code, "Error"
        )
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            # Starlette names only the first route matching the path; RFC 9110 wants them all.
            headers["Allow"] = ", ".join(_allowed_methods(request))
        return problem_response(exc.status_code, title, str(exc.detail), request, headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error", extra={"path": request.url.path})
        # Answered outside the request-context middleware, so the id header is set here.
        request_id = getattr(request.state, "request_id", None)
        headers = {"x-request-id": request_id} if request_id else None
        return problem_response(
            500, "Internal server error", "an unexpected error", request, headers
        )


def _allowed_methods(request: Request) -> list[str]:
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        match, _ = route.matches(request.scope)
        if match != Match.NONE and route.methods:
            methods |= route.methods
    return sorted(methods)


class BodySizeLimit:
    """Answers 413 for bodies over `max_bytes`, whether declared up front or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(scope, receive, send)
            return

        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if not response_started:
                await self._too_large(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(
            413, "Content too large", f"request bodies are limited to {self.max_bytes} bytes"
        )
        await response(scope, receive, send)


class _BodyTooLarge(StarletteHTTPException):
    """An HTTP error, so that FastAPI's body parsing re-raises it instead of answering 400."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"request bodies are limited to {max_bytes} bytes")
