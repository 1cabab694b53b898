"""Errors of the FHIR API as OperationOutcome (FHIR R4 "RESTful API": an operation that fails
returns an OperationOutcome), with the HTTP status the rest of Homeward answers.

The FHIR routes use `FhirRoute`: whatever the common problem+json handlers would answer
(no token, wrong role, not found, illegal transition, bad input) is answered here instead, in
FHIR's shape and media type, from the same exceptions; anything unexpected still reaches the
common 500 handler, which logs it.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import ValidationError
from starlette.exceptions import HTTPException

from homeward.common.domain_errors import RuleViolation, StateConflict
from homeward.common.errors import Problem
from homeward.referrals.fhir.mapping import FHIR_JSON

# R4 IssueType codes for the statuses we answer.
ISSUE_TYPES = {401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported",
               409: "conflict", 413: "too-costly", 422: "invalid"}  # fmt: skip


class FhirResponse(JSONResponse):
    media_type = FHIR_JSON


def operation_outcome(status: int, diagnostics: list[str]) -> dict[str, Any]:
    code = ISSUE_TYPES.get(status, "processing")
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": d} for d in diagnostics],
    }


def outcome_response(
    status: int, diagnostics: list[str], headers: dict[str, str] | None = None
) -> FhirResponse:
    return FhirResponse(operation_outcome(status, diagnostics), status_code=status,
                        headers=headers)  # fmt: skip


def _invalid(errors: list[Any]) -> list[str]:
    # Where and why, never the submitted value: it may be personal data.
    found = [f"{'.'.join(map(str, e.get('loc', ())))}: {e.get('msg', '')}" for e in errors]
    return found or ["invalid request"]


def outcome_for(exc: Exception) -> FhirResponse | None:
    """The OperationOutcome answering `exc`, or None for an error nobody expected."""
    match exc:
        case Problem():
            return outcome_response(exc.status, [exc.detail], exc.headers or None)
        case StateConflict():
            allowed = ", ".join(exc.allowed_next_states) or "none"
            return outcome_response(409, [f"{exc}; allowed next states: {allowed}"])
        case RuleViolation():
            return outcome_response(422, [str(exc)])
        case RequestValidationError() | ValidationError():
            return outcome_response(422, _invalid(list(exc.errors())))
        case HTTPException():
            return outcome_response(exc.status_code, [str(exc.detail)], exc.headers)
    return None


class FhirRoute(APIRoute):
    """A route whose refusals are OperationOutcomes (dependencies included: a missing token
    is refused inside the route handler, before any parameter is validated)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def fhir_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as exc:
                if (response := outcome_for(exc)) is None:
                    raise
                return response

        return fhir_handler
